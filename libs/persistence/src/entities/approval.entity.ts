import { Entity, Index, OptionalProps, PrimaryKey, Property, Unique } from '@mikro-orm/core';

export type ApprovalStatus = 'pending' | 'allowed' | 'denied';
export type ApprovalDecisionKind = 'allow_once' | 'allow_session' | 'deny';

/**
 * An agent's request to use a tool, and its answer. One per tool use of a session, so a
 * runner asking again finds it; `scope` is what an "allow for this session" answer covers.
 */
@Entity({ tableName: 'approval' })
@Unique({ properties: ['sessionId', 'toolUseId'] })
@Index({ properties: ['sessionId', 'scope', 'decision'] })
@Index({ properties: ['status', 'expiresAt'] })
export class ApprovalEntity {
  /** Properties with defaults, optional in em.create(). */
  [OptionalProps]?: 'taskId' | 'scope' | 'decision' | 'decidedBy' | 'deciderName' | 'reason' | 'decidedAt';

  @PrimaryKey({ type: 'string', length: 40 })
  id!: string;

  @Property({ type: 'string', length: 40 })
  sessionId!: string;

  @Property({ type: 'string', length: 40, nullable: true })
  taskId: string | null = null;

  @Property({ type: 'string', length: 100 })
  agent!: string;

  @Property({ type: 'string', length: 200 })
  toolUseId!: string;

  @Property({ type: 'string', length: 200 })
  tool!: string;

  @Property({ type: 'text' })
  summary!: string;

  /** The tool, or `Bash(<first two words>)`; null when the use cannot be allowed for the session. */
  @Property({ type: 'string', length: 500, nullable: true })
  scope: string | null = null;

  @Property({ type: 'string', length: 20 })
  status!: ApprovalStatus;

  @Property({ type: 'string', length: 20, nullable: true })
  decision: ApprovalDecisionKind | null = null;

  @Property({ type: 'string', length: 250, nullable: true })
  decidedBy: string | null = null;

  @Property({ type: 'string', length: 200, nullable: true })
  deciderName: string | null = null;

  @Property({ type: 'text', nullable: true })
  reason: string | null = null;

  @Property({ type: 'Date', columnType: 'timestamptz' })
  requestedAt!: Date;

  @Property({ type: 'Date', columnType: 'timestamptz' })
  expiresAt!: Date;

  @Property({ type: 'Date', columnType: 'timestamptz', nullable: true })
  decidedAt: Date | null = null;
}
