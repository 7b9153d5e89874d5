import { Inject, Injectable, Logger } from '@nestjs/common';
import type { AgentProfile } from '@patchbay/agents';
import { AppError } from '@patchbay/bus';
import { jobChatId, JobRunV1, JobSpecV1, JobV1, SCHEDULE_CHANNEL } from '@patchbay/contracts';
import { JobEntity, JobsStore, toJobRunV1, toJobV1 } from '@patchbay/persistence';
import { Clock } from '@patchbay/config';
import { AGENT_PROFILES } from '../engine.constants';
import { firstRun, parseSchedule, Schedule, ScheduleError, upcomingRuns } from './schedule';
import { scheduleOf, SchedulerService } from './scheduler.service';

/**
 * Keeps the scheduled jobs: add, list, remove, enable, run now, and their run log (what
 * JobsController answers on the bus). A change that moves a next run wakes the scheduler.
 */
@Injectable()
export class JobsService {
  private readonly logger = new Logger('Jobs');

  constructor(
    private readonly jobs: JobsStore,
    private readonly scheduler: SchedulerService,
    private readonly clock: Clock,
    @Inject(AGENT_PROFILES) private readonly profiles: ReadonlyMap<string, AgentProfile>,
  ) {}

  async add(spec: JobSpecV1): Promise<JobV1> {
    const schedule = asAppError(() => parseSchedule(spec));
    const nextRunAt = asAppError(() => firstRun(schedule, this.clock.now()));
    if (spec.agent && !this.profiles.has(spec.agent)) {
      const known = [...this.profiles.keys()].join(', ');
      throw new AppError('invalid_job', `unknown agent "${spec.agent}": known agents are ${known}`);
    }
    const target = spec.target ?? { channel: SCHEDULE_CHANNEL, chatId: jobChatId(spec.name) };
    if ('sessionId' in target && !(await this.jobs.sessionExists(target.sessionId))) {
      throw new AppError('invalid_job', `target session ${target.sessionId} does not exist`);
    }
    if ('sessionId' in target && spec.agent) {
      throw new AppError('invalid_job', `agent applies to a session the job creates; session ${target.sessionId} keeps its own agent`);
    }
    const job = await this.jobs.insert({
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
    this.scheduler.wake();
    return view(job);
  }

  async list(): Promise<JobV1[]> {
    return (await this.jobs.list()).map(view);
  }

  async remove(name: string): Promise<JobV1> {
    const job = await this.jobs.remove(name, { channel: SCHEDULE_CHANNEL, chatId: jobChatId(name) });
    if (!job) throw notFound(name);
    this.logger.log(`job ${name} removed`);
    return view(job);
  }

  /**
   * Enabling computes the next run from now (no catch-up for the time a job was off); a
   * one-shot job that already fired stays done.
   */
  async setEnabled(name: string, enabled: boolean): Promise<JobV1> {
    const job = await asAppError(() =>
      this.jobs.setEnabled(name, enabled, (current) => {
        if (current.enabled && current.nextRunAt) return current.nextRunAt;
        const schedule = scheduleOf(current);
        if (schedule.kind === 'at' && current.nextRunAt === null) {
          throw new ScheduleError(
            `job "${name}" ran once at ${current.lastRunAt?.toISOString() ?? schedule.at.toISOString()}: a one-shot job does not run again (use \`jobs run\`, or add a new job)`,
          );
        }
        return firstRun(schedule, this.clock.now());
      }),
    );
    if (!job) throw notFound(name);
    this.logger.log(`job ${name} ${enabled ? 'enabled' : 'disabled'}`);
    if (enabled) this.scheduler.wake();
    return view(job);
  }

  /** Fires a job now, out of its schedule (also a disabled one); its schedule is unchanged. */
  async runNow(name: string): Promise<JobRunV1> {
    const job = await this.jobs.byName(name);
    if (!job) throw notFound(name);
    return this.scheduler.fireNow(job);
  }

  async runs(name: string, limit: number): Promise<JobRunV1[]> {
    const job = await this.jobs.byName(name);
    if (!job) throw notFound(name);
    return (await this.jobs.runs(job.id, limit)).map(toJobRunV1);
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

/** How many upcoming slots a job shows. */
const UPCOMING = 5;

/** A job as the API shows it, with its next slots. */
function view(job: JobEntity): JobV1 {
  return toJobV1(job, job.enabled ? upcomingRuns(scheduleOf(job), job.nextRunAt, UPCOMING) : []);
}
