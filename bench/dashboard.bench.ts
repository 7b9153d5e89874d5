import { TestBrowser } from '../test/support/browser';
import { GATED_AGENT, TICKER_AGENT } from '../test/support/patchbay-processes';
import { readSse } from '../test/support/sse';
import { LivePatchbay } from './live-patchbay';
import { percentile } from './stats';

const LOADS = 20;
const TICKS = 40;

export interface DashboardResult {
  loads: number;
  firstPaintP50: number;
  firstPaintP95: number;
  overviewP50: number;
  overviewP95: number;
  events: number;
  eventToPageP50: number;
  eventToPageP95: number;
  keys: number;
  keyToEchoP50: number;
  keyToEchoP95: number;
}

/**
 * The web dashboard in Debian's Chromium against an all-in-one Patchbay: first contentful
 * paint and the overview's sessions shown, for fresh page loads; then, on a session page,
 * the time from each output event (its `at`, stamped by the runner) to its text in the page.
 */
export async function benchDashboard(): Promise<DashboardResult> {
  const live = await LivePatchbay.start({
    name: 'bench-dashboard',
    yaml: [
      'defaultAgent: quick',
      'agents:',
      `  quick: { command: ${JSON.stringify(process.execPath)}, args: [${JSON.stringify(GATED_AGENT)}] }`,
      `  ticker: { command: ${JSON.stringify(process.execPath)}, args: [${JSON.stringify(TICKER_AGENT)}], env: { TICKS: "${TICKS}" } }`,
      `  shell: { command: bash, args: [--norc, --noprofile, -i], mode: terminal, env: { PS1: "pb$ ", HISTFILE: /dev/null } }`,
      'routing: { rules: [{ name: ticker, match: { chat: ticker }, agents: [ticker] }, { name: shell, match: { chat: shell }, agents: [shell] }] }',
    ].join('\n'),
  });
  const browser = new TestBrowser(live.dir);
  try {
    await browser.start();
    for (let i = 0; i < 5; i++) await live.post(`session ${i}`);
    const loads = await firstPaints(browser, live.baseUrl);
    const latencies = await eventToPage(browser, live);
    const keys = await keyToEcho(browser, live);
    return {
      loads: LOADS,
      firstPaintP50: percentile(loads.paint, 50),
      firstPaintP95: percentile(loads.paint, 95),
      overviewP50: percentile(loads.overview, 50),
      overviewP95: percentile(loads.overview, 95),
      events: latencies.length,
      eventToPageP50: percentile(latencies, 50),
      eventToPageP95: percentile(latencies, 95),
      keys: keys.length,
      keyToEchoP50: percentile(keys, 50),
      keyToEchoP95: percentile(keys, 95),
    };
  } finally {
    await browser.stop();
    await live.stop();
  }
}

/** Each load in a fresh context (nothing cached): first contentful paint, and the sessions table filled. */
async function firstPaints(browser: TestBrowser, url: string): Promise<{ paint: number[]; overview: number[] }> {
  const paint: number[] = [];
  const overview: number[] = [];
  for (let i = 0; i < LOADS; i++) {
    const page = await browser.page();
    await page.goto(url);
    await page.locator('tr[data-session]').first().waitFor();
    const shown = await page.evaluate<number>('performance.now()');
    const fcp = await page.evaluate<number>("performance.getEntriesByName('first-contentful-paint')[0]?.startTime ?? NaN");
    paint.push(fcp);
    overview.push(shown);
    await page.context().close();
  }
  return { paint, overview };
}

/**
 * A session page open while the ticker prints: the page notes when each `tick <n>` appears
 * (a MutationObserver, wall clock), the bench reads the same events' `at` from the API.
 */
async function eventToPage(browser: TestBrowser, live: LivePatchbay): Promise<number[]> {
  const page = await browser.page();
  const accepted = await live.post('tick', 'ticker');
  await page.goto(`${live.baseUrl}/#/session/${accepted.sessionId}`);
  await page.getByRole('log').waitFor();
  await page.evaluate(`(() => {
    window.seen = {};
    window.started = Date.now();
    const look = () => {
      for (const m of document.querySelector('[role=log]').textContent.matchAll(/tick (\\d+)/g)) window.seen[m[1]] ??= Date.now();
    };
    look();
    new MutationObserver(look).observe(document.querySelector('[role=log]'), { subtree: true, childList: true, characterData: true });
  })()`);
  const stamped = new Map<string, number>();
  await readSse(`${live.baseUrl}/api/sessions/${accepted.sessionId}/events?task=${accepted.taskId}`, {
    onEvent: ({ data }) => {
      const event = data as { type: string; text?: string; at: string };
      if (event.type !== 'text' || !event.text) return;
      for (const m of event.text.matchAll(/tick (\d+)/g)) if (!stamped.has(m[1])) stamped.set(m[1], Date.parse(event.at));
    },
  });
  await page
    .getByText(`tick ${TICKS - 1}`)
    .first()
    .waitFor();
  const seen = await page.evaluate<Record<string, number>>('window.seen');
  const started = await page.evaluate<number>('window.started');
  await page.context().close();
  // A tick printed before the page watched came from the transcript: not a live one.
  return [...stamped].filter(([n, at]) => seen[n] !== undefined && at >= started).map(([n, at]) => seen[n] - at);
}

const KEYS = 20;

/** In the page: whether the prompt line shows at least `count` x's (a function, not a string: the page's CSP refuses eval). */
function xsShown(count: number): boolean {
  const rows = (globalThis as unknown as { document: { querySelector(selector: string): { textContent: string | null } | null } }).document.querySelector('.xterm-rows');
  return (rows?.textContent?.match(/pb\$ (x+)/)?.[1].length ?? 0) >= count;
}

/**
 * The terminal tab of a live `bash -i`: from a key pressed in xterm to its echo in xterm
 * (the page types it over the API, the runner's pane changes, the screen stream brings it).
 */
async function keyToEcho(browser: TestBrowser, live: LivePatchbay): Promise<number[]> {
  const page = await browser.page();
  const accepted = await live.post('echo ready', 'shell');
  for (let i = 0; i < 100 && (await fetch(`${live.baseUrl}/api/sessions/${accepted.sessionId}/screen`)).status !== 200; i++) await new Promise((r) => setTimeout(r, 100));
  await page.goto(`${live.baseUrl}/#/session/${accepted.sessionId}`);
  await page.getByRole('tab', { name: 'Terminal' }).click();
  await page.getByText('Live: what you type goes into the session.').waitFor();
  await page.locator('.terminal .xterm').click();
  const times: number[] = [];
  for (let i = 1; i <= KEYS; i++) {
    const start = performance.now();
    await page.keyboard.type('x');
    await page.waitForFunction(xsShown, i);
    times.push(performance.now() - start);
  }
  await page.context().close();
  return times;
}
