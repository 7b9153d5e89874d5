import { Logger } from '@nestjs/common';
import { ID_PATTERN, InboundMessageV1, newId, OutputEventV1, SessionV1, TaskV1 } from '@patchbay/contracts';
import { createTestDatabase } from '../../../test/support/databases';
import { describeWith } from '../../../test/support/services';
import { Database } from './database';
import { EngineStore, toSessionV1, toTaskV1 } from './engine.store';

/** The routing decision for a new session: this agent, no rule. */
const route = (agent: string) => ({ agent, name: null, reason: `default agent ${agent}` });

jest.setTimeout(20_000);

describeWith(['postgres'], 'EngineStore', () => {
  let testDb: { url: string; drop: () => Promise<void> };
  let database: Database;
  let store: EngineStore;
  let log: jest.SpyInstance;

  beforeAll(async () => {
    log = jest.spyOn(Logger.prototype, 'log').mockImplementation(() => undefined);
    testDb = await createTestDatabase();
    database = await Database.connect(testDb.url);
    store = new EngineStore(database);
  });

  afterAll(async () => {
    await database?.onApplicationShutdown();
    await testDb?.drop();
    log.mockRestore();
  });

  /** A message no test has sent before, unless `fields` says otherwise. */
  const message = (fields: Partial<InboundMessageV1> = {}): InboundMessageV1 => ({
    channel: 'test',
    accountId: 'acct',
    messageId: newId(),
    chatId: null,
    sender: { id: 'u1', name: 'Ann' },
    text: 'fix the build',
    receivedAt: new Date().toISOString(),
    ...fields,
  });

  const event = (sessionId: string, seq: number, text = `line ${seq}`): OutputEventV1 => ({
    type: 'text',
    text,
    sessionId,
    taskId: 'task1234',
    runId: 'run12345',
    seq,
    at: new Date().toISOString(),
  });

  async function count(table: 'task' | 'session' | 'inbound_message' | 'binding', where: string, params: unknown[]): Promise<number> {
    const rows = await database.orm.em.getConnection().execute(`select count(*)::int as n from "${table}" where ${where}`, params);
    return rows[0].n;
  }

  describe('acceptInbound', () => {
    it('records the message and a queued task in a new session', async () => {
      const msg = message({ chatId: null, text: 'hello agent' });
      const accepted = await store.acceptInbound(msg, route('demo'));
      expect(accepted).toEqual({ taskId: expect.stringMatching(ID_PATTERN), sessionId: expect.stringMatching(ID_PATTERN), duplicate: false, outcome: 'task' });

      const task = await store.task(accepted.taskId!);
      expect(task).toMatchObject({ sessionId: accepted.sessionId, status: 'queued', agent: 'demo', prompt: 'hello agent', channel: 'test', chatId: null });
      const session = await store.session(accepted.sessionId);
      expect(session).toMatchObject({ status: 'idle', agent: 'demo', tmuxSession: `pb-${accepted.sessionId}`, lastSeq: 0, runnerId: null });
      expect(await count('inbound_message', 'task_id = ?', [accepted.taskId])).toBe(1);
    });

    it('returns the original task for a message seen before, starting nothing new', async () => {
      const msg = message({ chatId: 'chat-dup' });
      const first = await store.acceptInbound(msg, route('demo'));
      const again = await store.acceptInbound({ ...msg, text: 'redelivered' }, route('codex'));
      expect(again).toEqual({ taskId: first.taskId, sessionId: first.sessionId, duplicate: true, outcome: 'task' });
      expect(await count('task', 'session_id = ?', [first.sessionId])).toBe(1);
      expect(await count('inbound_message', 'platform_message_id = ?', [msg.messageId])).toBe(1);
    });

    it('tells messages apart by channel and account as well as by platform id', async () => {
      const msg = message();
      const first = await store.acceptInbound(msg, route('demo'));
      const otherAccount = await store.acceptInbound({ ...msg, accountId: 'other' }, route('demo'));
      const otherChannel = await store.acceptInbound({ ...msg, channel: 'other' }, route('demo'));
      expect([otherAccount.duplicate, otherChannel.duplicate]).toEqual([false, false]);
      expect(new Set([first.taskId, otherAccount.taskId, otherChannel.taskId]).size).toBe(3);
    });

    it('starts one task when the same message arrives several times at once', async () => {
      for (const chatId of [null, `chat-${newId()}`]) {
        const msg = message({ chatId });
        const results = await Promise.all(Array.from({ length: 4 }, () => store.acceptInbound(msg, route('demo'))));
        expect(results.filter((r) => !r.duplicate)).toHaveLength(1);
        expect(new Set(results.map((r) => r.taskId)).size).toBe(1);
        expect(await count('inbound_message', 'platform_message_id = ?', [msg.messageId])).toBe(1);
        expect(await count('task', 'session_id = ?', [results[0].sessionId])).toBe(1);
      }
    });

    it('puts a message from a chat bound to a session in that session, as a new task with its agent', async () => {
      const chatId = `chat-${newId()}`;
      const first = await store.acceptInbound(message({ chatId }), route('demo'));
      const second = await store.acceptInbound(message({ chatId, text: 'and now the tests' }), route('codex'));
      expect(second).toMatchObject({ sessionId: first.sessionId, duplicate: false });
      expect(second.taskId).not.toBe(first.taskId);
      expect(await store.task(second.taskId!)).toMatchObject({ agent: 'demo', prompt: 'and now the tests', status: 'queued' });
      expect(await count('binding', 'chat_id = ?', [chatId])).toBe(1);
    });

    it('counts the tasks of the session queued or running before a new one (its place in line)', async () => {
      const chatId = `chat-${newId()}`;
      const first = await store.acceptInbound(message({ chatId }), route('demo'));
      expect(await store.tasksAhead(first.sessionId, first.taskId)).toBe(0);
      const second = await store.acceptInbound(message({ chatId, text: 'then this' }), route('demo'));
      const third = await store.acceptInbound(message({ chatId, text: 'and this' }), route('demo'));
      expect(await store.tasksAhead(third.sessionId, third.taskId)).toBe(2);
      await store.finishTask(first.taskId, 'done', null);
      expect(await store.tasksAhead(third.sessionId, third.taskId)).toBe(1);
      // The task behind it is not ahead of it.
      expect(await store.tasksAhead(second.sessionId, second.taskId)).toBe(0);
    });

    it('gives other chats, the same chat id on another channel, and chatless messages their own sessions', async () => {
      const chatId = `chat-${newId()}`;
      const sessions = [
        await store.acceptInbound(message({ chatId }), route('demo')),
        await store.acceptInbound(message({ chatId: `${chatId}-2` }), route('demo')),
        await store.acceptInbound(message({ chatId, channel: 'other' }), route('demo')),
        await store.acceptInbound(message({ chatId: null }), route('demo')),
        await store.acceptInbound(message({ chatId: null }), route('demo')),
      ].map((r) => r.sessionId);
      expect(new Set(sessions).size).toBe(5);
    });

    it('binds a new chat to one session when its first messages arrive at once', async () => {
      const chatId = `chat-${newId()}`;
      const results = await Promise.all([1, 2, 3].map(() => store.acceptInbound(message({ chatId }), route('demo'))));
      expect(results.map((r) => r.duplicate)).toEqual([false, false, false]);
      expect(new Set(results.map((r) => r.sessionId)).size).toBe(1);
      expect(new Set(results.map((r) => r.taskId)).size).toBe(3);
      expect(await count('session', 'id = ?', [results[0].sessionId])).toBe(1);
    });
  });

  describe('transcript', () => {
    let sessionId: string;

    beforeEach(async () => {
      ({ sessionId } = await store.acceptInbound(message(), route('demo')));
    });

    it('stores an event once per (session, seq), keeping the first', async () => {
      expect(await store.appendEvent(event(sessionId, 1, 'first'))).toBe(true);
      expect(await store.appendEvent(event(sessionId, 1, 'redelivered'))).toBe(false);
      expect((await store.transcript(sessionId, 0, 100)).map((e) => e.type === 'text' && e.text)).toEqual(['first']);
    });

    it("raises the session's lastSeq, never lowers it", async () => {
      await store.appendEvent(event(sessionId, 1));
      expect((await store.session(sessionId))?.lastSeq).toBe(1);
      await store.appendEvent(event(sessionId, 3));
      expect((await store.session(sessionId))?.lastSeq).toBe(3);
      expect(await store.appendEvent(event(sessionId, 2))).toBe(true);
      expect((await store.session(sessionId))?.lastSeq).toBe(3);
    });

    it('returns the events after a seq, in seq order, up to the limit', async () => {
      const events = [4, 1, 5, 3, 2].map((seq) => event(sessionId, seq));
      for (const e of events) await store.appendEvent(e);
      const bySeq = [...events].sort((a, b) => a.seq - b.seq);
      expect(await store.transcript(sessionId, 0, 100)).toEqual(bySeq);
      expect((await store.transcript(sessionId, 2, 100)).map((e) => e.seq)).toEqual([3, 4, 5]);
      expect((await store.transcript(sessionId, 2, 2)).map((e) => e.seq)).toEqual([3, 4]);
      expect(await store.transcript(sessionId, 5, 100)).toEqual([]);
    });

    it('drops the events a run sends after its end is stored and its task closed; a retried task stores its new run', async () => {
      const { taskId } = await store.acceptInbound(message({ text: 'retried' }), route('demo'));
      const of = (runId: string, seq: number, type: 'text' | 'error'): OutputEventV1 =>
        type === 'text'
          ? { ...event(sessionId, seq), taskId: taskId!, runId }
          : { type, code: 'store_failed', text: 'given up', exitCode: null, sessionId, taskId: taskId!, runId, seq, at: new Date().toISOString() };
      // Run 1 ends in an error and its task goes back to the queue: run 2's events are stored.
      expect(await store.appendEvent(of('run00001', 1, 'error'))).toBe(true);
      expect(await store.appendEvent(of('run00002', 2, 'text'))).toBe(true);
      // Run 2 is given up: its task is failed and its end stored; what it still sends is dropped.
      await store.finishTask(taskId!, 'failed', 'given up');
      expect(await store.appendEvent(of('run00002', 3, 'error'))).toBe(true);
      expect(await store.appendEvent(of('run00002', 4, 'text'))).toBe(false);
      expect(await store.appendEvent(of('run00002', 5, 'error'))).toBe(false);
      expect((await store.transcript(sessionId, 0, 100)).map((e) => e.seq)).toEqual([1, 2, 3]);
      expect((await store.session(sessionId))?.lastSeq).toBe(3);
    });

    it("keeps each session's events apart", async () => {
      const other = (await store.acceptInbound(message(), route('demo'))).sessionId;
      await store.appendEvent(event(sessionId, 1, 'mine'));
      expect(await store.appendEvent(event(other, 1, 'theirs'))).toBe(true);
      expect(await store.transcript(other, 0, 100)).toEqual([expect.objectContaining({ text: 'theirs' })]);
    });
  });

  describe('sessions and tasks', () => {
    it('lets one claim a session until it is released', async () => {
      const { sessionId } = await store.acceptInbound(message(), route('demo'));
      expect(await store.claimSession(sessionId)).toBe(true);
      expect((await store.session(sessionId))?.status).toBe('running');
      expect(await store.claimSession(sessionId)).toBe(false);
      await store.releaseSession(sessionId);
      expect((await store.session(sessionId))?.status).toBe('idle');
      expect(await store.claimSession(sessionId)).toBe(true);
    });

    it('grants a session to exactly one of several concurrent claims', async () => {
      const { sessionId } = await store.acceptInbound(message(), route('demo'));
      const claims = await Promise.all(Array.from({ length: 6 }, () => store.claimSession(sessionId)));
      expect(claims.filter(Boolean)).toHaveLength(1);
    });

    it('does not claim a session that does not exist', async () => {
      expect(await store.claimSession(newId())).toBe(false);
    });

    it('closes an open task once; the first outcome stays', async () => {
      const { taskId } = await store.acceptInbound(message(), route('demo'));
      expect(await store.finishTask(taskId!, 'done', null)).toBe(true);
      expect(await store.finishTask(taskId!, 'failed', 'too late')).toBe(false);
      const task = await store.task(taskId);
      expect(task).toMatchObject({ status: 'done', error: null, finishedAt: expect.any(Date) });
    });

    it('closes a running task, recording the error', async () => {
      const { taskId, sessionId } = await store.acceptInbound(message(), route('demo'));
      await store.assignRun(taskId, 'run00001');
      await store.runAccepted(sessionId, 'runner-1');
      expect((await store.session(sessionId))?.runnerId).toBe('runner-1');
      expect(await store.task(taskId)).toMatchObject({ status: 'queued', runId: 'run00001', startedAt: null });
      await store.taskRunning(taskId);
      expect(await store.task(taskId)).toMatchObject({ status: 'running', startedAt: expect.any(Date) });
      await store.rememberAgentSession(sessionId, 'claude-session-1');
      expect((await store.session(sessionId))?.agentSessionId).toBe('claude-session-1');
      expect(await store.finishTask(taskId, 'failed', 'agent exited with status 1')).toBe(true);
      expect(await store.task(taskId)).toMatchObject({ status: 'failed', error: 'agent exited with status 1' });
    });

    it('gives the oldest queued task of a session', async () => {
      const chatId = `chat-${newId()}`;
      const first = await store.acceptInbound(message({ chatId }), route('demo'));
      await new Promise((resolve) => setTimeout(resolve, 5));
      const second = await store.acceptInbound(message({ chatId }), route('demo'));
      expect((await store.oldestQueuedTask(first.sessionId))?.id).toBe(first.taskId);
      await store.finishTask(first.taskId, 'done', null);
      expect((await store.oldestQueuedTask(first.sessionId))?.id).toBe(second.taskId);
      await store.finishTask(second.taskId, 'done', null);
      expect(await store.oldestQueuedTask(first.sessionId)).toBeNull();
    });

    it('lists the idle sessions that have queued tasks', async () => {
      const [queued, running, finished] = await Promise.all([1, 2, 3].map(() => store.acceptInbound(message(), route('demo'))));
      await store.claimSession(running.sessionId);
      await store.finishTask(finished.taskId, 'done', null);
      const mine = async () =>
        (await store.idleSessionsWithQueuedTasks()).filter((id) => [queued, running, finished].some((r) => r.sessionId === id));

      expect(await mine()).toEqual([queued.sessionId]);
      await store.releaseSession(running.sessionId);
      expect((await mine()).sort()).toEqual([queued.sessionId, running.sessionId].sort());
    });

    it('maps sessions and tasks to their contract shapes', async () => {
      const { taskId, sessionId } = await store.acceptInbound(message({ chatId: `chat-${newId()}` }), route('demo'));
      const session = toSessionV1((await store.session(sessionId))!);
      const task = toTaskV1((await store.task(taskId))!);
      expect(SessionV1.parse(session)).toEqual(session);
      expect(TaskV1.parse(task)).toEqual(task);
      expect((await store.listSessions(500)).map((s) => s.id)).toContain(sessionId);
      expect((await store.listTasks(500)).map((t) => t.id)).toContain(taskId);
      expect(await store.listTasks(1)).toHaveLength(1);
    });
  });

  describe('knownChats', () => {
    it('lists chats a message came from and bound chats, newest first, each with its session', async () => {
      const seen = `chat-${newId()}`;
      const boundOnly = `job:${newId()}`;
      const first = await store.acceptInbound(message({ chatId: seen, receivedAt: '2030-01-01T10:00:00.000Z' }), route('demo'));
      await store.acceptInbound(message({ chatId: seen, receivedAt: '2030-01-01T11:00:00.000Z' }), route('demo'));
      await store.acceptInbound(message({ channel: 'other', chatId: `chat-${newId()}`, receivedAt: '2030-01-01T09:00:00.000Z' }), route('demo'));
      await store.bindChat('schedule', boundOnly, first.sessionId, 'final');

      const chats = await store.knownChats(500);
      const mine = chats.filter((c) => [seen, boundOnly].includes(c.chatId));
      expect(mine.find((c) => c.chatId === seen)).toEqual({ channel: 'test', chatId: seen, title: null, sessionId: first.sessionId, lastSeenAt: '2030-01-01T11:00:00.000Z' });
      expect(mine.find((c) => c.chatId === boundOnly)).toMatchObject({ channel: 'schedule', sessionId: first.sessionId });
      expect(chats.map((c) => c.lastSeenAt)).toEqual([...chats.map((c) => c.lastSeenAt)].sort().reverse());
      expect(await store.knownChats(1)).toHaveLength(1);
    });

    it('finds one chat by channel and id, and nothing for a chat it never saw', async () => {
      const chatId = `chat-${newId()}`;
      await store.acceptInbound(message({ chatId }), route('demo'));
      expect((await store.knownChats(1, { channel: 'test', chatId })).map((c) => c.chatId)).toEqual([chatId]);
      expect(await store.knownChats(1, { channel: 'other', chatId })).toEqual([]);
      expect(await store.unbindChat('test', chatId, 'nosuchsession')).toBe(false);
      expect((await store.knownChats(1, { channel: 'test', chatId }))[0].sessionId).not.toBeNull();
    });
  });
});
