import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { cpus, totalmem } from 'node:os';
import { APPROVAL_SAMPLES, ApprovalsResult, benchApprovals, INTERVALS, intervals } from './approvals.bench';
import { benchBusTransports, benchSigning } from './bus.bench';
import { benchChannels } from './channels.bench';
import { benchDashboard } from './dashboard.bench';
import { benchRoundTrips } from './db.bench';
import { cleanUpOnSignals, runCleanups } from './cleanup';
import { benchFlow, FlowResult } from './flow.bench';
import { benchIdle, idleRows } from './idle.bench';
import { benchScrape } from './metrics.bench';
import { benchParsers } from './parse.bench';
import { benchRedaction } from './redact.bench';
import { ms, printTable } from './stats';
import { benchTerminalInput } from './terminal-input.bench';
import { NATS_URL, POSTGRES_URL } from '../test/support/services';

/** The benchmark's parts, in the order they run; `npm run bench -- channels idle` runs only those. */
const SECTIONS: Record<string, (env: { natsUrl: string | null; distributed: boolean }) => Promise<void>> = {
  async bus({ natsUrl }) {
    console.log('\nBus (typed Bus over each transport, payloads validated)\n');
    const bus = await benchBusTransports(natsUrl);
    printTable(
      ['transport', 'request-reply p50 ms', 'request-reply p99 ms', 'events/s'],
      bus.map((r) => [r.transport, ms(r.requestP50), ms(r.requestP99), Math.round(r.eventsPerSecond).toLocaleString('en-US')]),
    );
    console.log('\nBus signing (HMAC-SHA256 sign + verify of one inbound message, in process)\n');
    const signing = benchSigning();
    printTable(
      ['payload bytes', 'µs per message p50', 'messages/s'],
      [[String(signing.payloadBytes), signing.microsPerMessageP50.toFixed(1), Math.round(signing.messagesPerSecond).toLocaleString('en-US')]],
    );
  },

  async flow({ natsUrl, distributed }) {
    console.log('\nMessage in → output out (real processes, agent in tmux, SSE)\n');
    const flows: FlowResult[] = [await benchFlow('all-in-one', null)];
    if (distributed) flows.push(await benchFlow('distributed', natsUrl));
    printTable(
      ['mode', 'first event p50 ms', 'first event p95 ms', 'first agent output p50 ms', 'first agent output p95 ms'],
      flows.map((f) => [f.mode, ms(f.firstEventP50), ms(f.firstEventP95), ms(f.firstOutputP50), ms(f.firstOutputP95)]),
    );
  },

  async db() {
    console.log("\nOne inbound message's database round trips (in-process engine, fake runner; statements the pg driver sent, BEGIN/COMMIT included, median of 15)\n");
    printTable(
      ['message', 'to its reply (task queued)', 'to its run asked of a runner', 'to its run finished'],
      (await benchRoundTrips()).map((r) => [r.chat, String(r.toReply), String(r.toRunAsked), String(r.toFinished)]),
    );
    console.log('\nThe reply goes out while the dispatch has begun: its first statements may fall before it.');
  },

  async metrics() {
    console.log('\nGET /metrics: what a scrape costs the gateway (in process, ~2 s each)\n');
    printTable(
      ['mode', 'series', 'KB', 'scrape p50 ms', 'scrape p99 ms'],
      (await benchScrape()).map((r) => [r.mode, String(r.series), r.kb.toFixed(1), ms(r.p50), ms(r.p99)]),
    );
  },

  async parse() {
    console.log('\nStructured output parsing (in process, createParser over the captured agent streams, ~2 s each)\n');
    const count = (n: number) => Math.round(n).toLocaleString('en-US');
    printTable(
      ['format', 'fixture files', 'lines', 'KB', 'lines/s', 'MB/s', 'events/s'],
      benchParsers().map((p) => [
        p.format,
        String(p.files),
        String(p.lines),
        (p.bytes / 1000).toFixed(1),
        count(p.linesPerSecond),
        (p.bytesPerSecond / 1e6).toFixed(1),
        count(p.eventsPerSecond),
      ]),
    );
  },

  async redact() {
    console.log('\nRedaction (in process, Redactor.fromConfig over 1 MB of agent output, ~2 s)\n');
    const r = benchRedaction();
    printTable(
      ['text KB', 'secrets found', 'ms per pass p50', 'MB/s'],
      [[(r.bytes / 1000).toFixed(0), String(r.secretsFound), ms(r.msPerPassP50), (r.bytesPerSecond / 1e6).toFixed(1)]],
    );
  },

  async idle() {
    console.log('\nIdle sessions (all-in-one, agents started and printing nothing, 10 s window)\n');
    const idle = idleRows(await benchIdle());
    printTable(['agent mode', 'sessions', 'Patchbay CPU % of a core', 'tmux server CPU %', 'forks/s (machine)', 'new processes/s (Patchbay + tmux)'], idle.rows);
    console.log('\nforks/s counts every fork and thread on the machine, other work included; new processes are');
    console.log('sampled from /proc every 10 ms (very short-lived ones can be missed) and attributed by parent.');
    for (const note of idle.notes) console.log(`- ${note}`);
  },

  async terminal() {
    console.log('\nTerminal mode: input → echoed output (all-in-one, one live session per program, SSE kept open)\n');
    const input = await benchTerminalInput();
    printTable(
      ['program', 'input via', 'messages', 'input call p50 ms', 'input call p95 ms', 'echo in SSE p50 ms', 'echo in SSE p95 ms'],
      input.map((r) => [r.program, r.via, r.failure ? 'failed*' : String(r.messages), ms(r.inputP50), ms(r.inputP95), ms(r.echoP50), ms(r.echoP95)]),
    );
    console.log("\nBoth times from the start of the input call. The POST replies once the runner drew the pane's change;");
    console.log('the echoed line goes out ~4 ms after its burst of pane writes (finished lines do not wait for the');
    console.log('screen to settle). `tmux send-keys` is the bench typing into the pane itself: the output half alone.');
    for (const r of input.filter((r) => r.failure)) console.log(`* ${r.program} via ${r.via}: ${r.failure}`);
  },

  async approvals({ natsUrl, distributed }) {
    console.log(
      `\nApprovals in a chat: the real claude CLI (fake model) asks for Bash, the request shows in Telegram (fake Bot API), Allow once is pressed (${APPROVAL_SAMPLES} round trips per mode)\n`,
    );
    const runs: ApprovalsResult[] = [await benchApprovals('all-in-one', null)];
    if (distributed) runs.push(await benchApprovals('distributed', natsUrl));
    printTable(
      ['from', 'to', ...runs.flatMap((r) => [`${r.mode} p50 ms`, `${r.mode} p95 ms`])],
      intervals().map((key) => [INTERVALS[key].from, INTERVALS[key].to, ...runs.flatMap((r) => [ms(r.percentiles[key].p50), ms(r.percentiles[key].p95)])]),
    );
    for (const r of runs.filter((r) => r.refusedCalls > 0)) console.log(`\n${r.mode}: the fake Bot API refused ${r.refusedCalls} calls (429 or bad request)`);
  },

  async channels() {
    console.log('\nChannels: one ~50 KB answer with code blocks, one session followed by 10 chats of each kind (fake platforms, all-in-one)\n');
    printTable(
      ['platform', 'chats', 'output KB', 'API calls', 'peak calls/s in a chat', '429s', 'last byte → final p50 ms', 'last byte → final max ms'],
      (await benchChannels()).map((r) => [
        r.platform,
        String(r.chats),
        String(r.outputKb),
        String(r.calls),
        String(r.peakPerSecondPerChat),
        String(r.rateLimited),
        ms(r.finalP50),
        ms(r.finalMax),
      ]),
    );
  },

  async dashboard() {
    console.log('\nWeb dashboard in Chromium (all-in-one; fresh page loads, then a session page while its agent prints)\n');
    const d = await benchDashboard();
    printTable(
      ['page loads', 'first paint p50 ms', 'first paint p95 ms', 'sessions shown p50 ms', 'sessions shown p95 ms', 'output events', 'event → page p50 ms', 'event → page p95 ms'],
      [[String(d.loads), ms(d.firstPaintP50), ms(d.firstPaintP95), ms(d.overviewP50), ms(d.overviewP95), String(d.events), ms(d.eventToPageP50), ms(d.eventToPageP95)]],
    );
    console.log('\nThe terminal tab of a live bash: a key pressed in xterm → its echo in xterm\n');
    printTable(['keys', 'key → echo p50 ms', 'key → echo p95 ms'], [[String(d.keys), ms(d.keyToEchoP50), ms(d.keyToEchoP95)]]);
    console.log('\nTimes of a load are from navigation start; "event → page" from the runner stamping the event to its');
    console.log('text in the page (a MutationObserver), both wall clock on this machine.');
  },
};

/** `npm run bench [-- section…]`: prints Markdown tables; keep the latest in docs/BENCHMARKS.md. */
async function main(): Promise<void> {
  const chosen = process.argv.slice(2);
  const unknown = chosen.filter((name) => !(name in SECTIONS));
  if (unknown.length > 0) throw new Error(`no benchmark section ${unknown.join(', ')}; sections: ${Object.keys(SECTIONS).join(', ')}`);
  Logger.overrideLogger(['error']);
  cleanUpOnSignals();
  const natsUrl = (await reachable(NATS_URL)) ? NATS_URL : null;
  const distributed = natsUrl !== null && (await reachable(POSTGRES_URL));
  console.log(
    `Patchbay benchmark, ${new Date().toISOString().slice(0, 10)}, Node ${process.version}, ${cpus().length} × ${cpus()[0]?.model.trim()}, ${Math.round(totalmem() / 2 ** 30)} GiB`,
  );
  if (!natsUrl) console.log(`(NATS at ${NATS_URL} not reachable: NATS rows skipped)`);
  for (const [name, section] of Object.entries(SECTIONS)) {
    if (chosen.length === 0 || chosen.includes(name)) await section({ natsUrl, distributed });
  }
}

async function reachable(url: string): Promise<boolean> {
  const { hostname, port } = new URL(url);
  const { Socket } = await import('node:net');
  return new Promise((resolve) => {
    const socket = new Socket().setTimeout(1_000);
    socket.once('connect', () => (socket.destroy(), resolve(true)));
    socket.once('error', () => resolve(false));
    socket.once('timeout', () => (socket.destroy(), resolve(false)));
    socket.connect(Number(port), hostname);
  });
}

main().then(
  () => process.exit(0),
  async (error) => {
    console.error(error);
    await runCleanups();
    process.exit(1);
  },
);
