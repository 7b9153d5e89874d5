import { Entity, Index, OptionalProps, PrimaryKey, Property } from '@mikro-orm/core';

/** One decision or action: who asked for what, and whether it was allowed. */
@Entity({ tableName: 'audit_entry' })
@Index({ properties: ['at'] })
export class AuditEntryEntity {
  [OptionalProps]?: 'at' | 'principalId' | 'target' | 'detail';

  @PrimaryKey({ type: 'bigint', autoincrement: true })
  id!: string;

  @Property({ type: 'Date', columnType: 'timestamptz' })
  at: Date = new Date();

  /** `<channel>:<user id>` of whoever acted. */
  @Property({ type: 'string', length: 250 })
  actor!: string;

  @Property({ type: 'string', length: 40, nullable: true })
  principalId: string | null = null;

  /** prompt, input, stop, watch, command:/name, pair.approve, … */
  @Property({ type: 'string', length: 100 })
  action!: string;

  @Property({ type: 'string', length: 200, nullable: true })
  target: string | null = null;

  @Property({ type: 'string', length: 10 })
  decision!: 'allow' | 'deny';

  @Property({ type: 'text', nullable: true })
  detail: string | null = null;
}
