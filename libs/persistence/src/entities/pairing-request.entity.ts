import { Entity, OptionalProps, PrimaryKey, Property } from '@mikro-orm/core';

export type PairingStatus = 'pending' | 'approved' | 'rejected';

/** An unknown sender's request to be let in, answered by an owner with its code. */
@Entity({ tableName: 'pairing_request' })
export class PairingRequestEntity {
  [OptionalProps]?: 'createdAt' | 'status' | 'displayName' | 'chatId' | 'decidedBy';

  /** 8 characters from an alphabet without look-alikes; the primary key. */
  @PrimaryKey({ type: 'string', length: 8 })
  code!: string;

  @Property({ type: 'string', length: 40 })
  channel!: string;

  @Property({ type: 'string', length: 200 })
  platformUserId!: string;

  @Property({ type: 'string', length: 200, nullable: true })
  displayName: string | null = null;

  @Property({ type: 'string', length: 200, nullable: true })
  chatId: string | null = null;

  @Property({ type: 'string', length: 20 })
  status: PairingStatus = 'pending';

  @Property({ type: 'string', length: 200, nullable: true })
  decidedBy: string | null = null;

  @Property({ type: 'Date', columnType: 'timestamptz' })
  createdAt: Date = new Date();

  @Property({ type: 'Date', columnType: 'timestamptz' })
  expiresAt!: Date;
}
