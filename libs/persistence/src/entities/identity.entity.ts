import { Entity, OptionalProps, PrimaryKey, Property, Unique } from '@mikro-orm/core';

/** A principal's account on one channel (a Telegram user id, a GitHub login, a local user). */
@Entity({ tableName: 'identity' })
@Unique({ properties: ['channel', 'platformUserId'] })
export class IdentityEntity {
  [OptionalProps]?: 'createdAt' | 'displayName';

  @PrimaryKey({ type: 'string', length: 40 })
  id!: string;

  @Property({ type: 'string', length: 40 })
  principalId!: string;

  @Property({ type: 'string', length: 40 })
  channel!: string;

  @Property({ type: 'string', length: 200 })
  platformUserId!: string;

  @Property({ type: 'string', length: 200, nullable: true })
  displayName: string | null = null;

  @Property({ type: 'Date', columnType: 'timestamptz' })
  createdAt: Date = new Date();
}
