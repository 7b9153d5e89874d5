import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { TestBrowser } from './support/browser';
import { GATED_AGENT } from './support/patchbay-processes';
import { PatchbayInstance } from './support/patchbay-instance';
import { describeWith } from './support/services';

jest.setTimeout(120_000);

/** The web dashboard in a real Chromium against a real all-in-one Patchbay. */
describeWith(['tmux', 'chromium'], 'dashboard in a browser', () => {
  const pb = PatchbayInstance.prepare('dashboard');
  const browser = new TestBrowser(join(pb.dir, 'screenshots'));
  let page: Page;

  beforeAll(async () => {
    await pb.start({ defaultAgent: 'gate', agents: { gate: { command: process.execPath, args: [GATED_AGENT] } } });
    await browser.start();
  });

  afterAll(async () => {
    await browser.stop();
    await pb.stop();
  });

  beforeEach(async () => {
    page = await browser.page();
  });

  afterEach(async () => {
    const name = expect.getState().currentTestName ?? 'test';
    const problems = browser.problems();
    if (problems.length > 0) console.log(`screenshot: ${await browser.screenshot(page, name)}`);
    expect(problems).toEqual([]);
  });

  it('sends a message from the overview, then shows the session streaming to its end', async () => {
    await page.goto(pb.url);
    await page.getByRole('textbox', { name: 'message' }).fill('hello from the browser');
    await page.getByRole('button', { name: 'Send' }).click();
    await page.waitForURL(/#\/session\/[a-z0-9]+$/);
    await page.getByText('working on: hello from the browser').first().waitFor();
    await page.getByText('done: hello from the browser').first().waitFor();
    await page.getByText('ended').waitFor();
    await page.goto(`${pb.url}/#/`);
    await page.getByRole('cell', { name: 'gate' }).first().waitFor();
  });

  it('fits a phone screen', async () => {
    const phone = await browser.page({ width: 390, height: 844 });
    await phone.goto(pb.url);
    await phone.getByRole('link', { name: 'Approvals' }).click();
    await phone.getByText('Nothing waits for an answer.').waitFor();
    const width = await phone.evaluate<number>('document.documentElement.scrollWidth');
    expect(width).toBeLessThanOrEqual(390);
  });
});
