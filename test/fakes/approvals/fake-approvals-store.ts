import { ApprovalV1 } from '@patchbay/contracts';
import { ApprovalAnswer, ApprovalsStore, NewApproval, toApproval as wire } from '@patchbay/persistence';

type Surface = Pick<ApprovalsStore, 'byToolUse' | 'byId' | 'insert' | 'scopeOf' | 'sessionAllows' | 'decide' | 'pending' | 'pendingByAgent' | 'list'>;

/** ApprovalsStore in memory, with the same rules: one request per tool use, only a pending one can be decided. */
export class FakeApprovalsStore implements Surface {
  readonly rows: Array<NewApproval> = [];

  async byToolUse(sessionId: string, toolUseId: string): Promise<ApprovalV1 | null> {
    const row = this.rows.find((r) => r.sessionId === sessionId && r.toolUseId === toolUseId);
    return row ? wire(row) : null;
  }

  async byId(id: string): Promise<ApprovalV1 | null> {
    const row = this.rows.find((r) => r.id === id);
    return row ? wire(row) : null;
  }

  async insert(approval: NewApproval): Promise<{ approval: ApprovalV1; created: boolean }> {
    const stored = await this.byToolUse(approval.sessionId, approval.toolUseId);
    if (stored) return { approval: stored, created: false };
    this.rows.push({ ...approval });
    return { approval: wire(approval), created: true };
  }

  async scopeOf(id: string): Promise<string | null | undefined> {
    return this.rows.find((r) => r.id === id)?.scope;
  }

  async sessionAllows(sessionId: string, scope: string): Promise<boolean> {
    return this.rows.some((r) => r.sessionId === sessionId && r.scope === scope && r.decision === 'allow_session');
  }

  async decide(id: string, answer: ApprovalAnswer): Promise<ApprovalV1 | null> {
    const row = this.rows.find((r) => r.id === id && r.status === 'pending');
    if (!row) return null;
    Object.assign(row, answer);
    return wire(row);
  }

  async pending(): Promise<ApprovalV1[]> {
    return this.rows.filter((r) => r.status === 'pending').map(wire);
  }

  async pendingByAgent(): Promise<Record<string, number>> {
    const counts: Record<string, number> = {};
    for (const r of this.rows) if (r.status === 'pending') counts[r.agent] = (counts[r.agent] ?? 0) + 1;
    return counts;
  }

  async list(query: { sessionId?: string; pendingOnly: boolean; limit: number }): Promise<ApprovalV1[]> {
    return this.rows
      .filter((r) => (!query.sessionId || r.sessionId === query.sessionId) && (!query.pendingOnly || r.status === 'pending'))
      .reverse()
      .slice(0, query.limit)
      .map(wire);
  }
}
