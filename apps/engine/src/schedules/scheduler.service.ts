import { Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { agentProfiles } from '@patchbay/agents';
import { AppError, describeError } from '@patchbay/bus';
import { PatchbayConfig } from '@patchbay/config';
import {
  InboundAcceptedV1,
  InboundMessageV1,
  jobChatId,
  JobRunV1,
  JobSpecV1,
  JobV1,
  SCHEDULE_CHANNEL,
} from '@patchbay/contracts';
import { DueFiring, JobEntity, JobsStore, RunRecord, toJobRunV1, toJobV1 } from '@patchbay/persistence';
import { firstRun, nextRunAfter, parseSchedule, Schedule, ScheduleError } from './schedule';
import { SchedulerClock } from './scheduler-clock';

/** Where a firing's message goes: the engine's inbound path (dedup, routing, dispatch). */
export abstract class InboundSink {
  abstract accept(message: InboundMessageV1): Promise<InboundAcceptedV1>;
}

export interface SchedulerDeps {
  jobs: JobsStore;
  inbound: InboundSink;
  clock: SchedulerClock;
  config: PatchbayConfig;
  /** The agent of jobs that name none (chosen once at start, see surveyAgents). */
  defaultAgent: string;
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
 * Scheduled jobs: keeps them (add, remove, enable) and fires them. Each firing is a message
 * on the `schedule` channel (account = job id, message id = `<job id>:<slot>`, chat =
 * `job:<name>`, bound to the job's target session) handed to the engine's inbound path, so
 * it becomes a task exactly as a user's message would.
 *
 * One loop per engine sleeps until the next slot (at most MAX_SLEEP_MS) and fires what is
 * due; engines share the work through row locks (see JobsStore.fireDue), and the message id
 * makes a repeated slot harmless.
 */
export class SchedulerService implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('Scheduler');
  private loop: Promise<void> | null = null;
  private stopping = false;
  private woken = false;
  private wakeSignal = new AbortController();
  private readonly inFlight = new Set<Promise<unknown>>();

  constructor(private readonly deps: SchedulerDeps) {}

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
        const passAt = this.deps.clock.now();
        const fired = await this.runDue();
        wait = fired.length >= MAX_FIRINGS_PER_PASS ? 0 : await this.untilNextDue(passAt);
      } catch (error) {
        this.logger.error(`scheduler pass failed: ${describeError(error, 'the scheduler pass').message}; retrying in ${ERROR_RETRY_MS / 1000} s`);
        wait = ERROR_RETRY_MS;
      }
      if (this.woken || this.stopping) continue;
      await this.deps.clock.sleep(wait, this.wakeSignal.signal);
    }
    this.logger.log('scheduler stopped');
  }

  private async untilNextDue(passAt: Date): Promise<number> {
    const due = await this.deps.jobs.nextDueAt();
    if (!due) return MAX_SLEEP_MS;
    // Came due while the pass ran: look again at once.
    if (due.getTime() > passAt.getTime() && due.getTime() <= this.deps.clock.now().getTime()) return 0;
    const ms = due.getTime() - this.deps.clock.now().getTime();
    // Was due when the pass began and is still: another engine holds it (its firing is under way).
    if (ms <= 0) return HELD_RETRY_MS;
    return Math.min(ms, MAX_SLEEP_MS);
  }

  /** One pass: fires every job due now, one at a time, each at most once across engines. */
  async runDue(): Promise<JobRunV1[]> {
    const runs: JobRunV1[] = [];
    while (!this.stopping && runs.length < MAX_FIRINGS_PER_PASS) {
      const now = this.deps.clock.now();
      const fired = await this.track(this.deps.jobs.fireDue(now, (job) => this.fireScheduled(job, now)));
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
    const firedAt = this.deps.clock.now();
    try {
      await this.bindJobChat(job);
      const accepted = await this.deps.inbound.accept({
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
      if (!(await this.deps.jobs.sessionExists(job.targetSessionId))) throw new AppError('not_found', `target session ${job.targetSessionId} does not exist`);
      await this.deps.jobs.bindChat(SCHEDULE_CHANNEL, chatId, job.targetSessionId);
      return;
    }
    if (job.agent && !agentProfiles(this.deps.config).has(job.agent)) throw new AppError('invalid_job', `agent "${job.agent}" is not configured any more`);
    const agent = job.agent ?? this.deps.defaultAgent;
    const sessionId = await this.deps.jobs.sessionForChat(job.targetChannel!, job.targetChatId!, agent);
    if (job.targetChannel !== SCHEDULE_CHANNEL || job.targetChatId !== chatId) {
      await this.deps.jobs.bindChat(SCHEDULE_CHANNEL, chatId, sessionId);
    }
  }

  // ---- what the bus (JobsController) asks for ----

  async add(spec: JobSpecV1): Promise<JobV1> {
    const schedule = asAppError(() => parseSchedule(spec));
    const nextRunAt = asAppError(() => firstRun(schedule, this.deps.clock.now()));
    if (spec.agent && !agentProfiles(this.deps.config).has(spec.agent)) {
      const known = [...agentProfiles(this.deps.config).keys()].join(', ');
      throw new AppError('invalid_job', `unknown agent "${spec.agent}": known agents are ${known}`);
    }
    const target = spec.target ?? { channel: SCHEDULE_CHANNEL, chatId: jobChatId(spec.name) };
    if ('sessionId' in target && !(await this.deps.jobs.sessionExists(target.sessionId))) {
      throw new AppError('invalid_job', `target session ${target.sessionId} does not exist`);
    }
    if ('sessionId' in target && spec.agent) {
      throw new AppError('invalid_job', `agent applies to a session the job creates; session ${target.sessionId} keeps its own agent`);
    }
    const job = await this.deps.jobs.insert({
      name: spec.name,
      kind: schedule.kind,
      cron: schedule.kind === 'cron' ? schedule.cron : null,
      timeZone: schedule.kind === 'cron' ? schedule.tz : null,
      everySeconds: schedule.kind === 'every' ? schedule.seconds : null,
      at: schedule.kind === 'at' ? schedule.at : null,
      prompt: spec.prompt,
      targetSessionId: 'sessionId' in target ? target.sessionId : null,
      targetChannel: 'channel' in target ? target.channel : null,
      targetChatId: 'chatId' in target ? target.chatId : null,
      agent: spec.agent ?? null,
      enabled: spec.enabled ?? true,
      nextRunAt,
    });
    if (!job) throw new AppError('duplicate', `a job named "${spec.name}" already exists: remove it first, or pick another name`);
    this.logger.log(`job ${job.name} added (${describeSchedule(schedule)}), next run ${nextRunAt?.toISOString() ?? 'never'}`);
    this.wake();
    return toJobV1(job);
  }

  async list(): Promise<JobV1[]> {
    return (await this.deps.jobs.list()).map(toJobV1);
  }

  async remove(name: string): Promise<JobV1> {
    const job = await this.deps.jobs.remove(name, { channel: SCHEDULE_CHANNEL, chatId: jobChatId(name) });
    if (!job) throw notFound(name);
    this.logger.log(`job ${name} removed`);
    return toJobV1(job);
  }

  /**
   * Enabling computes the next run from now (no catch-up for the time a job was off); a
   * one-shot job that already fired stays done.
   */
  async setEnabled(name: string, enabled: boolean): Promise<JobV1> {
    const job = await asAppError(() =>
      this.deps.jobs.setEnabled(name, enabled, (current) => {
        if (current.enabled && current.nextRunAt) return current.nextRunAt;
        const schedule = scheduleOf(current);
        if (schedule.kind === 'at' && current.nextRunAt === null) {
          throw new ScheduleError(`job "${name}" ran once at ${current.lastRunAt?.toISOString() ?? schedule.at.toISOString()}: a one-shot job does not run again (use \`jobs run\`, or add a new job)`);
        }
        return firstRun(schedule, this.deps.clock.now());
      }),
    );
    if (!job) throw notFound(name);
    this.logger.log(`job ${name} ${enabled ? 'enabled' : 'disabled'}`);
    if (enabled) this.wake();
    return toJobV1(job);
  }

  /** Fires a job now, out of its schedule (also a disabled one); its schedule is unchanged. */
  async runNow(name: string): Promise<JobRunV1> {
    const job = await this.deps.jobs.byName(name);
    if (!job) throw notFound(name);
    const slot = this.deps.clock.now();
    const outcome = await this.track(this.send(job, slot));
    return toJobRunV1(await this.deps.jobs.recordRun(job.id, { ...outcome, scheduledFor: slot, trigger: 'manual' }));
  }

  async runs(name: string, limit: number): Promise<JobRunV1[]> {
    const job = await this.deps.jobs.byName(name);
    if (!job) throw notFound(name);
    return (await this.deps.jobs.runs(job.id, limit)).map(toJobRunV1);
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

function describeSchedule(schedule: Schedule): string {
  switch (schedule.kind) {
    case 'cron':
      return `cron "${schedule.cron}" in ${schedule.tz}`;
    case 'every':
      return `every ${schedule.seconds} s`;
    case 'at':
      return `once at ${schedule.at.toISOString()}`;
  }
}

function failed(firedAt: Date, error: string): Outcome {
  return { firedAt, outcome: 'failed', duplicate: false, taskId: null, sessionId: null, error };
}

function notFound(name: string): AppError {
  return new AppError('not_found', `no job named "${name}"`);
}

/** A schedule the caller wrote wrong is their error (invalid_schedule), not ours. */
function asAppError<T>(work: () => T): T {
  try {
    const result = work();
    return result instanceof Promise ? (result.catch(rethrowSchedule) as T) : result;
  } catch (error) {
    return rethrowSchedule(error);
  }
}

function rethrowSchedule(error: unknown): never {
  if (error instanceof ScheduleError) throw new AppError('invalid_schedule', error.message);
  throw error;
}
