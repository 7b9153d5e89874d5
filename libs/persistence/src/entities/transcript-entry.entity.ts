import { Entity, OptionalProps, PrimaryKey, Property, Unique } from '@mikro-orm/core';
import type { OutputEventV1 } from '@patchbay/contracts';

/** One stored output event; (session, seq) is unique so a redelivered event is stored once. */
@Entity({ tableName: 'transcript_entry' })
@Unique({ properties: ['sessionId', 'seq'] })
export class TranscriptEntryEntity {
  /** Properties with defaults, optional in em.create(). */
  [OptionalProps]?: 'createdAt';

  @PrimaryKey({ type: 'bigint', autoincrement: true })
  id!: string;

  @Property({ type: 'string', length: 40 })
  sessionId!: string;

  @Property({ type: 'integer' })
  seq!: number;

  @Property({ type: 'string', length: 40 })
  taskId!: string;

  @Property({ type: 'string', length: 20 })
  type!: OutputEventV1['type'];

  @Property({ type: 'json' })
  event!: OutputEventV1;

  @Property({ type: 'Date', columnType: 'timestamptz' })
  createdAt: Date = new Date();
}
