import type { Delivery } from '@patchbay/contracts';
import { Entity, OptionalProps, PrimaryKey, Property, Unique } from '@mikro-orm/core';

/** A chat (on some channel) bound to a session: it receives the session's output. */
@Entity({ tableName: 'binding' })
@Unique({ properties: ['channel', 'chatId'] })
export class BindingEntity {
  /** Properties with defaults, optional in em.create(). */
  [OptionalProps]?: 'createdAt' | 'delivery';

  @PrimaryKey({ type: 'string', length: 40 })
  id!: string;

  @Property({ type: 'string', length: 40 })
  channel!: string;

  @Property({ type: 'string', length: 200 })
  chatId!: string;

  @Property({ type: 'string', length: 40 })
  sessionId!: string;

  /** live: one message edited as output streams; append: new messages; final: only the result. */
  @Property({ type: 'string', length: 10 })
  delivery: Delivery = 'live';

  @Property({ type: 'Date', columnType: 'timestamptz' })
  createdAt: Date = new Date();
}
