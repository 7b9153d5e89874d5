import { Entity, OptionalProps, PrimaryKey, Property } from '@mikro-orm/core';

export type SessionStatus = 'idle' | 'running' | 'failed';

/** A conversation with one agent, living in tmux session `pb-<id>` on one runner. */
@Entity({ tableName: 'session' })
export class SessionEntity {
  /** Properties with defaults, optional in em.create(). */
  [OptionalProps]?: 'status' | 'runnerId' | 'agentSessionId' | 'model' | 'route' | 'lastSeq' | 'createdAt' | 'updatedAt';

  @PrimaryKey({ type: 'string', length: 40 })
  id!: string;

  @Property({ type: 'string', length: 20 })
  status: SessionStatus = 'idle';

  @Property({ type: 'string', length: 100 })
  agent!: string;

  @Property({ type: 'string', length: 100 })
  tmuxSession!: string;

  @Property({ type: 'string', length: 200, nullable: true })
  runnerId: string | null = null;

  /** The routing rule that chose the session's agent (its `approvals` policy applies); null: the default agent. */
  @Property({ type: 'string', length: 100, nullable: true })
  route: string | null = null;

  /** Model override for this session's runs (`/model`), else the profile's. */
  @Property({ type: 'string', length: 200, nullable: true })
  model: string | null = null;

  /** The agent's own session (claude session_id, codex thread), resumed by the next run. */
  @Property({ type: 'string', length: 200, nullable: true })
  agentSessionId: string | null = null;

  /** Seq of the newest stored transcript entry; the next run continues from lastSeq + 1. */
  @Property({ type: 'integer' })
  lastSeq = 0;

  @Property({ type: 'Date', columnType: 'timestamptz' })
  createdAt: Date = new Date();

  @Property({ type: 'Date', columnType: 'timestamptz', onUpdate: () => new Date() })
  updatedAt: Date = new Date();
}
