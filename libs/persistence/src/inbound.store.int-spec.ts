import { ID_PATTERN, newId } from '@patchbay/contracts';
import { inboundMessage, route, useEngineStores } from '../../../test/support/engine-stores';
import { describeWith } from '../../../test/support/services';

jest.setTimeout(20_000);

describeWith(['postgres'], 'InboundStore', () => {
  const stores = useEngineStores();

  async function count(table: 'task' | 'session' | 'inbound_message' | 'binding', where: string, params: unknown[]): Promise<number> {
    const rows = await stores.database.orm.em.getConnection().execute(`select count(*)::int as n from "${table}" where ${where}`, params);
    return rows[0].n;
  }

  describe('acceptInbound', () => {
    it('records the message and a queued task in a new session', async () => {
      const msg = inboundMessage({ chatId: null, text: 'hello agent' });
      const accepted = await stores.inbound.acceptInbound(msg, route('demo'));
      expect(accepted).toEqual({ taskId: expect.stringMatching(ID_PATTERN), sessionId: expect.stringMatching(ID_PATTERN), duplicate: false, outcome: 'task' });

      const task = await stores.tasks.task(accepted.taskId!);
      expect(task).toMatchObject({ sessionId: accepted.sessionId, status: 'queued', agent: 'demo', prompt: 'hello agent', channel: 'test', chatId: null });
      const session = await stores.sessions.session(accepted.sessionId);
      expect(session).toMatchObject({ status: 'idle', agent: 'demo', tmuxSession: `pb-${accepted.sessionId}`, lastSeq: 0, runnerId: null });
      expect(await count('inbound_message', 'task_id = ?', [accepted.taskId])).toBe(1);
    });

    it('returns the original task for a message seen before, starting nothing new', async () => {
      const msg = inboundMessage({ chatId: 'chat-dup' });
      const first = await stores.inbound.acceptInbound(msg, route('demo'));
      const again = await stores.inbound.acceptInbound({ ...msg, text: 'redelivered' }, route('codex'));
      expect(again).toEqual({ taskId: first.taskId, sessionId: first.sessionId, duplicate: true, outcome: 'task' });
      expect(await count('task', 'session_id = ?', [first.sessionId])).toBe(1);
      expect(await count('inbound_message', 'platform_message_id = ?', [msg.messageId])).toBe(1);
    });

    it('tells messages apart by channel and account as well as by platform id', async () => {
      const msg = inboundMessage();
      const first = await stores.inbound.acceptInbound(msg, route('demo'));
      const otherAccount = await stores.inbound.acceptInbound({ ...msg, accountId: 'other' }, route('demo'));
      const otherChannel = await stores.inbound.acceptInbound({ ...msg, channel: 'other' }, route('demo'));
      expect([otherAccount.duplicate, otherChannel.duplicate]).toEqual([false, false]);
      expect(new Set([first.taskId, otherAccount.taskId, otherChannel.taskId]).size).toBe(3);
    });

    it('starts one task when the same message arrives several times at once', async () => {
      for (const chatId of [null, `chat-${newId()}`]) {
        const msg = inboundMessage({ chatId });
        const results = await Promise.all(Array.from({ length: 4 }, () => stores.inbound.acceptInbound(msg, route('demo'))));
        expect(results.filter((r) => !r.duplicate)).toHaveLength(1);
        expect(new Set(results.map((r) => r.taskId)).size).toBe(1);
        expect(await count('inbound_message', 'platform_message_id = ?', [msg.messageId])).toBe(1);
        expect(await count('task', 'session_id = ?', [results[0].sessionId])).toBe(1);
      }
    });

    it('puts a message from a chat bound to a session in that session, as a new task with its agent', async () => {
      const chatId = `chat-${newId()}`;
      const first = await stores.inbound.acceptInbound(inboundMessage({ chatId }), route('demo'));
      const second = await stores.inbound.acceptInbound(inboundMessage({ chatId, text: 'and now the tests' }), route('codex'));
      expect(second).toMatchObject({ sessionId: first.sessionId, duplicate: false });
      expect(second.taskId).not.toBe(first.taskId);
      expect(await stores.tasks.task(second.taskId!)).toMatchObject({ agent: 'demo', prompt: 'and now the tests', status: 'queued' });
      expect(await count('binding', 'chat_id = ?', [chatId])).toBe(1);
    });

    it('gives other chats, the same chat id on another channel, and chatless messages their own sessions', async () => {
      const chatId = `chat-${newId()}`;
      const sessions = [
        await stores.inbound.acceptInbound(inboundMessage({ chatId }), route('demo')),
        await stores.inbound.acceptInbound(inboundMessage({ chatId: `${chatId}-2` }), route('demo')),
        await stores.inbound.acceptInbound(inboundMessage({ chatId, channel: 'other' }), route('demo')),
        await stores.inbound.acceptInbound(inboundMessage({ chatId: null }), route('demo')),
        await stores.inbound.acceptInbound(inboundMessage({ chatId: null }), route('demo')),
      ].map((r) => r.sessionId);
      expect(new Set(sessions).size).toBe(5);
    });

    it('binds a new chat to one session when its first messages arrive at once', async () => {
      const chatId = `chat-${newId()}`;
      const results = await Promise.all([1, 2, 3].map(() => stores.inbound.acceptInbound(inboundMessage({ chatId }), route('demo'))));
      expect(results.map((r) => r.duplicate)).toEqual([false, false, false]);
      expect(new Set(results.map((r) => r.sessionId)).size).toBe(1);
      expect(new Set(results.map((r) => r.taskId)).size).toBe(3);
      expect(await count('session', 'id = ?', [results[0].sessionId])).toBe(1);
    });
  });
});
