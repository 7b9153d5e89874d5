import { newId } from '@patchbay/contracts';
import { inboundMessage, route, useEngineStores } from '../../../test/support/engine-stores';
import { describeWith } from '../../../test/support/services';

jest.setTimeout(20_000);

describeWith(['postgres'], 'TasksStore', () => {
  const stores = useEngineStores();

  describe('the queue', () => {
    it('counts the tasks of the session queued or running before a new one (its place in line)', async () => {
      const chatId = `chat-${newId()}`;
      const first = await stores.inbound.acceptInbound(inboundMessage({ chatId }), route('demo'));
      expect(await stores.tasks.tasksAhead(first.sessionId, first.taskId)).toBe(0);
      const second = await stores.inbound.acceptInbound(inboundMessage({ chatId, text: 'then this' }), route('demo'));
      const third = await stores.inbound.acceptInbound(inboundMessage({ chatId, text: 'and this' }), route('demo'));
      expect(await stores.tasks.tasksAhead(third.sessionId, third.taskId)).toBe(2);
      await stores.tasks.finishTask(first.taskId, 'done', null);
      expect(await stores.tasks.tasksAhead(third.sessionId, third.taskId)).toBe(1);
      // The task behind it is not ahead of it.
      expect(await stores.tasks.tasksAhead(second.sessionId, second.taskId)).toBe(0);
    });
  });

  describe('runs and outcomes', () => {
    it('closes an open task once; the first outcome stays', async () => {
      const { taskId } = await stores.inbound.acceptInbound(inboundMessage(), route('demo'));
      expect(await stores.tasks.finishTask(taskId!, 'done', null)).toBe(true);
      expect(await stores.tasks.finishTask(taskId!, 'failed', 'too late')).toBe(false);
      const task = await stores.tasks.task(taskId);
      expect(task).toMatchObject({ status: 'done', error: null, finishedAt: expect.any(Date) });
    });

    it('lets exactly one of several concurrent changes move a task, with one history row for it', async () => {
      const { taskId } = await stores.inbound.acceptInbound(inboundMessage(), route('demo'));
      const outcomes = ['done', 'failed', 'cancelled', 'blocked', 'done', 'failed'] as const;
      const moved = await Promise.all(outcomes.map((status) => stores.tasks.finishTask(taskId, status, null, 'test:u1')));
      expect(moved.filter(Boolean)).toHaveLength(1);
      const closing = (await stores.tasks.taskHistory(taskId)).filter((h) => h.from === 'queued');
      expect(closing).toEqual([expect.objectContaining({ to: (await stores.tasks.task(taskId))!.status, by: 'test:u1' })]);
    });

    it('closes a running task, recording the error', async () => {
      const { taskId, sessionId } = await stores.inbound.acceptInbound(inboundMessage(), route('demo'));
      await stores.tasks.assignRun(taskId, 'run00001');
      await stores.sessions.runAccepted(sessionId, 'runner-1');
      expect((await stores.sessions.session(sessionId))?.runnerId).toBe('runner-1');
      expect(await stores.tasks.task(taskId)).toMatchObject({ status: 'queued', runId: 'run00001', startedAt: null });
      await stores.tasks.taskRunning(taskId);
      expect(await stores.tasks.task(taskId)).toMatchObject({ status: 'running', startedAt: expect.any(Date) });
      await stores.sessions.rememberAgentSession(sessionId, 'claude-session-1');
      expect((await stores.sessions.session(sessionId))?.agentSessionId).toBe('claude-session-1');
      expect(await stores.tasks.finishTask(taskId, 'failed', 'agent exited with status 1')).toBe(true);
      expect(await stores.tasks.task(taskId)).toMatchObject({ status: 'failed', error: 'agent exited with status 1' });
    });

    it('gives the oldest queued task of a session', async () => {
      const chatId = `chat-${newId()}`;
      const first = await stores.inbound.acceptInbound(inboundMessage({ chatId }), route('demo'));
      await new Promise((resolve) => setTimeout(resolve, 5));
      const second = await stores.inbound.acceptInbound(inboundMessage({ chatId }), route('demo'));
      expect((await stores.tasks.oldestQueuedTask(first.sessionId))?.id).toBe(first.taskId);
      await stores.tasks.finishTask(first.taskId, 'done', null);
      expect((await stores.tasks.oldestQueuedTask(first.sessionId))?.id).toBe(second.taskId);
      await stores.tasks.finishTask(second.taskId, 'done', null);
      expect(await stores.tasks.oldestQueuedTask(first.sessionId)).toBeNull();
    });
  });
});
