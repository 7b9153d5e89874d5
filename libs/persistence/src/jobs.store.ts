import { Injectable } from '@nestjs/common';
import { EntityManager, UniqueConstraintViolationException } from '@mikro-orm/postgresql';
import { JobRunV1, JobTargetV1, JobV1, newId } from '@patchbay/contracts';
import { Database } from './database';
import { BindingEntity, JobEntity, JobRunEntity, SessionEntity } from './entities';
import type { JobTrigger } from './entities/job-run.entity';
import { bindChatIn, openSessionIn, retryOnRace } from './session-opening';

/** A job to insert: everything but the bookkeeping columns. */
export type NewJob = Pick<
  JobEntity,
  'name' | 'kind' | 'cron' | 'timeZone' | 'everySeconds' | 'at' | 'prompt' | 'targetSessionId' | 'targetChannel' | 'targetChatId' | 'agent' | 'enabled' | 'nextRunAt'
>;

/** What a firing made of a job's message, for the run log. */
export interface RunRecord {
  scheduledFor: Date;
  firedAt: Date;
  trigger: JobTrigger;
  outcome: string;
  duplicate: boolean;
  taskId: string | null;
  sessionId: string | null;
  error: string | null;
}

/** The result of firing a due job: its run, and where its schedule goes next. */
export interface DueFiring {
  run: Omit<RunRecord, 'trigger' | 'scheduledFor'>;
  /** null: the job never fires again (a one-shot job). */
  nextRunAt: Date | null;
  enabled: boolean;
}

/** Every query the scheduler makes, in one place. Each call uses its own unit of work. */
@Injectable()
export class JobsStore {
  constructor(private readonly database: Database) {}

  /** Inserts a job; null when another job has the name. */
  async insert(job: NewJob): Promise<JobEntity | null> {
    const em = this.database.em();
    const entity = em.create(JobEntity, { id: newId(), ...job });
    try {
      await em.flush();
      return entity;
    } catch (error) {
      if (error instanceof UniqueConstraintViolationException) return null;
      throw error;
    }
  }

  async list(): Promise<JobEntity[]> {
    return this.database.em().find(JobEntity, {}, { orderBy: { name: 'asc' } });
  }

  async byName(name: string): Promise<JobEntity | null> {
    return this.database.em().findOne(JobEntity, { name });
  }

  /**
   * Removes a job, its run log and its own chat's binding (a job added later under the same
   * name starts afresh). The job's sessions and tasks stay. Null when there is no such job.
   */
  async remove(name: string, jobChat: { channel: string; chatId: string }): Promise<JobEntity | null> {
    return this.database.em().transactional(async (em) => {
      // Locked first: a firing in progress finishes (and binds its chat) before we clean up.
      const rows = await em.execute(`select * from "job" where "name" = ? for update`, [name]);
      if (rows.length === 0) return null;
      const job = em.map(JobEntity, rows[0]);
      await em.nativeDelete(JobRunEntity, { jobId: job.id });
      await em.nativeDelete(BindingEntity, { channel: jobChat.channel, chatId: jobChat.chatId });
      await em.nativeDelete(JobEntity, { id: job.id });
      return job;
    });
  }

  /**
   * Turns a job on or off. `nextRunAt` decides from the job as it is, under its row lock, so
   * a firing in progress finishes first. Null when there is no such job.
   */
  async setEnabled(name: string, enabled: boolean, nextRunAt: (job: JobEntity) => Date | null): Promise<JobEntity | null> {
    return this.database.em().transactional(async (em) => {
      const rows = await em.execute(`select * from "job" where "name" = ? for update`, [name]);
      if (rows.length === 0) return null;
      const job = em.map(JobEntity, rows[0]);
      if (enabled) job.nextRunAt = nextRunAt(job);
      job.enabled = enabled;
      await em.flush();
      return job;
    });
  }

  /** When the earliest enabled job is due; null when none is scheduled. */
  async nextDueAt(): Promise<Date | null> {
    const rows: Array<{ due: Date | null }> = await this.database.em().execute(`select min("next_run_at") as "due" from "job" where "enabled" and "next_run_at" is not null`);
    const due = rows[0]?.due;
    return due ? new Date(due) : null;
  }

  /**
   * Fires the earliest job due at `now`, at most once across engines: in one transaction its
   * row is locked (`FOR UPDATE SKIP LOCKED`: a job another engine holds is left to it),
   * `fire` acts on it, and its next run and the run log row are written before the commit.
   * Should the process die before the commit, the job is due again and the next firing of
   * the same slot meets the engine's message dedup. Null when nothing (unlocked) is due.
   */
  async fireDue(now: Date, fire: (job: JobEntity) => Promise<DueFiring>): Promise<{ job: JobEntity; run: JobRunEntity } | null> {
    return this.database.em().transactional(async (em) => {
      const rows = await em.execute(`select * from "job" where "enabled" and "next_run_at" <= ? order by "next_run_at", "id" limit 1 for update skip locked`, [now]);
      if (rows.length === 0) return null;
      const job = em.map(JobEntity, rows[0]);
      const slot = job.nextRunAt!;
      const firing = await fire(job);
      job.nextRunAt = firing.nextRunAt;
      job.enabled = firing.enabled;
      job.lastRunAt = firing.run.firedAt;
      const run = await this.insertRun(em, job.id, { ...firing.run, scheduledFor: slot, trigger: 'schedule' });
      return { job, run };
    });
  }

  /** Records a firing made outside the schedule (`jobs run`). */
  async recordRun(jobId: string, record: RunRecord): Promise<JobRunEntity> {
    return this.database.em().transactional(async (em) => {
      await em.nativeUpdate(JobEntity, { id: jobId }, { lastRunAt: record.firedAt, updatedAt: new Date() });
      return this.insertRun(em, jobId, record);
    });
  }

  private async insertRun(em: EntityManager, jobId: string, record: RunRecord): Promise<JobRunEntity> {
    const run = em.create(JobRunEntity, { id: newId(), jobId, ...record });
    await em.flush();
    return run;
  }

  /** A job's runs, newest first. */
  async runs(jobId: string, limit: number): Promise<JobRunEntity[]> {
    return this.database.em().find(JobRunEntity, { jobId }, { orderBy: { firedAt: 'desc', id: 'asc' }, limit });
  }

  async sessionExists(sessionId: string): Promise<boolean> {
    return (await this.database.em().count(SessionEntity, { id: sessionId })) > 0;
  }

  /**
   * The session bound to a chat, or a new session (of `agent`) bound to it. Concurrent
   * callers for the same new chat end up with the same session.
   */
  async sessionForChat(channel: string, chatId: string, agent: string): Promise<string> {
    // A caller that lost the race to bind the chat finds the winner's binding on its next pass.
    return retryOnRace(() =>
      this.database.em().transactional(async (em) => {
        const binding = await em.findOne(BindingEntity, { channel, chatId });
        if (binding) return binding.sessionId;
        const { session } = openSessionIn(em, { agent }, { channel, chatId });
        await em.flush();
        return session.id;
      }),
    );
  }

  /** Binds a chat to a session, replacing the session it was bound to. */
  async bindChat(channel: string, chatId: string, sessionId: string): Promise<void> {
    await bindChatIn(this.database.em(), { channel, chatId }, sessionId);
  }
}

export function jobTarget(job: JobEntity): JobTargetV1 {
  return job.targetSessionId ? { sessionId: job.targetSessionId } : { channel: job.targetChannel!, chatId: job.targetChatId! };
}

/** `upcoming`: the next slots from the job's schedule (the engine knows how to count them). */
export function toJobV1(job: JobEntity, upcoming: Date[]): JobV1 {
  return {
    id: job.id,
    name: job.name,
    cron: job.cron,
    tz: job.timeZone,
    every: job.everySeconds === null ? null : formatSeconds(job.everySeconds),
    at: job.at?.toISOString() ?? null,
    prompt: job.prompt,
    target: jobTarget(job),
    agent: job.agent,
    enabled: job.enabled,
    nextRunAt: job.nextRunAt?.toISOString() ?? null,
    upcoming: upcoming.map((slot) => slot.toISOString()),
    lastRunAt: job.lastRunAt?.toISOString() ?? null,
    createdAt: job.createdAt.toISOString(),
    updatedAt: job.updatedAt.toISOString(),
  };
}

export function toJobRunV1(run: JobRunEntity): JobRunV1 {
  return {
    id: run.id,
    jobId: run.jobId,
    scheduledFor: run.scheduledFor.toISOString(),
    firedAt: run.firedAt.toISOString(),
    trigger: run.trigger,
    outcome: run.outcome,
    duplicate: run.duplicate,
    taskId: run.taskId,
    sessionId: run.sessionId,
    error: run.error,
  };
}

/** 900 → `15m`: the largest unit that divides the interval. */
export function formatSeconds(seconds: number): string {
  for (const [unit, size] of [
    ['d', 86_400],
    ['h', 3_600],
    ['m', 60],
  ] as const) {
    if (seconds % size === 0) return `${seconds / size}${unit}`;
  }
  return `${seconds}s`;
}
