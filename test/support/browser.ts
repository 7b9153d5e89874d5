import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { Browser, BrowserContext, chromium, Page } from 'playwright-core';

/** Debian's Chromium (`apt-get install -y chromium`; .ci/run installs it when missing). */
export const CHROMIUM = '/usr/bin/chromium';

/**
 * A real headless Chromium for the dashboard's browser tests. Each `page()` gets a fresh
 * context (no cookies, no storage), and every console error and page error it shows is
 * collected: `problems()` must be empty at the end of each test. `screenshot(name)` saves
 * into the given folder, for a failing test.
 */
export class TestBrowser {
  private browser?: Browser;
  private readonly contexts: BrowserContext[] = [];
  private readonly errors: string[] = [];

  constructor(private readonly screenshots: string) {}

  async start(): Promise<void> {
    this.browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
    });
  }

  /** A page in a fresh context; `viewport` for phone sizes (390×844). */
  async page(viewport = { width: 1280, height: 900 }): Promise<Page> {
    const context = await this.browser!.newContext({ viewport });
    this.contexts.push(context);
    const page = await context.newPage();
    page.on('console', (message) => {
      if (message.type() === 'error') this.errors.push(`console: ${message.text()} (${message.location().url})`);
    });
    page.on('pageerror', (error) => this.errors.push(`page: ${error.message}`));
    return page;
  }

  /** Console and page errors since the last call (cleared). */
  problems(): string[] {
    return this.errors.splice(0, this.errors.length);
  }

  async screenshot(page: Page, name: string): Promise<string> {
    mkdirSync(this.screenshots, { recursive: true });
    const file = join(this.screenshots, `${name.replace(/[^\w-]+/g, '_').slice(0, 100)}.png`);
    await page.screenshot({ path: file, fullPage: true }).catch(() => undefined);
    return file;
  }

  async stop(): Promise<void> {
    for (const context of this.contexts.splice(0)) await context.close().catch(() => undefined);
    await this.browser?.close();
  }
}
