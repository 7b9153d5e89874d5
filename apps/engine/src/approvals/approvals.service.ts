import { Inject, Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { AppError, Bus } from '@patchbay/bus';
import { PATCHBAY_CONFIG, PatchbayConfig } from '@patchbay/config';
import { ApprovalAskV1, ApprovalDecideV1, ApprovalListQueryV1, ApprovalV1, newId, Role, ROLE_ALLOWS } from '@patchbay/contracts';
import { ApprovalDecider, PatchbayMetrics } from '@patchbay/metrics';
import { AccessStore, ApprovalAnswer, ApprovalsStore, SessionsStore } from '@patchbay/persistence';
import { AccessService } from '../access/access.service';
import { Clock } from '@patchbay/config';
import { ApprovalPolicy, judge, sessionScope } from './approval-policy';

/** `decidedBy` of decisions no person made. */
const AUTOMATIC: ReadonlySet<string> = new Set<ApprovalDecider>(['policy', 'session', 'timeout']);

/**
 * Decides whether an agent may use a tool: at once by policy or an earlier "allow for this
 * session", else by a person (the first answer wins) or, when nobody answers in time, by a
 * timeout that denies. Every request and decision is stored and audited.
 */
@Injectable()
export class ApprovalsService implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(ApprovalsService.name);
  /** The expiry timer of each pending request this engine knows of. */
  private readonly timers = new Map<string, AbortController>();

  constructor(
    @Inject(PATCHBAY_CONFIG) private readonly config: PatchbayConfig,
    private readonly policy: ApprovalPolicy,
    private readonly store: ApprovalsStore,
    private readonly sessions: SessionsStore,
    private readonly access: AccessService,
    private readonly auditLog: AccessStore,
    private readonly bus: Bus,
    private readonly clock: Clock,
    private readonly metrics: PatchbayMetrics,
  ) {
    this.metrics.countPendingApprovalsWith(() => this.store.pendingByAgent());
  }

  /** Requests that waited while no engine ran are timed again; those overdue are denied at once. */
  async onApplicationBootstrap(): Promise<void> {
    for (const approval of await this.store.pending()) this.arm(approval);
  }

  onModuleDestroy(): void {
    for (const timer of this.timers.values()) timer.abort();
    this.timers.clear();
  }

  /** The answer to a runner: the stored request for this tool use if there is one, else a new one. */
  async ask(ask: ApprovalAskV1): Promise<ApprovalV1> {
    const stored = await this.store.byToolUse(ask.sessionId, ask.toolUseId);
    if (stored) return stored;
    const session = await this.sessions.session(ask.sessionId);
    if (!session) throw new AppError('not_found', `no session ${ask.sessionId}`);
    const now = this.clock.now();
    const scope = sessionScope(ask.tool, ask.input);
    const base = {
      id: newId(),
      sessionId: ask.sessionId,
      taskId: ask.taskId,
      agent: ask.agent,
      toolUseId: ask.toolUseId,
      tool: ask.tool,
      summary: ask.summary,
      scope,
      requestedAt: now,
      expiresAt: new Date(now.getTime() + this.config.approvals.timeoutSeconds * 1000),
    };
    const verdict = judge(this.policy.resolve(ask.agent, session.route), ask.tool, ask.input);
    if (verdict.outcome !== 'ask') {
      const allowed = verdict.outcome === 'allow';
      return this.record(
        {
          ...base,
          status: allowed ? 'allowed' : 'denied',
          decision: allowed ? 'allow_once' : 'deny',
          decidedBy: 'policy',
          deciderName: null,
          reason: allowed ? null : `denied by ${verdict.rule} in patchbay.yaml`,
          decidedAt: now,
        },
        `${verdict.outcome} by ${verdict.rule}`,
      );
    }
    if (scope && (await this.store.sessionAllows(ask.sessionId, scope))) {
      return this.record(
        { ...base, status: 'allowed', decision: 'allow_session', decidedBy: 'session', deciderName: null, reason: null, decidedAt: now },
        `${scope} allowed for this session before`,
      );
    }
    const { approval, created } = await this.store.insert({ ...base, status: 'pending', decision: null, decidedBy: null, deciderName: null, reason: null, decidedAt: null });
    if (!created) return approval;
    await this.audit(`agent:${ask.agent}`, 'approval.request', approval, 'allow', `asks a person until ${approval.expiresAt}`);
    this.bus.publish('approval.requested', approval);
    this.arm(approval);
    return approval;
  }

  /**
   * A person's answer; the first one wins. `checkedRole` is the role the caller already
   * established for them (a chat command: the engine's own access check, which takes a
   * channel's vouch, as for a GitHub collaborator); without it the role is looked up.
   */
  async decide(request: ApprovalDecideV1, checkedRole?: Role): Promise<ApprovalV1> {
    const actor = `${request.by.channel}:${request.by.senderId}`;
    // An HTTP API caller's role is the gateway's vouch (its tokens are unknown here); approvals.decide is signed, so it came from a gateway.
    const role = checkedRole ?? (await this.access.roleOf(request.by.channel, request.by.senderId, request.by.vouch));
    if (!role || !ROLE_ALLOWS[role].has('approve')) {
      const why = `role ${role ?? 'unknown'} may not answer approvals`;
      await this.auditLog.audit({ actor, principalId: null, action: 'approval.decide', target: `approval:${request.approvalId}`, decision: 'deny', detail: why });
      throw new AppError('forbidden', `${actor}: ${why} (operators and owners may)`);
    }
    const allowed = request.decision !== 'deny';
    const decided = await this.store.decide(request.approvalId, {
      status: allowed ? 'allowed' : 'denied',
      decision: await this.effective(request),
      decidedBy: actor,
      deciderName: request.by.name ?? null,
      reason: allowed ? null : (request.reason ?? null),
      decidedAt: this.clock.now(),
    });
    if (!decided) {
      const stored = await this.store.byId(request.approvalId);
      if (!stored) throw new AppError('not_found', `no approval ${request.approvalId}`);
      const already = `already decided by ${stored.deciderName ?? stored.decidedBy}: ${stored.decision}`;
      await this.audit(actor, 'approval.decide', stored, 'deny', already);
      throw new AppError('already_decided', already);
    }
    await this.announce(actor, decided);
    return decided;
  }

  get(id: string): Promise<ApprovalV1 | null> {
    return this.store.byId(id);
  }

  /**
   * "Allow for this session" of a use no later use can match (a Bash command that chains
   * commands has no scope) is stored as what it does, allow once: stored as allow_session,
   * the chats would say the session is allowed while the next identical call asks again.
   */
  private async effective({ approvalId, decision }: ApprovalDecideV1): Promise<ApprovalDecideV1['decision']> {
    if (decision !== 'allow_session') return decision;
    return (await this.store.scopeOf(approvalId)) === null ? 'allow_once' : decision;
  }

  async list(query: ApprovalListQueryV1): Promise<ApprovalV1[]> {
    return this.store.list(query);
  }

  private async record(approval: Parameters<ApprovalsStore['insert']>[0], why: string): Promise<ApprovalV1> {
    const { approval: stored, created } = await this.store.insert(approval);
    if (created) {
      this.observeWait(stored);
      await this.audit(approval.decidedBy!, 'approval.decide', stored, stored.status === 'allowed' ? 'allow' : 'deny', why);
    }
    return stored;
  }

  private arm(approval: ApprovalV1): void {
    const timer = new AbortController();
    this.timers.set(approval.id, timer);
    const wait = Date.parse(approval.expiresAt) - this.clock.now().getTime();
    void this.clock
      .sleep(wait, timer.signal)
      .then(() => {
        if (timer.signal.aborted) return;
        this.timers.delete(approval.id);
        return this.expire(approval);
      })
      .catch((error) => this.logger.warn(`approval ${approval.id}: the timeout could not deny it: ${(error as Error).message}`));
  }

  private async expire(approval: ApprovalV1): Promise<void> {
    const seconds = Math.round((Date.parse(approval.expiresAt) - Date.parse(approval.requestedAt)) / 1000);
    const answer: ApprovalAnswer = {
      status: 'denied',
      decision: 'deny',
      decidedBy: 'timeout',
      deciderName: null,
      reason: `nobody answered within ${seconds} s`,
      decidedAt: this.clock.now(),
    };
    const decided = await this.store.decide(approval.id, answer);
    // Answered meanwhile (here or by another engine): nothing to do.
    if (decided) await this.announce('timeout', decided);
  }

  /** Audits a decision with how long it took, stops its timer and tells every chat. */
  private async announce(actor: string, decided: ApprovalV1): Promise<void> {
    this.timers.get(decided.id)?.abort();
    this.timers.delete(decided.id);
    const took = this.observeWait(decided).toFixed(1);
    await this.audit(actor, 'approval.decide', decided, 'allow', `${decided.decision}${decided.reason ? ` (${decided.reason})` : ''} after ${took} s`);
    this.bus.publish('approval.decided', decided);
  }

  /** Counts a decided request in patchbay_approval_wait_seconds; returns how long it waited (s). */
  private observeWait(decided: ApprovalV1): number {
    const seconds = (Date.parse(decided.decidedAt!) - Date.parse(decided.requestedAt)) / 1000;
    const by: ApprovalDecider = AUTOMATIC.has(decided.decidedBy!) ? (decided.decidedBy as ApprovalDecider) : 'person';
    this.metrics.approvalWait.observe({ decision: decided.decision!, by }, seconds);
    return seconds;
  }

  private audit(actor: string, action: string, approval: ApprovalV1, decision: 'allow' | 'deny', why: string): Promise<void> {
    const detail = `${approval.tool} in session ${approval.sessionId}: ${why}`.slice(0, 500);
    return this.auditLog.audit({ actor, principalId: null, action, target: `approval:${approval.id}`, decision, detail });
  }
}
