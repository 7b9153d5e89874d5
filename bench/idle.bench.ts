import { LivePatchbay } from './live-patchbay';
import { cpuSeconds, describeNewProcesses, machineForks, NewProcess, ProcessWatcher } from './proc';
import { ReceivedEvent, SseFollower } from './sse-follow';

const RUNS = 10;
const WINDOW_MS = 10_000;
/** Before each window: what starting Patchbay or the runs leaves to do is done. */
const SETTLE_MS = 3_000;

export interface IdleResult {
  mode: string;
  sessions: number;
  /** % of one core. */
  patchbayCpu: number;
  tmuxCpu: number;
  forksPerSecond: number;
  oursPerSecond: number;
  seen: NewProcess[];
}

/** Agents that start and then wait, printing nothing: one per mode. */
const IDLE_AGENTS = {
  text: { label: 'text (`sleep 600`)', prompt: 'idle', yaml: 'command: bash\n    args: ["-c", "exec sleep 600", "{prompt}"]\n    mode: text' },
  terminal: { label: 'terminal (`bash -i`)', prompt: 'true', yaml: 'command: bash\n    args: ["--norc", "--noprofile", "-i"]\n    mode: terminal' },
} as const;

/**
 * What idle sessions cost: an all-in-one Patchbay with 0, then 10 agents that sit idle,
 * measured over a 10 s window each. The runner follows output with fs.watch (and tmux
 * pipe-pane in terminal mode), so nothing should fork per tick.
 */
export async function benchIdle(): Promise<IdleResult[]> {
  const results: IdleResult[] = [];
  for (const mode of ['text', 'terminal'] as const) {
    const agent = IDLE_AGENTS[mode];
    const live = await LivePatchbay.start({
      name: `bench-idle-${mode}`,
      yaml: `defaultAgent: idle\nrunner:\n  capacity: ${RUNS + 2}\nagents:\n  idle:\n    ${agent.yaml}\n`,
    });
    const followers: SseFollower[] = [];
    try {
      await delay(SETTLE_MS);
      results.push({ mode: agent.label, ...(await measure(live, 0)) });
      for (let i = 0; i < RUNS; i++) {
        const { sessionId } = await live.post(agent.prompt, `idle-${mode}-${i}`);
        followers.push(await new SseFollower(`${live.baseUrl}/api/sessions/${sessionId}/events`).open());
      }
      await Promise.all(followers.map((f) => f.waitFor(isStarted, 30_000)));
      // The start-up output (terminal mode: the prompt, the typed message) goes out first.
      await quiet(followers, 1_500, 20_000);
      // Then the runs' own bookkeeping (journal, task updates) and the garbage of starting them.
      await delay(SETTLE_MS);
      const measured = await measure(live, RUNS);
      const ended = followers.filter((f) => f.events.some(isEnd));
      if (ended.length > 0) throw new Error(`${ended.length} of the idle runs ended during the window: ${JSON.stringify(ended[0].events.find(isEnd)?.data)}`);
      results.push({ mode: agent.label, ...measured });
    } catch (error) {
      throw new Error(`idle ${mode}: ${(error as Error).message}\n${live.logs()}`);
    } finally {
      for (const follower of followers) follower.close();
      await live.stop();
    }
  }
  return results;
}

async function measure(live: LivePatchbay, sessions: number): Promise<Omit<IdleResult, 'mode'>> {
  const pid = live.pid();
  const tmuxPid = await live.tmuxServerPid();
  const watcher = new ProcessWatcher(tmuxPid ? [pid, tmuxPid] : [pid]);
  watcher.start();
  const cpuBefore = cpuSeconds(pid);
  const tmuxBefore = tmuxPid ? cpuSeconds(tmuxPid) : Number.NaN;
  const forksBefore = machineForks();
  const start = performance.now();
  await delay(WINDOW_MS);
  const forks = machineForks() - forksBefore;
  const cpu = cpuSeconds(pid) - cpuBefore;
  const tmux = tmuxPid ? cpuSeconds(tmuxPid) - tmuxBefore : Number.NaN;
  const seconds = (performance.now() - start) / 1000;
  const seen = watcher.stop();
  return {
    sessions,
    patchbayCpu: (100 * cpu) / seconds,
    tmuxCpu: (100 * tmux) / seconds,
    forksPerSecond: forks / seconds,
    oursPerSecond: seen.filter((p) => p.ours).length / seconds,
    seen,
  };
}

/** Resolves once no follower has had an event for `quietMs`. */
async function quiet(followers: SseFollower[], quietMs: number, timeoutMs: number): Promise<void> {
  for (const deadline = performance.now() + timeoutMs; performance.now() < deadline; await delay(100)) {
    if (followers.every((f) => performance.now() - f.lastEventAt >= quietMs)) return;
  }
  throw new Error(`the sessions were still printing after ${timeoutMs} ms`);
}

const eventOf = (e: ReceivedEvent) => e.data as { type: string; state?: string };
const isStarted = (e: ReceivedEvent) => eventOf(e).type === 'status' && eventOf(e).state === 'started';
const isEnd = (e: ReceivedEvent) => eventOf(e).type === 'final' || eventOf(e).type === 'error';

const delay = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** The rows for bench.ts, and which processes appeared in each window (ours should be none). */
export function idleRows(results: IdleResult[]): { rows: string[][]; notes: string[] } {
  const pct = (v: number) => (Number.isNaN(v) ? '-' : v.toFixed(1));
  const rate = (v: number) => v.toFixed(1);
  return {
    rows: results.map((r) => [r.mode, String(r.sessions), pct(r.patchbayCpu), pct(r.tmuxCpu), rate(r.forksPerSecond), rate(r.oursPerSecond)]),
    notes: results.map((r) => {
      const ours = r.seen.filter((p) => p.ours);
      const others = r.seen.filter((p) => !p.ours);
      const mine = ours.length === 0 ? 'none below Patchbay or its tmux server' : `below Patchbay/tmux: ${describeNewProcesses(ours).join('; ')}`;
      const elsewhere = others.length === 0 ? '' : `; ${others.length} elsewhere (most: ${describeNewProcesses(others, 2).join('; ')})`;
      return `${r.mode}, ${r.sessions} sessions: ${mine}${elsewhere}`;
    }),
  };
}
