import { INestMicroservice, Logger, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { MetricsModule, PatchbayMetrics } from '@patchbay/metrics';
import { Bus, BusModule, BusServer, DirectInboundQueue, InProcessTransport } from '@patchbay/bus';
import { ConfigModule, ConfigSchema } from '@patchbay/config';
import { InboundAcceptedV1, newId, RunRequestV1, SessionListQueryV1, SessionSummaryV1 } from '@patchbay/contracts';
import { createTestDatabase } from '../../../../test/support/databases';
import { describeWith } from '../../../../test/support/services';
import { EngineModule } from '../engine.module';

jest.setTimeout(30_000);

/**
 * Session summaries on the real engine and a real PostgreSQL (in-process bus, a fake runner
 * that takes every run and reports what the spec tells it to): what `query.sessions.*`
 * answer and filter, and the `session.*.summary` events each status, task and chat change
 * publishes.
 */
describeWith(['postgres'], 'session summaries (real PostgreSQL, the engine)', () => {
  const config = ConfigSchema.parse({
    home: '/tmp/pb-summaries-spec',
    defaultAgent: 'demo',
    agents: { coder: { command: process.execPath, model: 'big-model' } },
    routing: { rules: [{ name: 'issues', match: { channel: 'github' }, agents: ['coder'] }] },
    access: { owners: ['telegram:1', 'github:1', 'local:*'] },
  });
  let drop: () => Promise<void>;
  let app: INestMicroservice;
  let bus: Bus;
  const runs: RunRequestV1[] = [];
  const published: SessionSummaryV1[] = [];
  const quiet: jest.SpyInstance[] = [];

  beforeAll(async () => {
    quiet.push(jest.spyOn(Logger.prototype, 'log').mockImplementation(() => undefined));
    const db = await createTestDatabase('pb_summaries');
    drop = db.drop;
    bus = new Bus(new InProcessTransport(), { prefix: `pbtest${newId(6)}`, requestTimeoutMs: 5_000 });
    bus.respond('runner.run', async (request) => {
      runs.push(request);
      return { runnerId: 'fake-runner', tmuxSession: `pb-${request.sessionId}`, position: 0 };
    });
    bus.subscribe('session.*.summary', (summary) => void published.push(summary));
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
  });

  afterAll(async () => {
    await app?.close();
    await bus?.close();
    await drop?.();
    for (const spy of quiet) spy.mockRestore();
  });

  const send = (channel: 'telegram' | 'github', chatId: string, text: string): Promise<InboundAcceptedV1> =>
    bus.request('inbound.message', { channel, accountId: 'bot', messageId: newId(), chatId, sender: { id: '1', name: 'Ada' }, text, receivedAt: new Date().toISOString() });
  const list = async (filters: Partial<SessionListQueryV1> = {}) => (await bus.request('query.sessions.list', { limit: 50, ...filters })).sessions.map((s) => s.id);
  /** The session's summaries as published, each as "<session status>/<task status>", repeats folded. */
  const steps = (sessionId: string) =>
    published
      .filter((s) => s.id === sessionId)
      .map((s) => `${s.status}/${s.task?.status ?? '-'}`)
      .filter((step, i, all) => step !== all[i - 1]);
  const output = (run: RunRequestV1, seq: number, event: Record<string, unknown>) =>
    bus.publish('session.*.output', { sessionId: run.sessionId, taskId: run.taskId, runId: run.runId, seq, at: new Date().toISOString(), ...event } as never, [run.sessionId]);

  let chatSession: string;
  let issueSession: string;
  const longPrompt = `${'a'.repeat(190)} and then a much longer tail that the overview never shows`;

  beforeAll(async () => {
    chatSession = (await send('telegram', 'tg-1', 'hello')).sessionId!;
    await until(() => runs.some((r) => r.sessionId === chatSession));
    const run = runs.find((r) => r.sessionId === chatSession)!;
    output(run, run.nextSeq, { type: 'status', state: 'started', text: 'started' });
    output(run, run.nextSeq + 1, { type: 'final', text: 'hi', durationMs: 5, exitCode: 0 });
    await until(() => steps(chatSession).at(-1) === 'idle/done');
    // An issue's session stays running: its runner took the run and says nothing yet.
    issueSession = (await send('github', 'o/r#1', longPrompt)).sessionId!;
    await until(() => runs.some((r) => r.sessionId === issueSession));
    // Another issue follows the chat's session.
    await send('github', 'o/r#2', `/attach ${chatSession}`);
    await until(() => (published.filter((s) => s.id === chatSession).at(-1)?.bindings.length ?? 0) === 2);
  });

  it('publishes each step of a task once stored: queued, the session claimed, the task running, done and the session idle', () => {
    expect(steps(chatSession)).toEqual(['idle/queued', 'running/queued', 'running/running', 'idle/done']);
    expect(steps(issueSession)).toEqual(['idle/queued', 'running/queued']);
  });

  it("publishes the session's chats when one attaches, with everything else a follower needs", () => {
    const last = published.filter((s) => s.id === chatSession).at(-1)!;
    expect(last).toMatchObject({
      status: 'idle',
      agent: 'demo',
      model: null,
      task: { status: 'done', prompt: 'hello', channel: 'telegram' },
      bindings: [
        { channel: 'telegram', chatId: 'tg-1', delivery: 'live' },
        { channel: 'github', chatId: 'o/r#2', delivery: 'live' },
      ],
    });
    expect(last.task!.startedAt).not.toBeNull();
    expect(last.task!.finishedAt).not.toBeNull();
  });

  it("answers query.sessions.get with the summary: the profile's model, the prompt cut to 200 characters", async () => {
    const { session } = await bus.request('query.sessions.get', { id: issueSession });
    expect(session).toMatchObject({ id: issueSession, status: 'running', agent: 'coder', model: 'big-model', bindings: [{ channel: 'github', chatId: 'o/r#1' }] });
    expect(session!.task).toMatchObject({ status: 'queued', channel: 'github', startedAt: null, finishedAt: null, prompt: longPrompt.slice(0, 200) });
    expect((await bus.request('query.sessions.get', { id: 'nosuchsession' })).session).toBeNull();
  });

  it('lists newest first and filters by status, agent and channel (a chat of the session, or its latest task)', async () => {
    expect(await list()).toEqual([issueSession, chatSession]);
    expect(await list({ limit: 1 })).toEqual([issueSession]);
    expect(await list({ status: 'running' })).toEqual([issueSession]);
    expect(await list({ status: 'idle' })).toEqual([chatSession]);
    expect(await list({ status: 'failed' })).toEqual([]);
    expect(await list({ agent: 'coder' })).toEqual([issueSession]);
    expect(await list({ agent: 'demo', status: 'running' })).toEqual([]);
    // The chat's session came from Telegram; an issue follows it.
    expect(await list({ channel: 'github' })).toEqual([issueSession, chatSession]);
    expect(await list({ channel: 'telegram' })).toEqual([chatSession]);
    expect(await list({ channel: 'discord' })).toEqual([]);
  });

  it("matches a session by its latest task's channel too, without any of its chats there", async () => {
    // A message from the local channel without a chat: the session has no chat, only the task.
    const api = (
      await bus.request('inbound.message', {
        channel: 'local',
        accountId: 'local',
        messageId: newId(),
        chatId: null,
        sender: { id: 'local' },
        text: 'from the api',
        receivedAt: new Date().toISOString(),
      })
    ).sessionId!;
    await until(() => steps(api).includes('running/queued'));
    expect(await list({ channel: 'local' })).toEqual([api]);
    const summary = published.filter((s) => s.id === api).at(-1)!;
    expect(summary.bindings).toEqual([]);
  });

  it('counts the queued tasks for query.tasks.queued', async () => {
    // Both open runs were taken by the runner but never started.
    expect(await bus.request('query.tasks.queued', {})).toEqual({ queued: 2 });
  });

  it('refuses a bad filter value at the bus too', async () => {
    await expect(bus.request('query.sessions.list', { limit: 5, status: 'sleeping' } as never)).rejects.toThrow(/invalid payload on .*query.sessions.list/);
  });
});

async function until(condition: () => boolean | Promise<boolean>): Promise<void> {
  for (const deadline = Date.now() + 5_000; !(await condition());) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
