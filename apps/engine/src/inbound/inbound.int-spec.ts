import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { INestMicroservice } from '@nestjs/common';
import { MetricsModule, PatchbayMetrics } from '@patchbay/metrics';
import { AppError, Bus, BusModule, BusServer, DirectInboundQueue, NatsTransport } from '@patchbay/bus';
import { ConfigModule, ConfigSchema } from '@patchbay/config';
import { InboundAcceptedV1, newId, Role } from '@patchbay/contracts';
import { AccessStore, SessionsStore, TasksStore } from '@patchbay/persistence';
import { createTestDatabase } from '../../../../test/support/databases';
import { describeWith, NATS_URL } from '../../../../test/support/services';
import { PAIRING_TTL_MS } from '../access/access.service';
import { ManualClock } from '../../../../test/support/manual-clock';
import { EngineModule } from '../engine.module';

jest.setTimeout(30_000);

describeWith(['nats', 'postgres'], 'engine inbound: who may do what (real NATS and PostgreSQL)', () => {
  const clock = new ManualClock('2026-11-21T10:00:00Z');
  let app: INestMicroservice;
  let bus: Bus;
  let drop: () => Promise<void>;
  let sessions: SessionsStore;
  let tasks: TasksStore;
  let access: AccessStore;

  beforeAll(async () => {
    const db = await createTestDatabase('pb_inbound');
    drop = db.drop;
    bus = new Bus(await NatsTransport.connect(NATS_URL, 'inbound-spec'), { prefix: `pbtest${newId(6)}`, requestTimeoutMs: 5_000 });
    const config = ConfigSchema.parse({
      home: '/tmp/pb-inbound-spec',
      defaultAgent: 'demo',
      access: { owners: ['telegram:1'], operators: ['telegram:2'], viewers: ['telegram:3'] },
      pairing: { newCodesPerHour: 4 },
    });
    @Module({
      imports: [
        ConfigModule.forRoot(config),
        BusModule.forRoot({ bus, inbound: new DirectInboundQueue(bus) }),
        MetricsModule.forRoot({ metrics: new PatchbayMetrics('spec-engine'), distributed: false, answerScrapes: false }),
        EngineModule.forRoot({ databaseUrl: db.url, clock }),
      ],
    })
    class TestEngine {}
    app = await NestFactory.createMicroservice(TestEngine, { strategy: new BusServer(bus), logger: false });
    await app.listen();
    sessions = app.get(SessionsStore);
    tasks = app.get(TasksStore);
    access = app.get(AccessStore);
  });

  afterAll(async () => {
    await app?.close();
    await bus?.close();
    await drop?.();
  });

  /** A message from telegram user `user` in chat `chat`, through the bus as a plugin sends it. */
  const send = (user: number, text: string, chat = `chat-${user}`, name = `user${user}`): Promise<InboundAcceptedV1> =>
    bus.request('inbound.message', {
      channel: 'telegram',
      accountId: 'bot',
      messageId: newId(),
      chatId: chat,
      sender: { id: String(user), name },
      text,
      receivedAt: new Date().toISOString(),
    });

  let session: string;

  beforeAll(async () => {
    const first = await send(1, 'set up the project', 'owner-chat');
    session = first.sessionId!;
    // The viewer and the operator follow the owner's session from their own chats.
    await send(3, `/attach ${session}`, 'viewer-chat');
    await send(2, `/attach ${session}`, 'operator-chat');
  });

  describe('the authorization matrix', () => {
    const cases: Array<[string, number, string, string]> = [
      // role, user, chat, …
      ['owner', 1, 'owner-chat', 'allow'],
      ['operator', 2, 'operator-chat', 'allow'],
      ['viewer', 3, 'viewer-chat', 'deny'],
    ];

    it.each(cases)('%s: prompt', async (_role, user, chat, expected) => {
      const result = await send(user, 'please add tests', chat);
      expect(result.outcome).toBe(expected === 'allow' ? 'task' : 'denied');
      if (expected === 'deny') expect(result.reply).toBe('You may watch but not send messages here (your role: viewer).');
    });

    it.each(cases)('%s: stop', async (_role, user, chat, expected) => {
      const result = await send(user, '/stop', chat);
      expect(result.outcome).toBe(expected === 'allow' ? 'command' : 'denied');
      expect(result.reply).toBe(expected === 'allow' ? `Session ${session} has no live run.` : 'You may not use /stop (your role: viewer).');
    });

    it.each(cases.map(([role, user, chat]) => [role, user, chat, 'allow']))('%s: watch', async (_role, user, chat) => {
      const result = await send(user, '/status', chat);
      expect(result).toMatchObject({ outcome: 'command', reply: expect.stringMatching(new RegExp(`^Session ${session}: .*followed by 3 chat\\(s\\)`)) });
    });

    it.each([
      ['owner', 1, 'allow'],
      ['operator', 2, 'deny'],
      ['viewer', 3, 'deny'],
    ] as const)('%s: approve a pairing', async (role, user, expected) => {
      const result = await send(user, '/pair approve ZZZZ2222');
      if (expected === 'allow') expect(result).toMatchObject({ outcome: 'command', reply: 'No open pairing request ZZZZ2222 (wrong, expired or already decided).' });
      else expect(result).toMatchObject({ outcome: 'denied', reply: `You may not use /pair (your role: ${role}).` });
    });

    it('unknown: prompt, stop, watch and approve all get the pairing code, and nothing runs', async () => {
      const tasksBefore = (await tasks.listTasks(500)).length;
      const replies = await Promise.all(['do it', '/stop', `/attach ${session}`, '/pair approve ZZZZ2222'].map((text) => send(99, text)));
      for (const reply of replies) expect(reply).toMatchObject({ outcome: 'pairing', taskId: null, sessionId: null });
      const codes = replies.map((r) => /Pairing code: ([A-Z2-9]{8})/.exec(r.reply!)?.[1]);
      expect(new Set(codes).size).toBe(1);
      expect((await tasks.listTasks(500)).length).toBe(tasksBefore);
      expect(await sessions.bindings(session)).toHaveLength(3);
    });

    it("tells a channel a user's role before anything is submitted (null for strangers)", async () => {
      const roleOf = async (senderId: string, channel = 'telegram') => (await bus.request('access.role', { channel, senderId })).role;
      expect(await Promise.all(['1', '2', '3', '99'].map((id) => roleOf(id)))).toEqual(['owner', 'operator', 'viewer', null]);
      expect(await roleOf('1', 'discord')).toBeNull();
    });

    it('audits every decision', async () => {
      const { entries } = await bus.request('access.audit', { limit: 500 });
      expect(entries).toContainEqual(expect.objectContaining({ actor: 'telegram:3', action: 'prompt', decision: 'deny', detail: 'role viewer' }));
      expect(entries).toContainEqual(expect.objectContaining({ actor: 'telegram:2', action: 'stop', decision: 'allow', detail: 'command /stop' }));
      expect(entries).toContainEqual(expect.objectContaining({ actor: 'telegram:99', action: 'message', decision: 'deny' }));
    });
  });

  describe('jobs from a chat', () => {
    it('lists jobs, and reports a job that does not exist by name', async () => {
      expect(await send(3, '/jobs', 'viewer-chat')).toMatchObject({ outcome: 'command', reply: 'No scheduled jobs.' });
      const run = await send(2, '/run nightly', 'operator-chat');
      expect(run.reply).toMatch(/^Could not do that: .*nightly/);
      expect(await send(3, '/run nightly', 'viewer-chat')).toMatchObject({ outcome: 'denied' });
    });
  });

  describe('pairing', () => {
    const codeOf = (r: InboundAcceptedV1) => /Pairing code: ([A-Z2-9]{8})/.exec(r.reply ?? '')?.[1];
    const auditOf = async (actor: string) =>
      (await bus.request('access.audit', { limit: 500 })).entries.filter((e) => e.actor === actor && e.action === 'message').map((e) => e.detail);

    it('gives each unknown sender one code, the same again when they ask again (not extended), however many others hold one', async () => {
      // telegram:99 holds one open code from the matrix; three more senders get theirs (old cap: 3 per channel).
      const a = codeOf(await send(101, 'hi'));
      const b = codeOf(await send(102, 'hi'));
      const c = codeOf(await send(103, 'hi'));
      expect(a).toMatch(/^[A-HJ-KM-NP-Z2-9]{8}$/);
      expect(new Set([a, b, c]).size).toBe(3);
      const first = (await bus.request('access.pairings', {})).pending.find((p) => p.code === a)!;
      clock.advance(10 * 60 * 1000);
      expect(codeOf(await send(101, 'hi again'))).toBe(a);
      expect((await bus.request('access.pairings', {})).pending.find((p) => p.code === a)).toEqual(first);
      expect(await auditOf('telegram:101')).toEqual(['unknown sender: pairing code re-sent, nothing run', 'unknown sender: pairing code sent, nothing run']);
    });

    it('hands out at most pairing.newCodesPerHour new codes per channel an hour, and says so in the audit log', async () => {
      const refused = await send(104, 'hi');
      expect(refused).toMatchObject({ outcome: 'pairing', reply: expect.stringContaining('too many pairing codes were handed out in the last hour') });
      expect(codeOf(refused)).toBeUndefined();
      expect(await auditOf('telegram:104')).toEqual(['unknown sender: pairing refused: rate limit, nothing run']);
      // Another channel has its own budget.
      const discord = await bus.request('inbound.message', {
        channel: 'discord',
        accountId: 'bot',
        messageId: newId(),
        chatId: 'dm-104',
        sender: { id: '104' },
        text: 'hi',
        receivedAt: new Date().toISOString(),
      });
      expect(codeOf(discord)).toMatch(/^[A-Z2-9]{8}$/);
      expect((await bus.request('access.pairings', {})).pending).toHaveLength(5);
    });

    it('expires codes after an hour, and lets a new code through once the hour has passed', async () => {
      const a = (await bus.request('access.pairings', {})).pending.find((p) => p.platformUserId === '101')!.code;
      clock.advance(PAIRING_TTL_MS + 1);
      expect((await bus.request('access.pairings', {})).pending).toHaveLength(0);
      await expect(bus.request('access.pair.approve', { code: a, role: 'operator', by: 'telegram:1' })).rejects.toMatchObject({ code: 'not_found' });
      const fresh = codeOf(await send(104, 'hi'));
      expect(fresh).toMatch(/^[A-Z2-9]{8}$/);

      const principal = await bus.request('access.pair.approve', { code: fresh!, role: 'operator', by: 'telegram:1' });
      expect(principal).toMatchObject({ role: 'operator', identities: ['telegram:104'], name: 'user104' });
      expect(await send(104, 'now run something')).toMatchObject({ outcome: 'task' });
      await expect(bus.request('access.pair.approve', { code: fresh!, role: 'owner', by: 'telegram:1' })).rejects.toMatchObject({ code: 'not_found' });
      expect(await access.sender('telegram', '104')).toMatchObject({ role: 'operator' });
    });
  });

  describe('one session, several chats', () => {
    it('attributes messages to their sender when several chats share the session', async () => {
      const result = await send(2, 'run the linter', 'operator-chat', 'Grace');
      const { task } = await bus.request('query.tasks.get', { id: result.taskId! });
      expect(task).toMatchObject({ sessionId: session, prompt: '[Grace] run the linter' });
    });

    it('gives a chat that attaches late the output so far', async () => {
      // No runner here: the session's tasks wait in its queue for one, each dispatch telling so
      // with a status event. Wait for the session to settle: free, and its seq still across two looks.
      let lastSeq = -1;
      await until(async () => {
        const { session: now } = await bus.request('query.sessions.get', { id: session });
        const settled = now!.status === 'idle' && now!.lastSeq === lastSeq;
        lastSeq = now!.lastSeq;
        return settled;
      });
      const { session: stored } = await bus.request('query.sessions.get', { id: session });
      bus.publish(
        'session.*.output',
        { type: 'text', text: 'compiled 12 files\n', sessionId: session, taskId: 'unknowntask', runId: 'run00001', seq: stored!.lastSeq + 1, at: new Date().toISOString() },
        [session],
      );
      await until(async () => (await bus.request('query.sessions.get', { id: session })).session!.lastSeq > stored!.lastSeq);
      const late = await send(1, `/attach ${session} final`, 'late-chat');
      expect(late.reply).toMatch(new RegExp(`^Attached to session ${session} \\(demo, idle; delivery final\\)\\.\\nSo far:\\n`));
      expect(late.reply).toMatch(/compiled 12 files$/);
      expect(await sessions.bindings(session)).toContainEqual({ channel: 'telegram', chatId: 'late-chat', delivery: 'final' });
      expect(await send(1, '/detach', 'late-chat')).toMatchObject({ reply: `Detached from session ${session}.` });
      expect(await sessions.bindings(session)).not.toContainEqual(expect.objectContaining({ chatId: 'late-chat' }));
    });
  });

  describe('choosing the agent', () => {
    it('/agent <name> in a chat without a session opens one with that agent, where the next message runs', async () => {
      const opened = await send(1, '/agent demo', 'fresh-chat');
      expect(opened).toMatchObject({ outcome: 'command', reply: expect.stringMatching(/^Session [a-z0-9]+ uses demo\. Send a message to start\.$/) });
      const next = await send(1, 'hello there', 'fresh-chat');
      expect(next).toMatchObject({ outcome: 'task', sessionId: opened.sessionId ?? expect.any(String) });
      const { task } = await bus.request('query.tasks.get', { id: next.taskId! });
      expect(task).toMatchObject({ agent: 'demo', prompt: 'hello there' });
      expect(opened.reply).toContain(next.sessionId!);
    });
  });

  describe('channels that vouch for their senders (GitHub, API tokens)', () => {
    const submitAs = (user: string, text: string, vouch?: { role: Role; reason: string }, chat = 'o/r#1', channel = 'github') =>
      bus.request('inbound.message', {
        channel,
        accountId: 'api.github.com',
        messageId: newId(),
        chatId: chat,
        sender: { id: user, name: `login${user}`, ...(vouch ? { vouch } : {}) },
        text,
        receivedAt: new Date().toISOString(),
      });
    const vouch = { role: 'operator' as const, reason: 'login501 has write permission on o/r' };

    it('lets a vouched sender prompt as an operator, and audits why', async () => {
      expect(await submitAs('501', 'fix the typo', vouch)).toMatchObject({ outcome: 'task' });
      expect(await submitAs('501', '/pair', vouch)).toMatchObject({ outcome: 'denied', reply: 'You may not use /pair (your role: operator).' });
      const { entries } = await bus.request('access.audit', { limit: 500 });
      expect(entries).toContainEqual(expect.objectContaining({ actor: 'github:501', action: 'vouch', decision: 'allow', detail: `github vouches (operator): ${vouch.reason}` }));
    });

    it('refuses an unvouched GitHub sender without a pairing code or an answer', async () => {
      const pairingsBefore = (await bus.request('access.pairings', {})).pending.length;
      const result = await submitAs('502', 'rm -rf /', undefined, 'o/r#2');
      expect(result).toMatchObject({ outcome: 'denied', taskId: null, sessionId: null });
      expect(result.reply ?? '').toBe('');
      expect((await bus.request('access.pairings', {})).pending).toHaveLength(pairingsBefore);
      expect(await sessions.boundSession('github', 'o/r#2')).toBeNull();
    });

    it('ignores a vouch from any other channel, and audits the refusal', async () => {
      const result = await submitAs('503', 'hi', vouch, 'chat-503', 'telegram');
      expect(result.outcome).toBe('pairing');
      const { entries } = await bus.request('access.audit', { limit: 500 });
      expect(entries).toContainEqual(expect.objectContaining({ actor: 'telegram:503', action: 'vouch', decision: 'deny' }));
    });

    it('believes each channel only up to its ceiling: an API token may vouch owner, GitHub may not', async () => {
      const owner = { role: 'owner' as const, reason: 'API token "admin"' };
      expect(await submitAs('admin', '/pair', owner, 'api-chat', 'api')).toMatchObject({ outcome: 'command' });
      expect(await submitAs('viewer', 'hello', { role: 'viewer', reason: 'API token "viewer"' }, 'api-chat-2', 'api')).toMatchObject({ outcome: 'denied' });
      expect(await submitAs('504', 'hi', owner, 'o/r#5')).toMatchObject({ outcome: 'denied', reply: '' });
      const { entries } = await bus.request('access.audit', { limit: 500 });
      expect(entries).toContainEqual(expect.objectContaining({ actor: 'api:admin', action: 'vouch', decision: 'allow' }));
      expect(entries).toContainEqual(
        expect.objectContaining({ actor: 'github:504', action: 'vouch', decision: 'deny', detail: 'channel github may vouch up to operator, not owner' }),
      );
    });

    it('/retry puts the last failed task back in the queue, and nothing else', async () => {
      // A runner that cannot start the agent: the task fails at once (no runner would only make it wait).
      const runner = bus.respond(
        'runner.run',
        async () => {
          throw new AppError('spawn_failed', 'the agent could not start');
        },
        { queue: 'runners' },
      );
      const first = await submitAs('501', 'build it', vouch, 'o/r#3');
      await until(async () => (await bus.request('query.tasks.get', { id: first.taskId! })).task?.status === 'failed');
      expect(await submitAs('501', '/retry', vouch, 'o/r#3')).toMatchObject({ outcome: 'command', reply: `Task ${first.taskId} runs again.` });
      await until(async () => (await bus.request('query.tasks.get', { id: first.taskId! })).task?.status === 'failed');
      runner.unsubscribe();
      const { task } = await bus.request('query.tasks.get', { id: first.taskId! });
      expect(task!.history!.map((h) => h.to)).toEqual(['new', 'routed', 'queued', 'failed', 'queued', 'failed']);
      expect(task!.history![4].reason).toBe('/retry by github:501');
      expect(task!.history![4].by).toBe('github:501');
      expect(await submitAs('501', '/retry', undefined, 'o/r#4')).toMatchObject({ outcome: 'denied' });
    });
  });

  async function until(condition: () => Promise<boolean>): Promise<void> {
    for (const deadline = Date.now() + 5_000; !(await condition());) {
      if (Date.now() > deadline) throw new Error('timed out');
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  }
});
