import { Entity, OptionalProps, Index, PrimaryKey, Property } from '@mikro-orm/core';
import type { TaskStatus } from '@patchbay/contracts';

/** One piece of work for an agent: a prompt run in a session. */
@Entity({ tableName: 'task' })
@Index({ properties: ['sessionId', 'status'] })
export class TaskEntity {
  /** Properties with defaults, optional in em.create(). */
  [OptionalProps]?: 'status' | 'chatId' | 'runId' | 'error' | 'attempts' | 'route' | 'createdAt' | 'updatedAt' | 'startedAt' | 'finishedAt';

  @PrimaryKey({ type: 'string', length: 40 })
  id!: string;

  @Property({ type: 'string', length: 40 })
  sessionId!: string;

  @Property({ type: 'string', length: 20 })
  status: TaskStatus = 'new';

  @Property({ type: 'string', length: 100 })
  agent!: string;

  @Property({ type: 'text' })
  prompt!: string;

  @Property({ type: 'string', length: 40 })
  channel!: string;

  @Property({ type: 'string', length: 200, nullable: true })
  chatId: string | null = null;

  /** The run currently (or last) executing this task. */
  @Property({ type: 'string', length: 40, nullable: true })
  runId: string | null = null;

  @Property({ type: 'text', nullable: true })
  error: string | null = null;

  /** Runs started for this task so far (a retry adds one). */
  @Property({ type: 'integer' })
  attempts = 0;

  /** The routing rule that chose the agent, whose fallbacks a retry may use. */
  @Property({ type: 'string', length: 100, nullable: true })
  route: string | null = null;

  @Property({ type: 'Date', columnType: 'timestamptz' })
  createdAt: Date = new Date();

  @Property({ type: 'Date', columnType: 'timestamptz', onUpdate: () => new Date() })
  updatedAt: Date = new Date();

  @Property({ type: 'Date', columnType: 'timestamptz', nullable: true })
  startedAt: Date | null = null;

  @Property({ type: 'Date', columnType: 'timestamptz', nullable: true })
  finishedAt: Date | null = null;
}
