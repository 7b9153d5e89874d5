import { newId, SessionV1, TaskV1 } from '@patchbay/contracts';
import { inboundMessage, route, useEngineStores } from '../../../test/support/engine-stores';
import { describeWith } from '../../../test/support/services';
import { toSessionV1 } from './sessions.store';
import { toTaskV1 } from './tasks.store';

jest.setTimeout(20_000);

describeWith(['postgres'], 'SessionsStore', () => {
  const stores = useEngineStores();

  describe('opening and binding', () => {
    it('opens an empty session bound to a chat, once per chat', async () => {
      const chatId = `chat-${newId()}`;
      const sessionId = await stores.sessions.openSession('test', chatId, 'codex');
      expect(await stores.sessions.session(sessionId)).toMatchObject({ agent: 'codex', status: 'idle', tmuxSession: `pb-${sessionId}`, route: null });
      expect(await stores.sessions.bindings(sessionId)).toEqual([{ channel: 'test', chatId, delivery: 'live' }]);
      await expect(stores.sessions.openSession('test', chatId, 'codex')).rejects.toThrow();
      expect((await stores.sessions.boundSession('test', chatId))?.id).toBe(sessionId);
    });

    it('bridges a chat to a tmux session: a new session on that tmux session, its task queued, the chat moved to it', async () => {
      const chatId = `chat-${newId()}`;
      const before = await stores.sessions.openSession('test', chatId, 'demo');
      await stores.sessions.bindChat('test', chatId, before, 'final');
      const bridge = await stores.sessions.createBridge('test', chatId, 'work', 'tmux', 'test:u1');
      expect(await stores.sessions.session(bridge.sessionId)).toMatchObject({ agent: 'tmux', tmuxSession: 'work' });
      expect(await stores.tasks.task(bridge.taskId)).toMatchObject({ sessionId: bridge.sessionId, status: 'queued', prompt: 'work', chatId });
      expect(await stores.sessions.bindings(bridge.sessionId)).toEqual([{ channel: 'test', chatId, delivery: 'live' }]);
      expect(await stores.sessions.bindings(before)).toEqual([]);
      expect((await stores.tasks.taskHistory(bridge.taskId)).map((h) => h.to)).toEqual(['new', 'routed', 'queued']);
    });
  });

  describe('sessionOverviews', () => {
    it('gives each session its latest task and its chats, filtered by the channel of either', async () => {
      const chatId = `chat-${newId()}`;
      const first = await stores.inbound.acceptInbound(inboundMessage({ chatId }), route('demo'));
      await new Promise((resolve) => setTimeout(resolve, 5));
      const second = await stores.inbound.acceptInbound(inboundMessage({ chatId, text: 'then this' }), route('demo'));
      await stores.sessions.bindChat('other', chatId, first.sessionId, 'final');
      const [overview] = await stores.sessions.sessionOverviews({ id: first.sessionId, limit: 10 });
      expect(overview.session).toMatchObject({ id: first.sessionId, agent: 'demo', createdAt: expect.any(Date) });
      expect(overview.task).toMatchObject({ id: second.taskId, prompt: 'then this', createdAt: expect.any(Date), startedAt: null });
      expect(overview.bindings).toEqual([
        { channel: 'test', chatId, delivery: 'live' },
        { channel: 'other', chatId, delivery: 'final' },
      ]);
      expect(await stores.sessions.sessionOverviews({ id: first.sessionId, channel: 'other', limit: 10 })).toHaveLength(1);
      expect(await stores.sessions.sessionOverviews({ id: first.sessionId, channel: 'nowhere', limit: 10 })).toEqual([]);
      const chatless = await stores.inbound.acceptInbound(inboundMessage(), route('demo'));
      expect(await stores.sessions.sessionOverviews({ id: chatless.sessionId, channel: 'test', limit: 10 })).toHaveLength(1);
    });
  });

  describe('claims', () => {
    it('lets one claim a session until it is released', async () => {
      const { sessionId } = await stores.inbound.acceptInbound(inboundMessage(), route('demo'));
      expect(await stores.sessions.claimQueuedSession(sessionId)).toMatchObject({ id: sessionId, status: 'running' });
      expect((await stores.sessions.session(sessionId))?.status).toBe('running');
      expect(await stores.sessions.claimQueuedSession(sessionId)).toBeNull();
      await stores.sessions.releaseSession(sessionId);
      expect((await stores.sessions.session(sessionId))?.status).toBe('idle');
      expect(await stores.sessions.claimQueuedSession(sessionId)).toMatchObject({ id: sessionId, status: 'running' });
    });

    it('grants a session to exactly one of several concurrent claims', async () => {
      const { sessionId } = await stores.inbound.acceptInbound(inboundMessage(), route('demo'));
      const claims = await Promise.all(Array.from({ length: 6 }, () => stores.sessions.claimQueuedSession(sessionId)));
      expect(claims.filter(Boolean)).toHaveLength(1);
    });

    it('does not claim a session with nothing queued', async () => {
      const { sessionId, taskId } = await stores.inbound.acceptInbound(inboundMessage(), route('demo'));
      await stores.tasks.finishTask(taskId, 'done', null);
      expect(await stores.sessions.claimQueuedSession(sessionId)).toBeNull();
      expect((await stores.sessions.session(sessionId))?.status).toBe('idle');
    });

    it('does not claim a session that does not exist', async () => {
      expect(await stores.sessions.claimQueuedSession(newId())).toBeNull();
    });

    it('lists the idle sessions that have queued tasks', async () => {
      const [queued, running, finished] = await Promise.all([1, 2, 3].map(() => stores.inbound.acceptInbound(inboundMessage(), route('demo'))));
      await stores.sessions.claimQueuedSession(running.sessionId);
      await stores.tasks.finishTask(finished.taskId, 'done', null);
      const mine = async () => (await stores.sessions.idleSessionsWithQueuedTasks()).filter((id) => [queued, running, finished].some((r) => r.sessionId === id));

      expect(await mine()).toEqual([queued.sessionId]);
      await stores.sessions.releaseSession(running.sessionId);
      expect((await mine()).sort()).toEqual([queued.sessionId, running.sessionId].sort());
    });

    it('maps sessions and tasks to their contract shapes', async () => {
      const { taskId, sessionId } = await stores.inbound.acceptInbound(inboundMessage({ chatId: `chat-${newId()}` }), route('demo'));
      const session = toSessionV1((await stores.sessions.session(sessionId))!);
      const task = toTaskV1((await stores.tasks.task(taskId))!);
      expect(SessionV1.parse(session)).toEqual(session);
      expect(TaskV1.parse(task)).toEqual(task);
      expect((await stores.sessions.listSessions(500)).map((s) => s.id)).toContain(sessionId);
      expect((await stores.tasks.listTasks(500)).map((t) => t.id)).toContain(taskId);
      expect(await stores.tasks.listTasks(1)).toHaveLength(1);
    });
  });

  describe('knownChats', () => {
    it('lists chats a message came from and bound chats, newest first, each with its session', async () => {
      const seen = `chat-${newId()}`;
      const boundOnly = `job:${newId()}`;
      const first = await stores.inbound.acceptInbound(inboundMessage({ chatId: seen, receivedAt: '2030-01-01T10:00:00.000Z' }), route('demo'));
      await stores.inbound.acceptInbound(inboundMessage({ chatId: seen, receivedAt: '2030-01-01T11:00:00.000Z' }), route('demo'));
      await stores.inbound.acceptInbound(inboundMessage({ channel: 'other', chatId: `chat-${newId()}`, receivedAt: '2030-01-01T09:00:00.000Z' }), route('demo'));
      await stores.sessions.bindChat('schedule', boundOnly, first.sessionId, 'final');

      const chats = await stores.sessions.knownChats(500);
      const mine = chats.filter((c) => [seen, boundOnly].includes(c.chatId));
      expect(mine.find((c) => c.chatId === seen)).toEqual({ channel: 'test', chatId: seen, title: null, sessionId: first.sessionId, lastSeenAt: '2030-01-01T11:00:00.000Z' });
      expect(mine.find((c) => c.chatId === boundOnly)).toMatchObject({ channel: 'schedule', sessionId: first.sessionId });
      expect(chats.map((c) => c.lastSeenAt)).toEqual([...chats.map((c) => c.lastSeenAt)].sort().reverse());
      expect(await stores.sessions.knownChats(1)).toHaveLength(1);
    });

    it('finds one chat by channel and id, and nothing for a chat it never saw', async () => {
      const chatId = `chat-${newId()}`;
      await stores.inbound.acceptInbound(inboundMessage({ chatId }), route('demo'));
      expect((await stores.sessions.knownChats(1, { channel: 'test', chatId })).map((c) => c.chatId)).toEqual([chatId]);
      expect(await stores.sessions.knownChats(1, { channel: 'other', chatId })).toEqual([]);
      expect(await stores.sessions.unbindChat('test', chatId, 'nosuchsession')).toBe(false);
      expect((await stores.sessions.knownChats(1, { channel: 'test', chatId }))[0].sessionId).not.toBeNull();
    });
  });
});
