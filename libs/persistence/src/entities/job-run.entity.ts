import { Entity, Index, OptionalProps, PrimaryKey, Property } from '@mikro-orm/core';

export type JobTrigger = 'schedule' | 'manual';

/** One firing of a job: the slot, when it fired, and what the engine made of its message. */
@Entity({ tableName: 'job_run' })
@Index({ properties: ['jobId', 'firedAt'] })
export class JobRunEntity {
  /** Properties with defaults, optional in em.create(). */
  [OptionalProps]?: 'taskId' | 'sessionId' | 'duplicate' | 'error';

  @PrimaryKey({ type: 'string', length: 40 })
  id!: string;

  @Property({ type: 'string', length: 40 })
  jobId!: string;

  /** The slot fired; for a manual run, when it was asked for. */
  @Property({ type: 'Date', columnType: 'timestamptz' })
  scheduledFor!: Date;

  @Property({ type: 'Date', columnType: 'timestamptz' })
  firedAt!: Date;

  @Property({ type: 'string', length: 20 })
  trigger!: JobTrigger;

  /** What became of the message (task, input, command, …), or `failed`. */
  @Property({ type: 'string', length: 20 })
  outcome!: string;

  /** True when the slot's message had been taken before (its first task is recorded). */
  @Property({ type: 'boolean' })
  duplicate = false;

  @Property({ type: 'string', length: 40, nullable: true })
  taskId: string | null = null;

  @Property({ type: 'string', length: 40, nullable: true })
  sessionId: string | null = null;

  @Property({ type: 'text', nullable: true })
  error: string | null = null;
}
