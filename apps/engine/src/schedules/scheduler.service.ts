import { Inject, Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import type { AgentProfile } from '@patchbay/agents';
import { AppError, describeError } from '@patchbay/bus';
import { AgentSurveyV1, InboundAcceptedV1, InboundMessageV1, jobChatId, JobRunV1, SCHEDULE_CHANNEL } from '@patchbay/contracts';
import { DueFiring, JobEntity, JobsStore, RunRecord, toJobRunV1 } from '@patchbay/persistence';
import { Clock } from '@patchbay/config';
import { AGENT_PROFILES, AGENT_SURVEY } from '../engine.constants';
import { nextRunAfter, parseSchedule, Schedule } from './schedule';

/** Where a firing's message goes: the engine's inbound path (dedup, routing, dispatch). */
export abstract class InboundSink {
  abstract accept(message: InboundMessageV1): Promise<InboundAcceptedV1>;
}

/** The loop sleeps until the next job is due, but never longer (jobs other engines add). */
export const MAX_SLEEP_MS = 30_000;
/** A due job another engine is firing: look again shortly. */
const HELD_RETRY_MS = 1_000;
const ERROR_RETRY_MS = 5_000;
/** Firings per pass before the loop takes a breath (and checks whether it should stop). */
const MAX_FIRINGS_PER_PASS = 50;

type Outcome = Omit<RunRecord, 'trigger' | 'scheduledFor'>;

/**
 * Fires scheduled jobs (JobsService keeps them). Each firing is a message
 * on the `schedule` channel (account = job id, message id = `<job id>:<slot>`, chat =
 * `job:<name>`, bound to the job's target session) handed to the engine's inbound path, so
 * it becomes a task exactly as a user's message would.
 *
 * One loop per engine sleeps until the next slot (at most MAX_SLEEP_MS) and fires what is
 * due; engines share the work through row locks (see JobsStore.fireDue), and the message id
 * makes a repeated slot harmless.
 */
@Injectable()
export class SchedulerService implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('Scheduler');
  private loop: Promise<void> | null = null;
  private stopping = false;
  private woken = false;
  private wakeSignal = new AbortController();
  private readonly inFlight = new Set<Promise<unknown>>();

  constructor(
    private readonly jobs: JobsStore,
    private readonly inbound: InboundSink,
    private readonly clock: Clock,
    @Inject(AGENT_PROFILES) private readonly profiles: ReadonlyMap<string, AgentProfile>,
    /** The agent of jobs that name none is the survey's default (chosen once at start). */
    @Inject(AGENT_SURVEY) private readonly survey: Pick<AgentSurveyV1, 'defaultAgent'>,
  ) {}

  onApplicationBootstrap(): void {
    this.start();
  }

  onModuleDestroy(): Promise<void> {
    return this.stop();
  }

  /** Starts the loop (idempotent). */
  start(): void {
    if (this.loop) return;
    this.stopping = false;
    this.loop = this.runLoop();
  }

  /** Stops the loop and waits for firings in progress. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.wake();
    await this.loop;
    this.loop = null;
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
    this.stopping = false;
  }

  /** Makes the loop look at the jobs now (a job was added or enabled, or time moved). */
  wake(): void {
    this.woken = true;
    this.wakeSignal.abort();
  }

  private async runLoop(): Promise<void> {
    this.logger.log('scheduler started');
    while (!this.stopping) {
      this.woken = false;
      this.wakeSignal = new AbortController();
      let wait: number;
      try {
        const passAt = this.clock.now();
        const fired = await this.runDue();
        wait = fired.length >= MAX_FIRINGS_PER_PASS ? 0 : await this.untilNextDue(passAt);
      } catch (error) {
        this.logger.error(`scheduler pass failed: ${describeError(error, 'the scheduler pass').message}; retrying in ${ERROR_RETRY_MS / 1000} s`);
        wait = ERROR_RETRY_MS;
      }
      if (this.woken || this.stopping) continue;
      await this.clock.sleep(wait, this.wakeSignal.signal);
    }
    this.logger.log('scheduler stopped');
  }

  private async untilNextDue(passAt: Date): Promise<number> {
    const due = await this.jobs.nextDueAt();
    if (!due) return MAX_SLEEP_MS;
    // Came due while the pass ran: look again at once.
    if (due.getTime() > passAt.getTime() && due.getTime() <= this.clock.now().getTime()) return 0;
    const ms = due.getTime() - this.clock.now().getTime();
    // Was due when the pass began and is still: another engine holds it (its firing is under way).
    if (ms <= 0) return HELD_RETRY_MS;
    return Math.min(ms, MAX_SLEEP_MS);
  }

  /** One pass: fires every job due now, one at a time, each at most once across engines. */
  async runDue(): Promise<JobRunV1[]> {
    const runs: JobRunV1[] = [];
    while (!this.stopping && runs.length < MAX_FIRINGS_PER_PASS) {
      const now = this.clock.now();
      const fired = await this.track(this.jobs.fireDue(now, (job) => this.fireScheduled(job, now)));
      if (!fired) break;
      runs.push(toJobRunV1(fired.run));
    }
    return runs;
  }

  private async fireScheduled(job: JobEntity, now: Date): Promise<DueFiring> {
    const slot = job.nextRunAt!;
    let schedule: Schedule;
    try {
      schedule = scheduleOf(job);
    } catch (error) {
      // Stored before a rule changed (a time zone gone from the zone database): stop the job.
      const text = `schedule no longer valid, job disabled: ${(error as Error).message}`;
      this.logger.warn(`job ${job.name}: ${text}`);
      return { run: failed(now, text), nextRunAt: null, enabled: false };
    }
    const run = await this.send(job, slot);
    const nextRunAt = nextRunAfter(schedule, slot, now);
    return { run, nextRunAt, enabled: nextRunAt !== null };
  }

  /** Hands the job's message for `slot` to the engine; failures are recorded, not thrown. */
  private async send(job: JobEntity, slot: Date): Promise<Outcome> {
    const firedAt = this.clock.now();
    try {
      await this.bindJobChat(job);
      const accepted = await this.inbound.accept({
        channel: SCHEDULE_CHANNEL,
        accountId: job.id,
        messageId: `${job.id}:${slot.toISOString()}`,
        chatId: jobChatId(job.name),
        sender: { id: 'scheduler', name: `job ${job.name}` },
        text: job.prompt,
        receivedAt: firedAt.toISOString(),
      });
      const refused = accepted.outcome === 'denied' || accepted.outcome === 'pairing';
      this.logger.log(
        `job ${job.name} fired for ${slot.toISOString()}: ${accepted.duplicate ? 'already taken, ' : ''}${accepted.outcome}` +
          `${accepted.taskId ? ` ${accepted.taskId}` : ''}${accepted.sessionId ? ` in session ${accepted.sessionId}` : ''}`,
      );
      return {
        firedAt,
        outcome: accepted.outcome,
        duplicate: accepted.duplicate,
        taskId: accepted.taskId,
        sessionId: accepted.sessionId,
        error: refused ? (accepted.reply ?? accepted.outcome) : null,
      };
    } catch (error) {
      const text = describeError(error, `job ${job.name}`).message;
      this.logger.warn(`job ${job.name} failed to fire for ${slot.toISOString()}: ${text}`);
      return failed(firedAt, text);
    }
  }

  /**
   * The job's chat (`schedule` / `job:<name>`) follows its target: the session itself, or the
   * session bound to the target chat (a new one, of the job's agent, on the first firing).
   */
  private async bindJobChat(job: JobEntity): Promise<void> {
    const chatId = jobChatId(job.name);
    if (job.targetSessionId) {
      if (!(await this.jobs.sessionExists(job.targetSessionId))) throw new AppError('not_found', `target session ${job.targetSessionId} does not exist`);
      await this.jobs.bindChat(SCHEDULE_CHANNEL, chatId, job.targetSessionId);
      return;
    }
    if (job.agent && !this.profiles.has(job.agent)) throw new AppError('invalid_job', `agent "${job.agent}" is not configured any more`);
    const agent = job.agent ?? this.survey.defaultAgent;
    const sessionId = await this.jobs.sessionForChat(job.targetChannel!, job.targetChatId!, agent);
    if (job.targetChannel !== SCHEDULE_CHANNEL || job.targetChatId !== chatId) {
      await this.jobs.bindChat(SCHEDULE_CHANNEL, chatId, sessionId);
    }
  }

  /**
   * Fires a job now, out of its schedule (also a disabled one), recorded as a manual run;
   * its schedule is unchanged.
   */
  async fireNow(job: JobEntity): Promise<JobRunV1> {
    const slot = this.clock.now();
    const outcome = await this.track(this.send(job, slot));
    return toJobRunV1(await this.jobs.recordRun(job.id, { ...outcome, scheduledFor: slot, trigger: 'manual' }));
  }

  private track<T>(work: Promise<T>): Promise<T> {
    this.inFlight.add(work);
    void work.finally(() => this.inFlight.delete(work)).catch(() => undefined);
    return work;
  }
}

/** The schedule a stored job follows. */
export function scheduleOf(job: JobEntity): Schedule {
  switch (job.kind) {
    case 'cron':
      return parseSchedule({ cron: job.cron!, tz: job.timeZone ?? 'UTC' });
    case 'every':
      return { kind: 'every', seconds: job.everySeconds! };
    case 'at':
      return { kind: 'at', at: job.at! };
  }
}

function failed(firedAt: Date, error: string): Outcome {
  return { firedAt, outcome: 'failed', duplicate: false, taskId: null, sessionId: null, error };
}
