import { Bus, TransportSubscription } from '@patchbay/bus';
import { ApprovalAskV1, ApprovalDecision, ApprovalV1, newId } from '@patchbay/contracts';

/**
 * A strict fake of the engine's side of approvals, for runner tests: answers approval.ask
 * (and engine.status, which a restarted runner waits for), records every ask, and decides
 * only what the test says. Asking again with the same session and toolUseId finds the same
 * request, as the real engine does; an ask that differs from the first for its toolUseId
 * is refused, so a runner that changed its question shows up.
 */
export class FakeApprovalsEngine {
  readonly asks: ApprovalAskV1[] = [];
  private readonly approvals = new Map<string, { ask: ApprovalAskV1; approval: ApprovalV1 }>();
  private subs: TransportSubscription[] = [];

  constructor(private readonly bus: Bus) {}

  start(): this {
    this.subs = [
      this.bus.respond('approval.ask', async (ask) => this.answer(ask)),
      this.bus.respond('engine.status', async () => ({ database: { ok: true, detail: 'fake approvals engine' } })),
    ];
    return this;
  }

  stop(): void {
    for (const sub of this.subs.splice(0)) sub.unsubscribe();
  }

  /** The asks about one tool use, in order. */
  asksFor(toolUseId: string): ApprovalAskV1[] {
    return this.asks.filter((a) => a.toolUseId === toolUseId);
  }

  /** The one request of a tool use (however often it was asked). */
  approval(toolUseId: string): ApprovalV1 {
    const found = [...this.approvals.values()].find(({ approval }) => approval.toolUseId === toolUseId);
    if (!found) throw new Error(`fake approvals engine: nobody asked about tool use ${toolUseId}`);
    return found.approval;
  }

  /** A person's answer: the request is decided, and approval.decided says so (the hint runners ask again on). */
  decide(toolUseId: string, decision: ApprovalDecision, by: string, reason?: string): ApprovalV1 {
    const current = this.approval(toolUseId);
    if (current.status !== 'pending') throw new Error(`fake approvals engine: ${toolUseId} is already ${current.status}`);
    const decided: ApprovalV1 = {
      ...current,
      status: decision === 'deny' ? 'denied' : 'allowed',
      decision,
      decidedBy: by,
      reason: reason ?? null,
      decidedAt: new Date().toISOString(),
    };
    this.approvals.get(keyOf(current))!.approval = decided;
    this.bus.publish('approval.decided', decided);
    return decided;
  }

  private answer(ask: ApprovalAskV1): ApprovalV1 {
    this.asks.push(ask);
    const known = this.approvals.get(keyOf(ask));
    if (known) {
      const { ask: first, approval } = known;
      if (JSON.stringify(first) !== JSON.stringify(ask)) {
        throw new Error(`fake approvals engine: tool use ${ask.toolUseId} asked again differently: ${JSON.stringify(first)} then ${JSON.stringify(ask)}`);
      }
      return approval;
    }
    const approval = pendingApproval(ask, newId(), new Date());
    this.approvals.set(keyOf(ask), { ask, approval });
    return approval;
  }
}

/** The request an ask opens: pending for ten minutes (the default approvals.timeoutSeconds). */
export function pendingApproval(ask: ApprovalAskV1, id: string, now: Date): ApprovalV1 {
  return {
    id,
    sessionId: ask.sessionId,
    taskId: ask.taskId,
    agent: ask.agent,
    toolUseId: ask.toolUseId,
    tool: ask.tool,
    summary: ask.summary,
    // A fake's scope: the tool (the engine's own rules are in approval-policy.ts).
    scope: ask.tool,
    status: 'pending',
    decision: null,
    decidedBy: null,
    deciderName: null,
    reason: null,
    requestedAt: now.toISOString(),
    expiresAt: new Date(now.getTime() + 600_000).toISOString(),
    decidedAt: null,
  };
}

function keyOf({ sessionId, toolUseId }: { sessionId: string; toolUseId: string }): string {
  return `${sessionId}/${toolUseId}`;
}
