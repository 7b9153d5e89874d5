import { Inject, Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { Bus, BusError, describeError, reportInternalError } from '@patchbay/bus';
import { newId, OutputEventV1, RunAcceptedV1, RunnerHeartbeatV1, RunRequestV1, runErrorEvent } from '@patchbay/contracts';
import { SessionEntity, SessionsStore, TaskEntity, TasksStore, TranscriptStore } from '@patchbay/persistence';
import { PatchbayMetrics } from '@patchbay/metrics';
import { ApprovalPolicy } from '../approvals/approval-policy';
import { REDACTOR, Redactor, withLogIds } from '@patchbay/security';
import { PATCHBAY_CONFIG, PatchbayConfig } from '@patchbay/config';
import { Clock } from '@patchbay/config';
import { runEnding } from './run-ending';
import { Router } from '../routing/router';
import { PendingWork } from '../pending-work';
import { SessionSummaries } from '../sessions/session-summaries';

/** A runner silent this long (no heartbeat) is taken as gone, with its runs. */
export const RUNNER_LOST_MS = 60_000;
/** A session held this long without a runner taking its run: the dispatch was cut off. */
const DISPATCH_STALE_MS = 15_000;
const RECOVER_EVERY_MS = 5_000;

/** Refusals another runner may not give: full, or (a bridge) not the machine with that tmux session. */
const ASK_ANOTHER_RUNNER: ReadonlySet<string> = new Set(['runner_at_capacity', 'tmux_session_not_here']);

/** Tries to find a runner with a free slot before asking one to queue the run. */
const RUN_ATTEMPTS = 3;

/** Dispatch failures that pass once a runner is up or answers: the task waits in its queue, its attempt unspent. */
const WAIT_FOR_RUNNER: ReadonlySet<string> = new Set(['no_responder', 'timeout']);

/** What the engine last heard from a runner: a heartbeat, or (leaving) that it stopped and left its runs in tmux. */
interface RunnerSighting {
  seen: number;
  leaving: boolean;
}

/**
 * Runs: when a session's next task starts and on which runner, what an output event means
 * for its task, and recovery when runners or the engine come and go.
 */
@Injectable()
export class RunsService implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(RunsService.name);
  /** Runner id → its last heartbeat (clock ms), and whether it said it was leaving. */
  private readonly runners = new Map<string, RunnerSighting>();
  private readonly startedAt: number;
  /**
   * Runs this engine gave up. The store drops their later events, but a store that is down
   * fails them instead: each would give the run up again, with another end for its viewers.
   */
  private readonly givenUp = new Set<string>();
  private sweeper?: NodeJS.Timeout;
  /** The recovery pass under way: a slow pass (many sessions, a slow store) is never overlapped by the next. */
  private recovering?: Promise<void>;
  /** Session → the run whose runner_lost was published: one per loss, not one per pass. */
  private readonly reportedLost = new Map<string, string>();

  constructor(
    private readonly bus: Bus,
    private readonly sessions: SessionsStore,
    private readonly tasks: TasksStore,
    private readonly transcript: TranscriptStore,
    private readonly pending: PendingWork,
    private readonly clock: Clock,
    private readonly router: Router,
    @Inject(PATCHBAY_CONFIG) private readonly config: PatchbayConfig,
    @Inject(REDACTOR) private readonly redactor: Redactor,
    private readonly metrics: PatchbayMetrics,
    private readonly approvals: ApprovalPolicy,
    private readonly summaries: SessionSummaries,
  ) {
    this.startedAt = clock.now().getTime();
  }

  onApplicationBootstrap(): void {
    this.metrics.countTasksWith(() => this.tasks.taskCounts());
    // Runners answer with heartbeats; the first one from each triggers recovery.
    this.bus.publish('runner.announce', {});
    this.sweeper = setInterval(() => this.pending.track(this.recover()), RECOVER_EVERY_MS);
  }

  onModuleDestroy(): void {
    clearInterval(this.sweeper);
  }

  /** A task was queued in a session: start it when the session is free. */
  queued(accepted: { taskId: string; sessionId: string }): void {
    withLogIds({ sessionId: accepted.sessionId, taskId: accepted.taskId }, () => {
      this.logger.log(`task ${accepted.taskId} queued in session ${accepted.sessionId}`);
      // Started after the reply, so the sender learns its ids at once. The summary is read
      // first (SessionSummaries keeps a session's reads in order), so the overview hears of
      // the queued task before its run.
      this.pending.track(this.summaries.changed(accepted.sessionId));
      this.pending.track(this.dispatch(accepted.sessionId));
    });
  }

  /** Starts the session's oldest queued task unless a run already holds the session. */
  async dispatch(sessionId: string): Promise<void> {
    // Only a session with queued work is claimed, so one that just went idle does not flap to
    // running and back (a task queued after the claim's look dispatches itself).
    let claimed: SessionEntity | null;
    while ((claimed = await this.sessions.claimQueuedSession(sessionId))) {
      const task = await this.tasks.oldestQueuedTask(sessionId);
      if (task) {
        this.pending.track(this.summaries.changed(sessionId));
        return this.startRun(task, claimed);
      }
      // Its task was taken between the claim and the look (cancelled, say). A task queued
      // after the release is seen by the next claim, which would otherwise wait forever.
      await this.sessions.releaseSession(sessionId);
    }
  }

  /**
   * Asks a runner to run the task. A task with a run id was asked before without an answer
   * (the engine died: `again`; or no runner answered: waitForRunner): it is asked under the
   * same id, which spends no attempt and which a runner that already has the run recognises.
   */
  private startRun(task: TaskEntity, session: SessionEntity, again = false): Promise<void> {
    const runId = task.runId ?? newId();
    return withLogIds({ sessionId: task.sessionId, taskId: task.id, runId }, () => this.askForRun(task, session, runId, again));
  }

  /** `session`: the task's session as its claim (or the recovery sweep) read it, running. */
  private async askForRun(task: TaskEntity, session: SessionEntity, runId: string, again: boolean): Promise<void> {
    const nextSeq = session.lastSeq + 1;
    // Continue the agent's own conversation when the session already has one with this agent.
    const resume = session.agent === task.agent ? session.agentSessionId : null;
    await this.tasks.assignRun(task.id, runId);
    const request = {
      runId,
      taskId: task.id,
      sessionId: task.sessionId,
      agent: task.agent,
      prompt: task.prompt,
      nextSeq,
      resume,
      ...(session.model ? { model: session.model } : {}),
      // The runner has the agent ask before a tool the policy does not decide (approval.ask).
      approvals: this.approvals.resolve(task.agent, session.route).mode,
    };
    try {
      const accepted = await this.requestRun(request);
      await this.sessions.runAccepted(task.sessionId, accepted.runnerId);
      if (again) await this.resync(accepted.runnerId, task.sessionId, session.lastSeq);
    } catch (error) {
      const { code, message } = describeError(error, `the start of task ${task.id}`);
      const run = { sessionId: task.sessionId, taskId: task.id, runId, seq: nextSeq };
      // Told through the session's own stream, so every watcher sees it, and stored like any event.
      if (WAIT_FOR_RUNNER.has(code)) {
        // A dispatch (not a redo) of a task with a run id waited before: its watchers were told.
        const told = !again && task.runId === runId;
        return this.waitForRunner(run, code === 'no_responder' ? 'no runner is connected: start one with `patchbay start runner`' : message, told);
      }
      this.logger.warn(`task ${task.id} could not start: ${message}`);
      this.bus.publish('session.*.output', runErrorEvent(run, code, message, this.clock.now()), [task.sessionId]);
    }
  }

  /**
   * No runner took the run (none is up, or none answered in time): the task stays queued
   * with its run id and the session is freed. A runner's first heartbeat, or the recovery
   * sweep while one is up, dispatches it again; watchers are told it waits, once per run.
   */
  private async waitForRunner(run: { sessionId: string; taskId: string; runId: string; seq: number }, why: string, told: boolean): Promise<void> {
    await this.sessions.releaseSession(run.sessionId);
    if (told) return;
    this.logger.warn(`task ${run.taskId} waits for a runner: ${why}`);
    const waiting: OutputEventV1 = { ...run, type: 'status', state: 'waiting', text: `waiting for a runner: ${why}`, at: this.clock.now().toISOString() };
    this.bus.publish('session.*.output', waiting, [run.sessionId]);
    this.pending.track(this.summaries.changed(run.sessionId));
  }

  /**
   * The runners' queue group hands a run to any one of them. A full runner declines, so a
   * few tries find one with a free slot; when all seem full, the last try asks a runner to
   * keep the run in its line, and the user sees the position.
   */
  private async requestRun(request: Omit<RunRequestV1, 'queueIfBusy'>): Promise<RunAcceptedV1> {
    for (let attempt = 1; attempt < RUN_ATTEMPTS; attempt++) {
      try {
        return await this.bus.request('runner.run', { ...request, queueIfBusy: false });
      } catch (error) {
        if (!(error instanceof BusError && ASK_ANOTHER_RUNNER.has(error.code))) throw error;
      }
    }
    return this.bus.request('runner.run', { ...request, queueIfBusy: true });
  }

  /**
   * Stores an output event, then passes it on to viewers. A run's last event closes its task
   * before it is stored, as a viewer may read it from the transcript at once: whoever sees
   * `final` sees the task done. The session is freed once the event is stored (the next run
   * numbers its events after it). When the store fails on the way, the run is given up.
   */
  recordOutput(received: OutputEventV1): Promise<void> {
    return withLogIds({ sessionId: received.sessionId, taskId: received.taskId, runId: received.runId }, () => this.storeOutput(received));
  }

  private async storeOutput(received: OutputEventV1): Promise<void> {
    // Redacted here too: the engine's config may know secrets the runner's does not.
    const event = this.redactor.redactAll(received);
    const terminal = event.type === 'final' || event.type === 'error';
    const started = event.type === 'status' && (event.state === 'started' || event.state === 'resumed');
    let stored = false;
    try {
      if (terminal) await this.settle(event);
      stored = await this.transcript.appendEvent(event);
      if (!stored) return;
      if (started) await this.tasks.taskRunning(event.taskId);
      if ((event.type === 'status' || event.type === 'final') && event.agentSessionId) {
        await this.sessions.rememberAgentSession(event.sessionId, event.agentSessionId);
      }
      // Freed only once the event is stored: the session's next run numbers its events after it.
      if (terminal) await this.sessions.releaseSession(event.sessionId);
    } catch (error) {
      return this.giveUp(event, stored, error);
    }
    this.bus.publish('session.*.events', event, [event.sessionId]);
    // Its task started, or it ended and the session is free (or the task queued again).
    if (started || terminal) this.pending.track(this.summaries.changed(event.sessionId));
    if (terminal) this.pending.track(this.dispatch(event.sessionId));
  }

  /**
   * A viewer may read the event from the transcript as soon as it is stored, so a run's end
   * settles its task first: whoever sees a run's end sees its task's outcome. A repeat (its
   * seq is stored already) changes nothing.
   */
  private async settle(event: Extract<OutputEventV1, { type: 'final' | 'error' }>): Promise<void> {
    if (((await this.sessions.session(event.sessionId))?.lastSeq ?? 0) >= event.seq) return;
    if (event.type === 'final') await this.tasks.finishTask(event.taskId, 'done', null);
    else await this.closeOrRetry(event);
  }

  /**
   * The store failed on a run's event (a database that is down or refuses a row): rather
   * than leave the session held and its viewers waiting, the run is given up. Its task
   * fails naming the error id; an error event takes the place of the lost one (or follows
   * it, when that one was stored) so viewers see the end; the runner is asked to kill the
   * run, whose later events the store drops; then the session's next task runs. Each step is
   * tried on its own, as a store that is down refuses them all.
   */
  private async giveUp(event: OutputEventV1, stored: boolean, error: unknown): Promise<void> {
    if (this.givenUp.has(event.runId)) return;
    this.givenUp.add(event.runId);
    const { errorId } = reportInternalError(error, `storing event ${event.seq} of run ${event.runId} (session ${event.sessionId})`);
    const text = `could not store the run's output (internal error ${errorId}); the run was given up`;
    const end = runErrorEvent(
      { sessionId: event.sessionId, taskId: event.taskId, runId: event.runId, seq: stored ? event.seq + 1 : event.seq },
      'store_failed',
      text,
      this.clock.now(),
    );
    await this.tryTo(`fail task ${event.taskId}`, () => this.tasks.finishTask(event.taskId, 'failed', text));
    await this.tryTo(`store the end of run ${event.runId}`, () => this.transcript.appendEvent(end));
    // Killed before the session is freed: the runner refuses a new run while this one lives.
    // No runner or no live run (it had ended) leaves nothing to kill.
    await this.bus.request('session.*.control', { action: 'kill', by: 'the engine (store failed)' }, { params: [event.sessionId] }).catch(() => undefined);
    await this.tryTo(`release session ${event.sessionId}`, () => this.sessions.releaseSession(event.sessionId));
    this.logger.warn(`task ${event.taskId} failed: ${text}`);
    this.bus.publish('session.*.events', end, [event.sessionId]);
    await this.summaries.changed(event.sessionId);
    this.pending.track(this.dispatch(event.sessionId));
  }

  /** One step of giving up a run; its failure is logged with its own error id and the rest go on. */
  private async tryTo(what: string, step: () => Promise<unknown>): Promise<void> {
    await step().catch((error: unknown) => reportInternalError(error, `giving up a run: could not ${what}`));
  }

  /**
   * A run that ended in an error: another attempt when the cause may pass (the runner or
   * its tmux went away, the agent hit a usage limit: then with a fallback agent), within
   * maxAttempts; else the task is closed as cancelled (stopped by someone), blocked
   * (nothing will help until someone acts) or failed.
   */
  private async closeOrRetry(event: Extract<OutputEventV1, { type: 'error' }>): Promise<void> {
    const task = await this.tasks.task(event.taskId);
    if (!task) return;
    const { retry, status } = runEnding(event, task, this.config.maxAttempts, (route, agent) => this.router.fallback(route, agent));
    // A task that cannot go back to the queue any more (cancelled meanwhile) is closed instead.
    if (retry && (await this.tasks.retryTask(task.id, retry.reason, retry.agent ?? undefined))) {
      this.logger.log(`task ${task.id}: retrying (${retry.reason})`);
      return;
    }
    await this.tasks.finishTask(event.taskId, status, event.text, event.by ?? null);
    this.logger.log(`task ${event.taskId} ${status}`);
  }

  /**
   * Heartbeats tell the engine which runners live. On a runner's first heartbeat (after
   * either of them started) the engine starts work queued while no runner was there, and
   * asks the runner for events of its running sessions it may have missed while down.
   */
  async runnerSeen(heartbeat: RunnerHeartbeatV1): Promise<void> {
    const before = this.runners.get(heartbeat.runnerId);
    if (heartbeat.leaving) {
      // It left its runs live in tmux for the next runner process: they keep the grace of
      // RUNNER_LOST_MS from its last heartbeat, and its next heartbeat counts as a first one.
      this.runners.set(heartbeat.runnerId, { seen: before?.seen ?? this.clock.now().getTime(), leaving: true });
      return;
    }
    this.runners.set(heartbeat.runnerId, { seen: this.clock.now().getTime(), leaving: false });
    if (before && !before.leaving) return;
    for (const session of await this.sessions.runningSessions(heartbeat.runnerId)) {
      this.pending.track(this.resync(heartbeat.runnerId, session.id, session.lastSeq));
    }
    const sessions = await this.sessions.idleSessionsWithQueuedTasks();
    if (sessions.length > 0) this.logger.log(`runner ${heartbeat.runnerId} is up: resuming ${sessions.length} session(s) with queued tasks`);
    for (const sessionId of sessions) this.pending.track(this.dispatch(sessionId));
  }

  /** Runners whose heartbeat is recent. */
  liveRunners(): string[] {
    const now = this.clock.now().getTime();
    return [...this.runners].filter(([, runner]) => !runner.leaving && now - runner.seen < RUNNER_LOST_MS).map(([id]) => id);
  }

  private async resync(runnerId: string, sessionId: string, afterSeq: number): Promise<void> {
    const { republished } = await this.bus.request('runner.*.resync', { sessionId, afterSeq }, { params: [runnerId] });
    if (republished > 0) this.logger.log(`session ${sessionId}: runner ${runnerId} sent ${republished} missed event(s)`);
  }

  /**
   * Runs nobody is looking after: a dispatch the engine died in the middle of (the session
   * is held but no runner took the run) is done again; queued work waits for no runner once
   * one is up; a session whose runner sent no heartbeat for RUNNER_LOST_MS is failed and
   * told, never left "running". A call while a pass is under way shares that pass.
   */
  recover(): Promise<void> {
    this.recovering ??= this.recoverPass().finally(() => (this.recovering = undefined));
    return this.recovering;
  }

  private async recoverPass(): Promise<void> {
    const now = this.clock.now().getTime();
    const lost = new Set<string>();
    for (const session of await this.sessions.runningSessions()) {
      const task = await this.tasks.runningTask(session.id);
      if (!session.runnerId) {
        // Young claims may belong to a dispatch still under way on another engine.
        if (now - session.updatedAt.getTime() < DISPATCH_STALE_MS) continue;
        this.logger.warn(`session ${session.id}: dispatch was interrupted; doing it again`);
        if (task?.runId) await this.startRun(task, session, true);
        else {
          await this.sessions.releaseSession(session.id);
          await this.summaries.changed(session.id);
          await this.dispatch(session.id);
        }
        continue;
      }
      const text = this.lossOf(session.runnerId, now);
      if (!text || !task) continue;
      const runId = task.runId ?? newId();
      lost.add(session.id);
      // Its runner_lost is on the way (the retry or the close follows it): not told twice.
      if (this.reportedLost.get(session.id) === runId) continue;
      this.reportedLost.set(session.id, runId);
      this.logger.warn(`session ${session.id}: runner ${session.runnerId} is gone; failing task ${task.id}`);
      const run = { sessionId: session.id, taskId: task.id, runId, seq: session.lastSeq + 1 };
      this.bus.publish('session.*.output', runErrorEvent(run, 'runner_lost', text, new Date(now)), [session.id]);
    }
    // A session no longer lost (its run ended or its runner came back) may be lost again later.
    for (const sessionId of this.reportedLost.keys()) if (!lost.has(sessionId)) this.reportedLost.delete(sessionId);
    // Work that found no runner (or none answering in time) while one is up now.
    if (this.liveRunners().length === 0) return;
    for (const sessionId of await this.sessions.idleSessionsWithQueuedTasks()) await this.dispatch(sessionId);
  }

  /**
   * Why the runs of a runner are given up, or null while they are not: a runner gets
   * RUNNER_LOST_MS from its last heartbeat (or from the engine's start, for one not heard
   * from since), also when it stopped and left its runs for the next runner process.
   */
  private lossOf(runnerId: string, now: number): string | null {
    const runner = this.runners.get(runnerId);
    const since = runner?.seen ?? this.startedAt;
    if (now - since < RUNNER_LOST_MS) return null;
    const seconds = Math.round((now - since) / 1000);
    if (!runner) return `runner ${runnerId} was not heard from in the ${seconds} s since this engine started; the run is given up`;
    if (runner.leaving) return `runner ${runnerId} stopped ${seconds} s ago and no runner took its runs back; the run is given up`;
    return `runner ${runnerId} stopped answering for ${seconds} s; the run is given up`;
  }
}
