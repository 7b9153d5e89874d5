import { ApprovalDecision, ApprovalListV1, ApprovalV1 } from '@patchbay/contracts';
import { ApiClient } from './api-client';
import { oneLine, printTable } from './table';

/** `patchbay approvals`: what agents wait for a person to allow, oldest first. */
export async function approvalsCommand(api: ApiClient): Promise<number> {
  const { approvals } = await api.get<ApprovalListV1>('/api/approvals');
  printTable(
    ['ID', 'SESSION', 'AGENT', 'TOOL', 'WHAT', 'EXPIRES'],
    approvals.reverse().map((a) => [a.id, a.sessionId, a.agent, a.tool, oneLine(a.summary, 60), a.expiresAt]),
    '(nothing waits for an answer)',
  );
  return 0;
}

/** `patchbay approve <id> [--session]` and `patchbay deny <id> [reason…]`. */
export async function answerCommand(api: ApiClient, id: string, decision: ApprovalDecision, reason?: string): Promise<number> {
  const decided = await api.post<ApprovalV1>(`/api/approvals/${encodeURIComponent(id)}`, { decision, ...(reason ? { reason } : {}) });
  const what = decision === 'deny' ? 'denied' : decision === 'allow_session' ? `allowed for the rest of session ${decided.sessionId}` : 'allowed once';
  process.stdout.write(`${decided.tool} ${what}: ${oneLine(decided.summary, 80)}\n`);
  return 0;
}

/** The line `send` and `stream` print when the followed session's agent asks, or is answered. */
export function approvalLine(approval: ApprovalV1): string {
  if (approval.status === 'pending') {
    return `? ${approval.agent} wants to run ${approval.tool}: \`${oneLine(approval.summary, 200)}\` - patchbay approve ${approval.id} | deny ${approval.id}\n`;
  }
  const reason = approval.reason ? ` (${approval.reason})` : '';
  return `[approval] ${approval.tool} ${approval.status} by ${approval.deciderName ?? approval.decidedBy}${reason}\n`;
}
