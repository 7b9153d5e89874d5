import { Injectable } from '@nestjs/common';
import { UniqueConstraintViolationException } from '@mikro-orm/postgresql';
import { ApprovalV1 } from '@patchbay/contracts';
import { Database } from './database';
import { ApprovalDecisionKind, ApprovalEntity, ApprovalStatus } from './entities';

/** A request to store: pending, or decided at once (by policy or an earlier session allowance). */
export type NewApproval = Pick<
  ApprovalEntity,
  | 'id'
  | 'sessionId'
  | 'taskId'
  | 'agent'
  | 'toolUseId'
  | 'tool'
  | 'summary'
  | 'scope'
  | 'status'
  | 'decision'
  | 'decidedBy'
  | 'deciderName'
  | 'reason'
  | 'requestedAt'
  | 'expiresAt'
  | 'decidedAt'
>;

/** An answer to a pending request. */
export interface ApprovalAnswer {
  status: Exclude<ApprovalStatus, 'pending'>;
  decision: ApprovalDecisionKind;
  decidedBy: string;
  deciderName: string | null;
  reason: string | null;
  decidedAt: Date;
}

/** Approval requests and their answers. Each call uses its own unit of work. */
@Injectable()
export class ApprovalsStore {
  constructor(private readonly database: Database) {}

  async byToolUse(sessionId: string, toolUseId: string): Promise<ApprovalV1 | null> {
    const row = await this.database.em().findOne(ApprovalEntity, { sessionId, toolUseId });
    return row ? toApproval(row) : null;
  }

  async byId(id: string): Promise<ApprovalV1 | null> {
    const row = await this.database.em().findOne(ApprovalEntity, id);
    return row ? toApproval(row) : null;
  }

  /**
   * Stores a request; when the same tool use was stored meanwhile (a runner asking twice
   * at once), the stored one instead. `created` says which.
   */
  async insert(approval: NewApproval): Promise<{ approval: ApprovalV1; created: boolean }> {
    try {
      await this.database.em().insert(ApprovalEntity, approval);
      return { approval: toApproval(approval), created: true };
    } catch (error) {
      if (!(error instanceof UniqueConstraintViolationException)) throw error;
      const stored = await this.byToolUse(approval.sessionId, approval.toolUseId);
      if (!stored) throw error;
      return { approval: stored, created: false };
    }
  }

  /** How many requests wait for a person, by agent. */
  async pendingByAgent(): Promise<Record<string, number>> {
    const rows: Array<{ agent: string; count: string | number }> = await this.database
      .em()
      .getConnection()
      .execute(`select agent, count(*) as count from approval where status = 'pending' group by agent`);
    return Object.fromEntries(rows.map((r) => [r.agent, Number(r.count)]));
  }

  /** What an "allow for this session" of the request would cover: null when nothing could; undefined for no such request. */
  async scopeOf(id: string): Promise<string | null | undefined> {
    const row = await this.database.em().findOne(ApprovalEntity, id, { fields: ['scope'] });
    return row ? row.scope : undefined;
  }

  /** Whether a person allowed `scope` for the rest of the session. */
  async sessionAllows(sessionId: string, scope: string): Promise<boolean> {
    return (await this.database.em().count(ApprovalEntity, { sessionId, scope, decision: 'allow_session' })) > 0;
  }

  /**
   * Answers a request that is still pending, in one conditional update, so of answers given
   * at once exactly one wins. Null when it was not pending (or does not exist).
   */
  async decide(id: string, answer: ApprovalAnswer): Promise<ApprovalV1 | null> {
    const rows = await this.database.em().createQueryBuilder(ApprovalEntity).update(answer).where({ id, status: 'pending' }).returning('*').execute('all');
    const row = (rows as unknown as ApprovalEntity[])[0];
    return row ? toApproval(this.database.em().map(ApprovalEntity, row)) : null;
  }

  async pending(): Promise<ApprovalV1[]> {
    const rows = await this.database.em().find(ApprovalEntity, { status: 'pending' }, { orderBy: { requestedAt: 'asc' } });
    return rows.map(toApproval);
  }

  /** Newest first; only pending ones unless `pendingOnly` is false. */
  async list(query: { sessionId?: string; pendingOnly: boolean; limit: number }): Promise<ApprovalV1[]> {
    const rows = await this.database
      .em()
      .find(
        ApprovalEntity,
        { ...(query.sessionId ? { sessionId: query.sessionId } : {}), ...(query.pendingOnly ? { status: 'pending' as const } : {}) },
        { orderBy: { requestedAt: 'desc', id: 'desc' }, limit: query.limit },
      );
    return rows.map(toApproval);
  }
}

/** A stored row as the bus carries it. */
export function toApproval(row: NewApproval): ApprovalV1 {
  return {
    id: row.id,
    sessionId: row.sessionId,
    taskId: row.taskId,
    agent: row.agent,
    toolUseId: row.toolUseId,
    tool: row.tool,
    summary: row.summary,
    scope: row.scope,
    status: row.status,
    decision: row.decision,
    decidedBy: row.decidedBy,
    deciderName: row.deciderName,
    reason: row.reason,
    requestedAt: row.requestedAt.toISOString(),
    expiresAt: row.expiresAt.toISOString(),
    decidedAt: row.decidedAt?.toISOString() ?? null,
  };
}
