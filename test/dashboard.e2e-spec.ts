import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { FAKE_BOT_TOKEN, FakeTelegramApi } from './fakes/telegram/fake-telegram-api';
import { TestBrowser } from './support/browser';
import { GATED_AGENT } from './support/patchbay-processes';
import { PatchbayInstance, waitUntil } from './support/patchbay-instance';
import { describeWith } from './support/services';

jest.setTimeout(120_000);

const TUI = join(__dirname, 'fixtures', 'permission-tui.js');
const OWNER = { id: 111, first_name: 'Ada' };
const STRANGER = { id: 999, first_name: 'Mallory' };
const PHONE = { width: 390, height: 844 };
/** What the `markdown` agent prints: a heading, highlighted code, a table, and HTML that must stay text. */
const MARKDOWN = [
  '# Build report',
  '',
  '```js',
  'const answer = 42;',
  '```',
  '',
  '| step | result |',
  '|---|---|',
  '| lint | **ok** |',
  '',
  '<img src=x onerror="window.pwned=1"> and <script>window.pwned=2</script>',
].join('\n');

/** Agents for the browser tests: a gated one to watch and stop, a shell to type into, a program that asks approval. */
function agents(work: string, gates: string) {
  return {
    defaultAgent: 'gate',
    agents: {
      gate: { command: process.execPath, args: [GATED_AGENT], env: { GATE_DIR: gates } },
      shell: { command: 'bash', args: ['--norc', '--noprofile', '-i'], mode: 'terminal', cwd: work, env: { PS1: 'pb$ ', HISTFILE: join(work, '.bash_history') } },
      tui: { command: process.execPath, args: [TUI], mode: 'terminal', cwd: work, prompts: ['claude'] },
      markdown: { command: process.execPath, args: ['-e', `process.stdout.write(${JSON.stringify(MARKDOWN)} + '\\n')`] },
    },
    routing: {
      rules: [
        { name: 'shell', match: { chat: 'term-1' }, agents: ['shell'] },
        { name: 'tui', match: { chat: 'tui-1' }, agents: ['tui'] },
        { name: 'markdown', match: { chat: 'md-1' }, agents: ['markdown'] },
      ],
    },
  };
}

/** The page's width never exceeds the screen's: nothing scrolls sideways. */
async function fitsWidth(page: Page, width: number): Promise<void> {
  expect(await page.evaluate<number>('document.documentElement.scrollWidth')).toBeLessThanOrEqual(width);
}

/** The dashboard in a real Chromium against a real all-in-one Patchbay (tokenless loopback: the local owner). */
describeWith(['tmux', 'chromium'], 'dashboard in a browser', () => {
  const pb = PatchbayInstance.prepare('dashboard');
  const telegram = new FakeTelegramApi();
  const browser = new TestBrowser(join(pb.dir, 'screenshots'));
  const work = join(pb.dir, 'work');
  const gates = join(pb.dir, 'gates');
  let page: Page;

  beforeAll(async () => {
    mkdirSync(work);
    mkdirSync(gates);
    const apiRoot = await telegram.start();
    await pb.start({ ...agents(work, gates), access: { owners: ['telegram:111', 'local:*'] }, telegram: { token: FAKE_BOT_TOKEN, apiRoot } });
    await browser.start();
  });

  afterAll(async () => {
    await browser.stop();
    await pb.stop();
    await telegram.stop();
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

  it('sends a message from the overview, watches it stream, stops it; the overview shows the session live', async () => {
    await page.goto(pb.url);
    await page.getByRole('textbox', { name: 'message' }).fill('hello from the browser [gate]');
    await page.getByRole('button', { name: 'Send' }).click();
    await page.waitForURL(/#\/session\/[a-z0-9]+$/);
    const sessionId = page.url().split('/').pop()!;
    await page.getByText('working on: hello from the browser [gate]').first().waitFor();
    await page.getByText('live', { exact: true }).waitFor();
    await page.getByText(/task running/).waitFor();

    const overview = await browser.page();
    await overview.goto(pb.url);
    const row = overview.locator(`tr[data-session="${sessionId}"]`);
    await row.getByText('running', { exact: true }).first().waitFor();

    await page.getByRole('button', { name: 'Stop' }).click();
    await page.getByText('ended', { exact: true }).waitFor();
    // The overview heard the end over its live stream, without a reload.
    await row
      .getByText('idle')
      .waitFor({ timeout: 20_000 })
      .catch(async () => row.getByText('failed').waitFor());
  });

  it('continues a session from its message box, and attaches and detaches a chat', async () => {
    telegram.userSends({ chatId: OWNER.id, from: OWNER, text: 'hello from telegram' });
    await waitUntil(
      async () => (await pb.get<{ tasks: Array<{ channel: string; status: string }> }>('/api/tasks')).tasks.some((t) => t.channel === 'telegram' && t.status === 'done'),
      'the telegram task',
    );
    const accepted = await pb.send('first prompt', 'web-continue');
    await page.goto(`${pb.url}/#/session/${accepted.sessionId}`);
    await page.getByText('done: first prompt').first().waitFor();
    await page.getByRole('textbox', { name: 'prompt' }).fill('second prompt');
    await page.getByRole('button', { name: 'Send' }).click();
    await page.getByText('done: second prompt').first().waitFor();

    const chats = page.getByRole('combobox', { name: 'chat to attach' });
    await chats.selectOption((await chats.locator('option', { hasText: 'telegram:' }).first().getAttribute('value'))!);
    await page.getByRole('button', { name: 'Attach' }).click();
    const bound = page.locator('.bindings li', { hasText: `telegram: ${OWNER.id}` });
    await bound.waitFor();
    await bound.getByRole('button', { name: 'Detach' }).click();
    await bound.waitFor({ state: 'detached' });
  });

  it('renders Markdown with highlighted code and tables, and shows HTML in the output as text', async () => {
    const accepted = await pb.send('report', 'md-1');
    await page.goto(`${pb.url}/#/session/${accepted.sessionId}`);
    const log = page.getByRole('log');
    await log.getByRole('heading', { name: 'Build report' }).waitFor();
    await log.locator('pre code.hljs .hljs-keyword', { hasText: 'const' }).waitFor();
    await log.getByRole('cell', { name: 'ok' }).locator('strong').waitFor();
    await log.getByText('<img src=x onerror="window.pwned=1">', { exact: false }).waitFor();
    expect(await log.locator('img, script').count()).toBe(0);
    expect(await page.evaluate('window.pwned')).toBeUndefined();
  });

  it('types into a terminal session and shows the echo in the terminal view', async () => {
    const accepted = await pb.send('echo ready', 'term-1');
    // The terminal is there once its runner shows the pane (the page does not retry by itself).
    await waitUntil(async () => (await pb.request('GET', `/api/sessions/${accepted.sessionId}/screen`)).status === 200, 'the live terminal');
    await page.goto(`${pb.url}/#/session/${accepted.sessionId}`);
    await page.getByRole('tab', { name: 'Terminal' }).click();
    await page.getByText('Live: what you type goes into the session.').waitFor();
    await page.locator('.terminal .xterm').click();
    await page.keyboard.type('echo hi-from-the-browser');
    await page.keyboard.press('Enter');
    const rows = page.locator('.terminal .xterm-rows');
    await waitUntil(async () => ((await rows.innerText()).match(/hi-from-the-browser/g) ?? []).length >= 2, 'the typed command and its echo in xterm');
  });

  it('answers a pending tool use with Allow once', async () => {
    await page.goto(`${pb.url}/#/approvals`);
    await page.getByText('Nothing waits for an answer.').waitFor();
    await pb.send('touch web-allowed.txt', 'tui-1');
    const card = page.locator('article.approval', { hasText: 'touch web-allowed.txt' });
    await card.getByRole('button', { name: 'Allow once' }).click();
    await card.waitFor({ state: 'detached' });
    await waitUntil(() => existsSync(join(work, 'web-allowed.txt')), 'the allowed command to run');
  });

  it('approves a pairing request with a role', async () => {
    telegram.userSends({ chatId: STRANGER.id, from: STRANGER, text: 'let me in' });
    await page.goto(`${pb.url}/#/access`);
    const request = page.locator('li[data-pairing]', { hasText: 'Mallory' });
    await request.waitFor({ timeout: 15_000 }).catch(async () => (await page.reload(), request.waitFor()));
    await request.getByRole('combobox').selectOption('viewer');
    await request.getByRole('button', { name: 'Approve' }).click();
    await request.waitFor({ state: 'detached' });
    await page.locator('tr[data-principal]', { hasText: 'Mallory' }).getByRole('combobox').waitFor();
    expect(await page.locator('tr[data-principal]', { hasText: 'Mallory' }).getByRole('combobox').inputValue()).toBe('viewer');
    await page.getByRole('textbox', { name: 'search the audit log' }).fill('Mallory');
    await page.getByRole('button', { name: 'Search' }).click();
    await page.locator('table.audit tbody tr', { hasText: 'pair.approve' }).getByText('Mallory, role viewer').waitFor();
    await page.getByRole('textbox', { name: 'search the audit log' }).fill(`telegram:${STRANGER.id}`);
    await page.getByRole('button', { name: 'Search' }).click();
    await page.locator('table.audit tbody tr', { hasText: 'unknown sender' }).first().waitFor();
  });

  it('adds a job and runs it now; its run log shows the task', async () => {
    await page.goto(`${pb.url}/#/jobs`);
    await page.getByRole('textbox', { name: 'job name' }).fill('web-job');
    await page.getByRole('textbox', { name: 'schedule' }).fill('1d');
    await page.getByRole('textbox', { name: 'job prompt' }).fill('from a job');
    await page.getByRole('button', { name: 'Add job' }).click();
    const row = page.locator('tr[data-job="web-job"]');
    await row.getByText('every 1d').waitFor();
    await row.getByRole('button', { name: 'web-job' }).click();
    await page.locator('ol.upcoming li').nth(4).waitFor();
    expect(await page.locator('ol.upcoming li').count()).toBe(5);
    await row.getByRole('button', { name: 'Run now' }).click();
    await page.locator('.runs li', { hasText: 'manual' }).getByRole('link').waitFor();
    await row.getByRole('button', { name: 'Disable' }).click();
    await row.getByText('(disabled)').waitFor();
  });

  it('shows every page without a console error, and the task history', async () => {
    await page.goto(pb.url);
    for (const name of ['Approvals', 'Tasks', 'Jobs', 'Access', 'Overview']) {
      await page.getByRole('navigation').getByRole('link', { name }).click();
      await page.waitForURL(new RegExp(`#/${name === 'Overview' ? '' : name.toLowerCase()}$`));
      await page.locator('main section').waitFor();
    }
    await page.getByRole('navigation').getByRole('link', { name: 'Tasks' }).click();
    await page.locator('tr[data-task] button').first().click();
    await page.locator('ol.history li', { hasText: 'running' }).first().waitFor();
  });

  it('fits a phone screen: the overview, a session, approvals', async () => {
    const phone = await browser.page(PHONE);
    await phone.goto(pb.url);
    await phone.locator('tr[data-session]').first().waitFor();
    await fitsWidth(phone, PHONE.width);
    await phone.locator('tr[data-session] a').first().click();
    await phone.getByRole('log').waitFor();
    await fitsWidth(phone, PHONE.width);
    await phone.getByRole('link', { name: 'Approvals' }).click();
    await phone.getByText('Nothing waits for an answer.').waitFor();
    await fitsWidth(phone, PHONE.width);
  });
});

/** Bound to a token: the page asks for it once (a cookie), and a viewer sees no controls. */
describeWith(['tmux', 'chromium'], 'dashboard with API tokens', () => {
  const VIEWER = { name: 'watcher', token: 'viewer-token-0123456789', role: 'viewer' };
  const OPERATOR = { name: 'helper', token: 'operator-token-0123456789', role: 'operator' };
  const pb = PatchbayInstance.prepare('dashboard-tokens');
  const browser = new TestBrowser(join(pb.dir, 'screenshots'));
  let sessionId: string;

  beforeAll(async () => {
    const work = join(pb.dir, 'work');
    const gates = join(pb.dir, 'gates');
    mkdirSync(work);
    mkdirSync(gates);
    await pb.start({ ...agents(work, gates), http: { tokens: [OPERATOR, VIEWER] } }, process.env, { token: OPERATOR.token });
    sessionId = (await pb.send('watched by a viewer [gate]')).sessionId!;
    writeFileSync(join(gates, `${sessionId}.go`), '');
    await browser.start();
  });

  afterAll(async () => {
    await browser.stop();
    await pb.stop();
  });

  afterEach(() => expect(browser.problems().filter((p) => !p.includes('401'))).toEqual([]));

  it('logs a viewer in with the token, shows sessions, and offers no controls', async () => {
    const page = await browser.page();
    await page.goto(pb.url);
    await page.getByLabel(/needs an API token/).fill(VIEWER.token);
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.getByText('watcher (viewer)').waitFor();
    expect(page.url()).not.toContain(VIEWER.token);
    await page.locator(`tr[data-session="${sessionId}"]`).waitFor();
    expect(await page.getByRole('textbox', { name: 'message' }).count()).toBe(0);
    expect(await page.getByRole('navigation').getByRole('link', { name: 'Access' }).count()).toBe(0);
    await page.goto(`${pb.url}/#/session/${sessionId}`);
    await page.getByText('done: watched by a viewer [gate]').first().waitFor();
    expect(await page.getByRole('button', { name: 'Stop' }).count()).toBe(0);
    expect(await page.getByRole('textbox', { name: 'prompt' }).count()).toBe(0);
    const cookies = await page.context().cookies();
    expect(cookies.find((c) => c.value.includes(VIEWER.token))).toBeUndefined();
    expect(cookies.every((c) => c.httpOnly && c.sameSite === 'Strict')).toBe(true);
  });

  it('an operator logs in, sends a message and logs out', async () => {
    const page = await browser.page();
    await page.goto(pb.url);
    await page.getByLabel(/needs an API token/).fill(OPERATOR.token);
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.getByRole('textbox', { name: 'message' }).fill('from the operator');
    await page.getByRole('button', { name: 'Send' }).click();
    await page.getByText('done: from the operator').first().waitFor();
    await page.getByRole('button', { name: 'Log out' }).click();
    await page.getByLabel(/needs an API token/).waitFor();
  });
});
