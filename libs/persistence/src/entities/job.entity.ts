import { Entity, Index, OptionalProps, PrimaryKey, Property, Unique } from '@mikro-orm/core';

export type JobKind = 'cron' | 'every' | 'at';

/**
 * A scheduled job: a prompt sent on a cron schedule (in a time zone), every N seconds, or
 * once at a time. Exactly the columns of its kind are set.
 */
@Entity({ tableName: 'job' })
@Unique({ properties: ['name'] })
@Index({ properties: ['enabled', 'nextRunAt'] })
export class JobEntity {
  /** Properties with defaults, optional in em.create(). */
  [OptionalProps]?:
    | 'cron'
    | 'timeZone'
    | 'everySeconds'
    | 'at'
    | 'targetSessionId'
    | 'targetChannel'
    | 'targetChatId'
    | 'agent'
    | 'enabled'
    | 'nextRunAt'
    | 'lastRunAt'
    | 'createdAt'
    | 'updatedAt';

  @PrimaryKey({ type: 'string', length: 40 })
  id!: string;

  @Property({ type: 'string', length: 100 })
  name!: string;

  @Property({ type: 'string', length: 10 })
  kind!: JobKind;

  /** As entered: five fields or a name such as @daily. */
  @Property({ type: 'string', length: 200, nullable: true })
  cron: string | null = null;

  /** IANA zone the cron fields are read in. */
  @Property({ type: 'string', length: 100, nullable: true })
  timeZone: string | null = null;

  @Property({ type: 'integer', nullable: true })
  everySeconds: number | null = null;

  @Property({ type: 'Date', columnType: 'timestamptz', nullable: true })
  at: Date | null = null;

  @Property({ type: 'text' })
  prompt!: string;

  /** Target: a session, or else a chat (the session bound to it, or a new one bound to it). */
  @Property({ type: 'string', length: 40, nullable: true })
  targetSessionId: string | null = null;

  @Property({ type: 'string', length: 40, nullable: true })
  targetChannel: string | null = null;

  @Property({ type: 'string', length: 200, nullable: true })
  targetChatId: string | null = null;

  /** The agent of a session the job creates; null: the default agent. */
  @Property({ type: 'string', length: 100, nullable: true })
  agent: string | null = null;

  @Property({ type: 'boolean' })
  enabled = true;

  /** The slot the job fires next; null when it never will (a one-shot job that ran). */
  @Property({ type: 'Date', columnType: 'timestamptz', nullable: true })
  nextRunAt: Date | null = null;

  @Property({ type: 'Date', columnType: 'timestamptz', nullable: true })
  lastRunAt: Date | null = null;

  @Property({ type: 'Date', columnType: 'timestamptz' })
  createdAt: Date = new Date();

  @Property({ type: 'Date', columnType: 'timestamptz', onUpdate: () => new Date() })
  updatedAt: Date = new Date();
}
