import { INestMicroservice, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { MetricsModule, PatchbayMetrics } from '@patchbay/metrics';
import { Bus, BusModule, BusServer, DirectInboundQueue, NatsTransport } from '@patchbay/bus';
import { ConfigModule, ConfigSchema } from '@patchbay/config';
import { newId, OutputEventV1, RunRequestV1, TaskV1 } from '@patchbay/contracts';
import { createTestDatabase } from '../../../../test/support/databases';
import { describeWith, NATS_URL } from '../../../../test/support/services';
import { EngineModule } from '../engine.module';

jest.setTimeout(30_000);

type Ending = { type: 'final' } | { type: 'error'; code: string; text: string };

describeWith(['nats', 'postgres'], 'engine runs: retries, fallback agents and task history (real NATS and PostgreSQL)', () => {
  let app: INestMicroservice;
  let bus: Bus;
  let drop: () => Promise<void>;
  const requests: RunRequestV1[] = [];
  /** How the fake runner ends each run, in order. */
  const script: Ending[] = [];

  beforeAll(async () => {
    const db = await createTestDatabase('pb_runs');
    drop = db.drop;
    bus = new Bus(await NatsTransport.connect(NATS_URL, 'runs-spec'), { prefix: `pbtest${newId(6)}`, requestTimeoutMs: 5_000 });
    const config = ConfigSchema.parse({
      home: '/tmp/pb-runs-spec',
      maxAttempts: 3,
      routing: { rules: [{ name: 'main', agents: ['claude'], fallback: ['codex'] }] },
    });
    @Module({
      imports: [
        ConfigModule.forRoot(config),
        BusModule.forRoot({ bus, inbound: new DirectInboundQueue(bus) }),
        MetricsModule.forRoot({ metrics: new PatchbayMetrics('spec-engine'), distributed: false, answerScrapes: false }),
        EngineModule.forRoot({ databaseUrl: db.url }),
      ],
    })
    class TestEngine {}
    app = await NestFactory.createMicroservice(TestEngine, { strategy: new BusServer(bus), logger: false });
    await app.listen();
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
    await app?.close();
    await bus?.close();
    await drop?.();
  });

  async function runTask(...endings: Ending[]): Promise<{ task: TaskV1; runs: RunRequestV1[]; events: OutputEventV1[] }> {
    script.push(...endings);
    const before = requests.length;
    const accepted = await bus.request('inbound.message', {
      channel: 'local',
      accountId: 'local',
      messageId: newId(),
      chatId: null,
      sender: { id: 'local', name: 'ada' },
      text: 'fix the build',
      receivedAt: new Date().toISOString(),
    });
    let task: TaskV1 | null = null;
    for (const deadline = Date.now() + 10_000; Date.now() < deadline; await new Promise((r) => setTimeout(r, 50))) {
      task = (await bus.request('query.tasks.get', { id: accepted.taskId! })).task;
      if (task && !['new', 'routed', 'queued', 'running'].includes(task.status)) break;
    }
    const { events } = await bus.request('query.transcript', { sessionId: accepted.sessionId!, after: 0, limit: 100 });
    return { task: task!, runs: requests.slice(before), events };
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
