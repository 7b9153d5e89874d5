import { INestMicroservice, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { MetricsModule, PatchbayMetrics } from '@patchbay/metrics';
import { Bus, BusModule, BusServer, DirectInboundQueue, NatsTransport, TransportSubscription } from '@patchbay/bus';
import { Clock, ConfigModule, ConfigSchema } from '@patchbay/config';
import { newId, OutputEventV1, RunRequestV1, TaskV1 } from '@patchbay/contracts';
import { createTestDatabase } from '../../../../test/support/databases';
import { describeWith, NATS_URL } from '../../../../test/support/services';
import { ManualClock } from '../../../../test/support/manual-clock';
import { EngineModule } from '../engine.module';
import { RUNNER_LOST_MS, RunsService } from './runs.service';

jest.setTimeout(30_000);

type Ending = { type: 'final' } | { type: 'error'; code: string; text: string };

/** An engine on its own database and bus prefix (no runner: each spec brings its own fake). */
async function startEngine(name: string, clock?: Clock): Promise<{ app: INestMicroservice; bus: Bus; stop: () => Promise<void> }> {
  const db = await createTestDatabase(`pb_${name}`);
  const bus = new Bus(await NatsTransport.connect(NATS_URL, `${name}-spec`), { prefix: `pbtest${newId(6)}`, requestTimeoutMs: 5_000 });
  const config = ConfigSchema.parse({
    home: '/tmp/pb-runs-spec',
    maxAttempts: 3,
    routing: { rules: [{ name: 'main', agents: ['claude'], fallback: ['codex'] }] },
  });
  @Module({
    imports: [
      ConfigModule.forRoot(config),
      BusModule.forRoot({ bus, inbound: new DirectInboundQueue(bus) }),
      MetricsModule.forRoot({ metrics: new PatchbayMetrics(`spec-${name}`), distributed: false, answerScrapes: false }),
      EngineModule.forRoot({ databaseUrl: db.url, clock }),
    ],
  })
  class TestEngine {}
  const app = await NestFactory.createMicroservice(TestEngine, { strategy: new BusServer(bus), logger: false });
  await app.listen();
  return {
    app,
    bus,
    stop: async () => {
      await app.close();
      await bus.close();
      await db.drop();
    },
  };
}

/** Sends a message that becomes a task; its ids. */
async function sendMessage(bus: Bus): Promise<{ taskId: string; sessionId: string }> {
  const accepted = await bus.request('inbound.message', {
    channel: 'local',
    accountId: 'local',
    messageId: newId(),
    chatId: null,
    sender: { id: 'local', name: 'ada' },
    text: 'fix the build',
    receivedAt: new Date().toISOString(),
  });
  return { taskId: accepted.taskId!, sessionId: accepted.sessionId! };
}

/** Polls the task until `until` holds (10 s at most); the task as last read. */
async function taskWhen(bus: Bus, taskId: string, until: (task: TaskV1) => boolean): Promise<TaskV1> {
  let task: TaskV1 | null = null;
  for (const deadline = Date.now() + 10_000; Date.now() < deadline; await new Promise((r) => setTimeout(r, 50))) {
    task = (await bus.request('query.tasks.get', { id: taskId })).task;
    if (task && until(task)) break;
  }
  return task!;
}

/** Polls until `done` holds, 10 s at most. */
async function eventually(done: () => Promise<boolean>): Promise<void> {
  for (const deadline = Date.now() + 10_000; !(await done()) && Date.now() < deadline;) await new Promise((r) => setTimeout(r, 50));
}

const closed = (task: TaskV1) => !['new', 'routed', 'queued', 'running'].includes(task.status);

async function transcriptOf(bus: Bus, sessionId: string): Promise<OutputEventV1[]> {
  return (await bus.request('query.transcript', { sessionId, after: 0, limit: 100 })).events;
}

describeWith(['nats', 'postgres'], 'engine runs: retries, fallback agents and task history (real NATS and PostgreSQL)', () => {
  let bus: Bus;
  let stop: () => Promise<void>;
  const requests: RunRequestV1[] = [];
  /** How the fake runner ends each run, in order. */
  const script: Ending[] = [];

  beforeAll(async () => {
    ({ bus, stop } = await startEngine('runs'));
    // A runner that starts each run, then ends it as the script says.
    bus.respond(
      'runner.run',
      async (request) => {
        requests.push(request);
        const ending = script.shift() ?? { type: 'final' };
        const base = { sessionId: request.sessionId, taskId: request.taskId, runId: request.runId, at: new Date().toISOString() };
        setTimeout(() => {
          const publish = (event: OutputEventV1) => bus.publish('session.*.output', event, [request.sessionId]);
          publish({ ...base, seq: request.nextSeq, type: 'status', state: 'started', text: 'started' });
          publish(
            ending.type === 'final'
              ? { ...base, seq: request.nextSeq + 1, type: 'final', text: 'all good', durationMs: 5, exitCode: 0 }
              : { ...base, seq: request.nextSeq + 1, type: 'error', code: ending.code, text: ending.text, exitCode: 1 },
          );
        }, 20);
        return { runnerId: 'fake-runner', tmuxSession: `pb-${request.sessionId}`, position: 0 };
      },
      { queue: 'runners' },
    );
  });

  afterAll(async () => {
    await stop?.();
  });

  async function runTask(...endings: Ending[]): Promise<{ task: TaskV1; runs: RunRequestV1[]; events: OutputEventV1[] }> {
    script.push(...endings);
    const before = requests.length;
    const { taskId, sessionId } = await sendMessage(bus);
    const task = await taskWhen(bus, taskId, closed);
    return { task, runs: requests.slice(before), events: await transcriptOf(bus, sessionId) };
  }

  it('runs a task once and records its history', async () => {
    const { task, runs } = await runTask({ type: 'final' });
    expect(task).toMatchObject({ status: 'done', attempts: 1, agent: 'claude' });
    expect(runs).toHaveLength(1);
    expect(task.history!.map((h) => [h.from, h.to])).toEqual([
      [null, 'new'],
      ['new', 'routed'],
      ['routed', 'queued'],
      ['queued', 'running'],
      ['running', 'done'],
    ]);
    expect(task.history![1].reason).toBe('rule main chose claude');
  });

  it('gives a task whose agent hit its usage limit to the fallback agent', async () => {
    const { task, runs, events } = await runTask({ type: 'error', code: 'agent_failed', text: 'Claude AI usage limit reached|1763719200' }, { type: 'final' });
    expect(runs.map((r) => r.agent)).toEqual(['claude', 'codex']);
    expect(runs[1].runId).not.toBe(runs[0].runId);
    expect(task).toMatchObject({ status: 'done', attempts: 2, agent: 'codex', error: null });
    expect(task.history!.find((h) => h.from === 'running' && h.to === 'queued')?.reason).toBe('agent_failed: attempt 2 of 3 with codex');
    expect(events.map((e) => e.type)).toEqual(['status', 'error', 'status', 'final']);
  });

  it('retries a run whose runner was lost with the same agent, up to maxAttempts', async () => {
    const lost = { type: 'error', code: 'runner_lost', text: 'runner r1 stopped answering' } as const;
    const { task, runs } = await runTask(lost, lost, lost);
    expect(runs.map((r) => r.agent)).toEqual(['claude', 'claude', 'claude']);
    expect(task).toMatchObject({ status: 'failed', attempts: 3, error: 'runner r1 stopped answering' });
  });

  it.each([
    ['killed', 'cancelled'],
    ['agent_not_installed', 'blocked'],
    ['agent_failed', 'failed'],
  ])('closes a task whose run ended with %s as %s, without retrying', async (code, status) => {
    const { task, runs } = await runTask({ type: 'error', code, text: `ended: ${code}` });
    expect(runs).toHaveLength(1);
    expect(task).toMatchObject({ status, attempts: 1, error: `ended: ${code}` });
  });
});

describeWith(['nats', 'postgres'], 'engine runs: recovery when runners come and go (real NATS and PostgreSQL)', () => {
  const clock = new ManualClock('2030-01-01T10:00:00.000Z');
  let app: INestMicroservice;
  let bus: Bus;
  let stop: () => Promise<void>;
  let runner: TransportSubscription | undefined;
  /** Runs the fake runner took and holds open, by session. */
  const live = new Map<string, RunRequestV1>();
  const resyncs: string[] = [];

  beforeAll(async () => {
    ({ app, bus, stop } = await startEngine('runs_recovery', clock));
    bus.respond('runner.*.resync', async ({ sessionId }) => (resyncs.push(sessionId), { republished: 0 }), { params: ['r1'] });
  });

  afterEach(() => {
    runner?.unsubscribe();
    runner = undefined;
  });

  afterAll(async () => {
    await stop?.();
  });

  const heartbeat = (leaving = false) =>
    bus.publish('runner.heartbeat', {
      runnerId: 'r1',
      host: 'spec',
      agents: ['claude'],
      activeRuns: live.size,
      capacity: 4,
      tmux: { ok: true, detail: 'ok' },
      at: clock.now().toISOString(),
      leaving,
    });

  /** Runner r1 comes up: it starts each run and keeps it open until `end`. */
  function runnerUp(): void {
    runner = bus.respond(
      'runner.run',
      async (request) => {
        live.set(request.sessionId, request);
        setTimeout(() => publish(request, request.nextSeq, { type: 'status', state: 'started', text: 'started' }), 20);
        return { runnerId: 'r1', tmuxSession: `pb-${request.sessionId}`, position: 0 };
      },
      { queue: 'runners' },
    );
  }

  function publish(request: RunRequestV1, seq: number, event: Record<string, unknown>): void {
    const base = { sessionId: request.sessionId, taskId: request.taskId, runId: request.runId, at: new Date().toISOString() };
    bus.publish('session.*.output', { ...base, seq, ...event } as OutputEventV1, [request.sessionId]);
  }

  function end(sessionId: string): void {
    const request = live.get(sessionId)!;
    live.delete(sessionId);
    publish(request, request.nextSeq + 1, { type: 'final', text: 'all good', durationMs: 5, exitCode: 0 });
  }

  const recover = () => app.get(RunsService).recover();

  it('keeps a task sent while no runner is up queued, says it waits, and runs it once a runner comes', async () => {
    const { taskId, sessionId } = await sendMessage(bus);
    await eventually(async () => (await transcriptOf(bus, sessionId)).length > 0);
    expect(await taskWhen(bus, taskId, () => true)).toMatchObject({ status: 'queued', attempts: 1, error: null });
    expect((await transcriptOf(bus, sessionId)).map((e) => [e.type, e.type === 'status' ? e.state : null, 'text' in e ? e.text : null])).toEqual([
      ['status', 'waiting', 'waiting for a runner: no runner is connected: start one with `patchbay start runner`'],
    ]);

    runnerUp();
    heartbeat();
    await taskWhen(bus, taskId, (task) => task.status === 'running');
    end(sessionId);
    const task = await taskWhen(bus, taskId, closed);
    expect(task).toMatchObject({ status: 'done', attempts: 1 });
    expect((await transcriptOf(bus, sessionId)).map((e) => e.type)).toEqual(['status', 'status', 'final']);
  });

  it("gives a leaving runner's runs the grace for the next runner process, which takes them back", async () => {
    runnerUp();
    clock.advance(RUNNER_LOST_MS + 1_000);
    heartbeat();
    const { taskId, sessionId } = await sendMessage(bus);
    await taskWhen(bus, taskId, (task) => task.status === 'running');
    heartbeat(true);
    await new Promise((r) => setTimeout(r, 100));
    clock.advance(RUNNER_LOST_MS - 1_000);
    await recover();
    expect(await taskWhen(bus, taskId, () => true)).toMatchObject({ status: 'running' });

    // The next runner process: its first heartbeat asks for the events it may have missed.
    resyncs.length = 0;
    heartbeat();
    await eventually(async () => resyncs.length > 0);
    expect(resyncs).toEqual([sessionId]);
    end(sessionId);
    expect(await taskWhen(bus, taskId, closed)).toMatchObject({ status: 'done', attempts: 1 });
  });

  it("fails a leaving runner's run once no runner took it back, naming the stop, with one runner_lost however many passes", async () => {
    runnerUp();
    heartbeat();
    const { taskId, sessionId } = await sendMessage(bus);
    await taskWhen(bus, taskId, (task) => task.status === 'running');
    runner!.unsubscribe();
    runner = undefined;
    heartbeat(true);
    await new Promise((r) => setTimeout(r, 100));
    clock.advance(RUNNER_LOST_MS + 1_000);
    await Promise.all([recover(), recover()]);
    await recover();
    // Its retry finds no runner: the task waits in its queue for one.
    const task = await taskWhen(bus, taskId, (t) => t.attempts === 2);
    await new Promise((r) => setTimeout(r, 200));
    expect(task).toMatchObject({ status: 'queued' });
    const lost = (await transcriptOf(bus, sessionId)).filter((e) => e.type === 'error');
    expect(lost).toEqual([expect.objectContaining({ code: 'runner_lost', text: 'runner r1 stopped 61 s ago and no runner took its runs back; the run is given up' })]);
  });
});
