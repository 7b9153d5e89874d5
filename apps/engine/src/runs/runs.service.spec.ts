import { Bus, NoResponderError, RequestTimeoutError } from '@patchbay/bus';
import { ConfigSchema } from '@patchbay/config';
import { OutputEventV1 } from '@patchbay/contracts';
import { PatchbayMetrics } from '@patchbay/metrics';
import { SessionEntity, SessionsStore, TaskEntity, TasksStore, TranscriptStore } from '@patchbay/persistence';
import { Redactor } from '@patchbay/security';
import { ManualClock } from '../../../../test/support/manual-clock';
import { strictDouble } from '../../../../test/support/strict-double';
import { ApprovalPolicy } from '../approvals/approval-policy';
import { PendingWork } from '../pending-work';
import { Router } from '../routing/router';
import { SessionSummaries } from '../sessions/session-summaries';
import { RUNNER_LOST_MS, RunsService } from './runs.service';

type Members<T> = Partial<Record<keyof T, unknown>>;

const STARTED = '2030-01-01T10:00:00.000Z';
const session = (change: Partial<SessionEntity> = {}) =>
  ({
    id: 's1',
    status: 'running',
    runnerId: 'r1',
    lastSeq: 4,
    agent: 'demo',
    agentSessionId: null,
    model: null,
    route: null,
    updatedAt: new Date(STARTED),
    ...change,
  }) as SessionEntity;
const task = (change: Partial<TaskEntity> = {}) =>
  ({ id: 't1', sessionId: 's1', agent: 'demo', prompt: 'fix it', runId: 'run-1', attempts: 1, route: null, ...change }) as TaskEntity;
const heartbeat = (leaving = false) => ({ runnerId: 'r1', leaving }) as Parameters<RunsService['runnerSeen']>[0];

/**
 * RunsService's recovery decisions on strict doubles and a manual clock: only the calls a
 * case names may happen. runs.int-spec.ts covers the same flows on real NATS and PostgreSQL.
 */
describe('RunsService recovery', () => {
  let clock: ManualClock;
  let pending: PendingWork;

  beforeEach(() => {
    clock = new ManualClock(STARTED);
    pending = new PendingWork();
  });

  function service(members: { bus?: Members<Bus>; sessions?: Members<SessionsStore>; tasks?: Members<TasksStore> }) {
    const published: Array<{ subject: string; event: OutputEventV1 }> = [];
    const bus = strictDouble<Bus>('Bus', { publish: (subject: string, event: OutputEventV1) => published.push({ subject, event }), ...members.bus });
    const sessions = strictDouble<SessionsStore>('SessionsStore', members.sessions ?? {});
    const tasks = strictDouble<TasksStore>('TasksStore', members.tasks ?? {});
    const runs = new RunsService(
      bus,
      sessions,
      tasks,
      strictDouble<TranscriptStore>('TranscriptStore', {}),
      pending,
      clock,
      strictDouble<Router>('Router', {}),
      ConfigSchema.parse({ home: '/tmp/pb-runs-unit' }),
      new Redactor(new Map(), []),
      new PatchbayMetrics('spec-runs'),
      strictDouble<ApprovalPolicy>('ApprovalPolicy', { resolve: () => ({ mode: 'allow' }) }),
      strictDouble<SessionSummaries>('SessionSummaries', { changed: async () => undefined }),
    );
    return { runs, bus, sessions, tasks, published };
  }

  /** A running session held by runner r1, and no queued work elsewhere; a heartbeat's resync finds nothing missed. */
  const held = (change: Partial<SessionEntity> = {}) => ({
    bus: { request: async () => ({ republished: 0 }) },
    sessions: { runningSessions: async () => [session(change)], idleSessionsWithQueuedTasks: async () => [] },
    tasks: { runningTask: async () => task() },
  });

  describe('a runner that stops gracefully (leaving) left its runs live in tmux', () => {
    it('keeps their RUNNER_LOST_MS grace from its last heartbeat, then gives them up saying it stopped', async () => {
      const { runs, published } = service(held());
      clock.advance(RUNNER_LOST_MS + 10_000);
      await runs.runnerSeen(heartbeat());
      clock.advance(1_000);
      await runs.runnerSeen(heartbeat(true));
      expect(runs.liveRunners()).toEqual([]);

      clock.advance(RUNNER_LOST_MS - 2_000);
      await runs.recover();
      expect(published).toEqual([]);

      clock.advance(2_000);
      await runs.recover();
      expect(published).toEqual([
        {
          subject: 'session.*.output',
          event: expect.objectContaining({
            type: 'error',
            code: 'runner_lost',
            runId: 'run-1',
            seq: 5,
            text: 'runner r1 stopped 61 s ago and no runner took its runs back; the run is given up',
          }),
        },
      ]);
    });

    it("treats the next runner process's first heartbeat as a first one: resync of its sessions, then queued work", async () => {
      const resyncs: unknown[] = [];
      const { runs, published } = service({
        bus: { request: async (subject: string, payload: unknown, options: unknown) => (resyncs.push([subject, payload, options]), { republished: 2 }) },
        sessions: { runningSessions: async (runnerId?: string) => (runnerId === 'r1' ? [session()] : []), idleSessionsWithQueuedTasks: async () => [] },
      });
      await runs.runnerSeen(heartbeat());
      await runs.runnerSeen(heartbeat(true));
      clock.advance(5_000);
      await runs.runnerSeen(heartbeat());
      await pending.onModuleDestroy();
      expect(resyncs).toEqual([
        ['runner.*.resync', { sessionId: 's1', afterSeq: 4 }, { params: ['r1'] }],
        ['runner.*.resync', { sessionId: 's1', afterSeq: 4 }, { params: ['r1'] }],
      ]);
      expect(runs.liveRunners()).toEqual(['r1']);
      expect(published).toEqual([]);
    });

    it('names a runner silent without leaving, and one never heard from since the engine started', async () => {
      const silent = service(held());
      clock.advance(RUNNER_LOST_MS);
      await silent.runs.runnerSeen(heartbeat());
      clock.advance(RUNNER_LOST_MS);
      await silent.runs.recover();
      expect(silent.published.map((p) => p.event)).toEqual([expect.objectContaining({ text: 'runner r1 stopped answering for 60 s; the run is given up' })]);

      const unheard = service(held());
      clock.advance(RUNNER_LOST_MS - 1_000);
      await unheard.runs.recover();
      expect(unheard.published).toEqual([]);
      clock.advance(1_000);
      await unheard.runs.recover();
      expect(unheard.published.map((p) => p.event)).toEqual([
        expect.objectContaining({ code: 'runner_lost', text: 'runner r1 was not heard from in the 60 s since this engine started; the run is given up' }),
      ]);
    });
  });

  describe('recovery passes', () => {
    it('never overlap: a call while a pass is under way shares it', async () => {
      let finish!: (sessions: SessionEntity[]) => void;
      const { runs, sessions } = service({ sessions: { runningSessions: () => new Promise((resolve) => (finish = resolve)) } });
      const first = runs.recover();
      const second = runs.recover();
      finish([]);
      await Promise.all([first, second]);
      expect(sessions.calls).toEqual([['runningSessions', []]]);
      // The next pass, once this one ended, reads again.
      const third = runs.recover();
      finish([]);
      await third;
      expect(sessions.calls).toHaveLength(2);
    });

    it('publish one runner_lost per session per loss, and again after the runner came back and was lost again', async () => {
      const { runs, published } = service(held());
      clock.advance(RUNNER_LOST_MS);
      await runs.recover();
      await runs.recover();
      await runs.recover();
      expect(published).toHaveLength(1);

      await runs.runnerSeen(heartbeat());
      await runs.recover();
      clock.advance(RUNNER_LOST_MS);
      await runs.recover();
      await runs.recover();
      expect(published.map((p) => p.event.type === 'error' && p.event.code === 'runner_lost' && p.event.runId)).toEqual(['run-1', 'run-1']);
    });
  });

  describe('a dispatch no runner answers', () => {
    const queued = () => task({ runId: null, attempts: 0 });

    function dispatching(error: Error, change: Members<TasksStore> = {}) {
      const assigned: string[] = [];
      let claims = 0;
      const parts = service({
        bus: {
          request: async () => {
            throw error;
          },
        },
        sessions: { claimQueuedSession: async () => (claims++ === 0 ? session({ runnerId: null }) : null), releaseSession: async () => undefined },
        tasks: { oldestQueuedTask: async () => queued(), assignRun: async (_taskId: string, runId: string) => void assigned.push(runId), ...change },
      });
      return { ...parts, assigned };
    }

    it.each([
      ['no runner is up', new NoResponderError('runner.run'), 'waiting for a runner: no runner is connected: start one with `patchbay start runner`'],
      ['no runner answers in time', new RequestTimeoutError('runner.run', 5_000), 'waiting for a runner: request on runner.run got no reply within 5000 ms'],
    ])('when %s: leaves the task queued, frees the session and tells watchers it waits (no error)', async (_case, error, text) => {
      const { runs, sessions, tasks, published, assigned } = dispatching(error);
      await runs.dispatch('s1');
      await pending.onModuleDestroy();
      expect(published).toEqual([{ subject: 'session.*.output', event: expect.objectContaining({ type: 'status', state: 'waiting', taskId: 't1', seq: 5, text }) }]);
      expect(sessions.calls.map(([name]) => name)).toEqual(['claimQueuedSession', 'releaseSession']);
      expect(tasks.calls.map(([name]) => name)).toEqual(['oldestQueuedTask', 'assignRun']);
      expect(assigned).toHaveLength(1);
    });

    it('asks again under the same run id, so the attempt is not spent twice, and does not tell its watchers again', async () => {
      const waiting = task({ runId: 'run-9', attempts: 1 });
      const { runs, sessions, assigned, published } = dispatching(new NoResponderError('runner.run'), { oldestQueuedTask: async () => waiting });
      await runs.dispatch('s1');
      await pending.onModuleDestroy();
      expect(assigned).toEqual(['run-9']);
      expect(sessions.calls.map(([name]) => name)).toEqual(['claimQueuedSession', 'releaseSession']);
      expect(published).toEqual([]);
    });

    it('is dispatched by the recovery sweep once a runner is up, and not while none is', async () => {
      const { runs, sessions } = service({ sessions: { runningSessions: async () => [], idleSessionsWithQueuedTasks: async () => ['s1'], claimQueuedSession: async () => null } });
      await runs.recover();
      expect(sessions.calls.map(([name]) => name)).toEqual(['runningSessions']);
      await runs.runnerSeen(heartbeat());
      await pending.onModuleDestroy();
      sessions.calls.length = 0;
      await runs.recover();
      expect(sessions.calls.map(([name]) => name)).toEqual(['runningSessions', 'idleSessionsWithQueuedTasks', 'claimQueuedSession']);
    });
  });
});
