import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RunnerSeenV1, SessionSummaryV1 } from '@patchbay/contracts';
import { PatchbayInstance } from './support/patchbay-instance';
import { GATED_AGENT } from './support/patchbay-processes';
import { describeWith } from './support/services';
import { SseMessage, sseMessages } from './support/sse';

jest.setTimeout(120_000);

const SECRET = 'sekret-abc123def456';

/** One open GET /api/events: every message it got so far, read in the background. */
class OverviewReader {
  readonly messages: SseMessage[] = [];
  private readonly abort = new AbortController();

  private constructor(
    readonly status: number,
    readonly body: string,
  ) {}

  static async open(pb: PatchbayInstance): Promise<OverviewReader> {
    const abort = new AbortController();
    const response = await fetch(`${pb.url}/api/events`, { headers: { accept: 'text/event-stream', ...pb.authHeaders() }, signal: abort.signal });
    if (response.status !== 200) return new OverviewReader(response.status, await response.text());
    const reader = new OverviewReader(200, '');
    reader.abort.signal.addEventListener('abort', () => abort.abort());
    expect(response.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    void (async () => {
      for await (const message of sseMessages(response)) reader.messages.push(message);
    })().catch(() => undefined);
    return reader;
  }

  /** Resolves with the first message `accepts` takes; fails naming `what` after `timeoutMs`. */
  async until(what: string, accepts: (message: SseMessage) => boolean, timeoutMs = 30_000): Promise<SseMessage> {
    for (const deadline = Date.now() + timeoutMs; ;) {
      const found = this.messages.find(accepts);
      if (found) return found;
      if (Date.now() > deadline) throw new Error(`no ${what} within ${timeoutMs} ms; got:\n${this.messages.map((m) => JSON.stringify(m)).join('\n')}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  /** The `session` events of one session, as "<session status>/<task status>", repeats folded. */
  steps(sessionId: string): string[] {
    return this.summaries(sessionId)
      .map((s) => `${s.status}/${s.task?.status ?? '-'}`)
      .filter((step, i, all) => step !== all[i - 1]);
  }

  summaries(sessionId: string): SessionSummaryV1[] {
    return this.messages.filter((m) => m.event === 'session' && (m.data as SessionSummaryV1).id === sessionId).map((m) => m.data as SessionSummaryV1);
  }

  close(): void {
    this.abort.abort();
  }
}

/** Issue #12: the dashboard's live overview over real HTTP, on a real all-in-one Patchbay. */
describeWith(['tmux'], 'the live overview: GET /api/events, GET /api/runners, session filters', () => {
  let pb: PatchbayInstance;
  let overview: OverviewReader;
  const gate = (sessionId: string) => writeFileSync(join(pb.dir, `${sessionId}.go`), '');

  beforeAll(async () => {
    pb = PatchbayInstance.prepare('overview');
    await pb.start({
      defaultAgent: 'echo',
      agents: { echo: { command: process.execPath, args: [GATED_AGENT, '{prompt}'], env: { GATE_DIR: pb.dir } } },
      http: { maxStreamsPerClient: 3 },
      redact: { patterns: ['sekret-[a-z0-9]{12,}'] },
    });
    overview = await OverviewReader.open(pb);
    expect(overview.status).toBe(200);
  });
  afterAll(async () => {
    overview?.close();
    await pb?.stop();
  });

  let first: string;

  it("sends a session's summary at each step, queued → running → idle, redacted, and the runners' heartbeats", async () => {
    const accepted = await pb.send(`deploy with ${SECRET} [gate]`, 'ov-1');
    first = accepted.sessionId!;
    await overview.until('a running task', (m) => m.event === 'session' && (m.data as SessionSummaryV1).id === first && (m.data as SessionSummaryV1).task?.status === 'running');
    // Live meanwhile: the session runs, on the runner the overview hears from.
    expect(await pb.get(`/api/sessions/${first}`)).toMatchObject({ status: 'running', runnerId: pb.runnerId, task: { id: accepted.taskId, status: 'running' } });
    const runner = await overview.until('a runner heartbeat', (m) => m.event === 'runner');
    expect(runner.data).toMatchObject({ runnerId: pb.runnerId, leaving: false, agents: expect.arrayContaining(['echo']) });
    gate(first);
    await overview.until('the session idle', () => overview.steps(first).at(-1) === 'idle/done');
    expect(overview.steps(first)).toEqual(['idle/queued', 'running/queued', 'running/running', 'idle/done']);
    const last = overview.summaries(first).at(-1)!;
    expect(last).toMatchObject({ agent: 'echo', model: null, runnerId: pb.runnerId, bindings: [{ channel: 'local', chatId: 'ov-1', delivery: 'live' }] });
    expect(last.task).toMatchObject({ id: accepted.taskId, channel: 'local', status: 'done' });
    expect(last.task!.prompt).toBe('deploy with [redacted:redact.patterns[0]] [gate]');
    expect(JSON.stringify(overview.messages)).not.toContain(SECRET);
  });

  it('lists the live runners with when each was seen, and how many tasks are queued', async () => {
    const accepted = await pb.send('second session [gate]', 'ov-2');
    const session = accepted.sessionId!;
    await overview.until('the second session running', () => overview.steps(session).includes('running/running'));
    // Behind the gated task, in the same session: it waits.
    const behind = await pb.send('then this', 'ov-2');
    const waiting = await pb.get<{ runners: RunnerSeenV1[]; queued: number }>('/api/runners');
    expect(waiting.queued).toBe(1);
    expect(waiting.runners).toEqual([expect.objectContaining({ runnerId: pb.runnerId, capacity: expect.any(Number), leaving: false })]);
    expect(Date.now() - Date.parse(waiting.runners[0].seenAt)).toBeLessThan(15_000);
    gate(session);
    await overview.until('the task behind done', () => overview.summaries(session).some((s) => s.task?.id === behind.taskId && s.task.status === 'done' && s.status === 'idle'));
    expect((await pb.get<{ queued: number }>('/api/runners')).queued).toBe(0);
  });

  it('filters GET /api/sessions by status, agent and channel, and names a bad filter', async () => {
    const ids = async (query: string) => (await pb.get<{ sessions: SessionSummaryV1[] }>(`/api/sessions${query}`)).sessions.map((s) => s.id);
    const all = await ids('');
    expect(all).toEqual(expect.arrayContaining([first]));
    expect(await ids('?status=idle&channel=local&agent=echo')).toEqual(all);
    expect(await ids('?status=running')).toEqual([]);
    expect(await ids('?channel=telegram')).toEqual([]);
    expect(await ids('?agent=demo')).toEqual([]);
    expect(await ids('?limit=1')).toEqual([all[0]]);
    const summary = await pb.get<SessionSummaryV1>(`/api/sessions/${first}`);
    expect(summary).toMatchObject({ id: first, bindings: [{ channel: 'local', chatId: 'ov-1' }], task: { status: 'done' }, model: null });
    for (const [query, message] of [
      ['?status=sleeping', 'status: expected one of idle, running, failed'],
      ['?agent=no%20spaces', 'agent: expected an agent name (1-100 letters, digits, ".", "_" or "-")'],
      ['?channel=a.b', 'channel: expected a channel name (1-40 letters, digits, "_" or "-")'],
      ['?agent=echo&agent=demo', 'agent: expected an agent name (1-100 letters, digits, ".", "_" or "-")'],
      ['?status=idle&status=running', 'status: expected one of idle, running, failed'],
      ['?limit=0', 'limit: expected a whole number from 1 to 500'],
    ]) {
      const response = await pb.request('GET', `/api/sessions${query}`);
      expect({ query, status: response.status, message: response.body.message }).toEqual({ query, status: 400, message });
    }
  });

  it('counts against the stream slots of session streams (429 past them) and frees its slot when the client goes', async () => {
    // The suite's overview holds one of the 3 slots.
    const more = [await OverviewReader.open(pb), await OverviewReader.open(pb)];
    expect(more.map((o) => o.status)).toEqual([200, 200]);
    const refused = await OverviewReader.open(pb);
    expect(refused.status).toBe(429);
    expect(JSON.parse(refused.body).message).toMatch(/^too many open event streams from .* \(at most 3\): close one first$/);
    const sessionStream = await pb.request('GET', `/api/sessions/${first}/events`);
    expect(sessionStream.status).toBe(429);
    more[0].close();
    let again: OverviewReader;
    for (const deadline = Date.now() + 5_000; (again = await OverviewReader.open(pb)).status !== 200;) {
      if (Date.now() > deadline) throw new Error(`the slot was not freed: ${again.status}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    again.close();
    more[1].close();
  });
});
