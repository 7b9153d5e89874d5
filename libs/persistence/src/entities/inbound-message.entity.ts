import type { InboundAcceptedV1 } from '@patchbay/contracts';
import { Entity, Index, OptionalProps, PrimaryKey, Property, Unique } from '@mikro-orm/core';

/** Every message a channel delivered; the unique key makes redelivery harmless. */
@Entity({ tableName: 'inbound_message' })
@Unique({ properties: ['channel', 'accountId', 'platformMessageId'] })
/** The chats Patchbay knows, and when each was last heard from (SessionsStore.knownChats). */
@Index({ properties: ['channel', 'chatId', 'receivedAt'] })
export class InboundMessageEntity {
  /** Properties with defaults, optional in em.create(). */
  [OptionalProps]?: 'chatId' | 'senderName' | 'createdAt' | 'taskId' | 'sessionId' | 'reply' | 'contentDigest';

  @PrimaryKey({ type: 'string', length: 40 })
  id!: string;

  @Property({ type: 'string', length: 40 })
  channel!: string;

  @Property({ type: 'string', length: 200 })
  accountId!: string;

  @Property({ type: 'string', length: 200 })
  platformMessageId!: string;

  @Property({ type: 'string', length: 200, nullable: true })
  chatId: string | null = null;

  @Property({ type: 'string', length: 200 })
  senderId!: string;

  @Property({ type: 'string', length: 200, nullable: true })
  senderName: string | null = null;

  @Property({ type: 'text' })
  text!: string;

  /** InboundMessageV1.contentDigest: set when the client chose the message id. */
  @Property({ type: 'string', length: 64, nullable: true })
  contentDigest: string | null = null;

  /** The task this message started; null when it was typed into a live session. */
  @Property({ type: 'string', length: 40, nullable: true })
  taskId: string | null = null;

  /** What became of it: task, input, command, pairing or denied. */
  @Property({ type: 'string', length: 20 })
  outcome!: InboundAcceptedV1['outcome'];

  /** The answer the sender got, given again if the message is delivered again. */
  @Property({ type: 'text', nullable: true })
  reply: string | null = null;

  /** The session the message went to. */
  @Property({ type: 'string', length: 40, nullable: true })
  sessionId: string | null = null;

  @Property({ type: 'Date', columnType: 'timestamptz' })
  receivedAt!: Date;

  @Property({ type: 'Date', columnType: 'timestamptz' })
  createdAt: Date = new Date();
}
