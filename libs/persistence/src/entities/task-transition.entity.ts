import { Entity, Index, OptionalProps, PrimaryKey, Property } from '@mikro-orm/core';
import type { TaskStatus } from '@patchbay/contracts';

/** One status change of a task: its history. */
@Entity({ tableName: 'task_transition' })
@Index({ properties: ['taskId'] })
export class TaskTransitionEntity {
  [OptionalProps]?: 'at' | 'reason' | 'fromStatus' | 'by';

  @PrimaryKey({ type: 'bigint', autoincrement: true })
  id!: string;

  @Property({ type: 'string', length: 40 })
  taskId!: string;

  @Property({ type: 'string', length: 20, nullable: true })
  fromStatus: TaskStatus | null = null;

  @Property({ type: 'string', length: 20 })
  toStatus!: TaskStatus;

  @Property({ type: 'Date', columnType: 'timestamptz' })
  at: Date = new Date();

  @Property({ type: 'text', nullable: true })
  reason: string | null = null;

  /** Who made the change, where Patchbay knows: `<channel>:<user>` of the sender, who stopped or retried it. */
  @Property({ type: 'string', length: 250, nullable: true })
  by: string | null = null;
}
