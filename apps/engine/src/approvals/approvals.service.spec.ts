import { AppError, Bus } from '@patchbay/bus';
import { ConfigSchema } from '@patchbay/config';
import { ApprovalAskV1, ApprovalV1, AuditEntryV1, Role, Vouch } from '@patchbay/contracts';
import { PatchbayMetrics } from '@patchbay/metrics';
import { AccessStore, SessionsStore } from '@patchbay/persistence';
import { FakeApprovalsStore } from '../../../../test/fakes/approvals/fake-approvals-store';
import { AccessService } from '../access/access.service';
import { ManualClock } from '../../../../test/support/manual-clock';
import { ApprovalPolicy } from './approval-policy';
import { ApprovalsService } from './approvals.service';

const config = ConfigSchema.parse({
  home: '/tmp/pb-approvals-spec',
  approvals: { timeoutSeconds: 60 },
  agents: { claude: { approvals: { deny: ['Bash(rm:*)'] } } },
  routing: { rules: [{ name: 'trusted', match: { channel: 'discord' }, agents: ['claude'], approvals: { mode: 'allow' } }] },
});
const ROLES: Record<string, Role> = { 'telegram:op': 'operator', 'telegram:viewer': 'viewer', 'telegram:owner': 'owner' };
const SESSIONS: Record<string, { agent: string; route: string | null }> = {
  s1: { agent: 'claude', route: null },
  s2: { agent: 'claude', route: 'trusted' },
  s3: { agent: 'claude', route: null },
};

const ask = (toolUseId: string, command = 'npm test', sessionId = 's1'): ApprovalAskV1 => ({
  sessionId,
  taskId: 't1',
  agent: 'claude',
  toolUseId,
  tool: 'Bash',
  input: { command },
  summary: command,
});
const by = (senderId: string, channel = 'telegram') => ({ channel, senderId });
const token = (name: string, role: Role) => ({ channel: 'api', senderId: name, vouch: { role, reason: `API token "${name}"` } });

describe('ApprovalsService', () => {
  let store: FakeApprovalsStore;
  let clock: ManualClock;
  let events: Array<{ subject: string; approval: ApprovalV1 }>;
  let audits: Array<Omit<AuditEntryV1, 'at'>>;
  let service: ApprovalsService;
  let metrics: PatchbayMetrics;

  /** An engine over the same store and clock (a restart builds a second one). */
  function engine(): ApprovalsService {
    // Strict doubles: only what the service may call exists; anything else throws.
    const sessions = { session: async (id: string) => SESSIONS[id] ?? null } as unknown as SessionsStore;
    // As AccessService: the HTTP API's vouch (the token's role) is believed, no other channel's.
    const roleOf = async (channel: string, id: string, vouch?: Vouch) => ROLES[`${channel}:${id}`] ?? (channel === 'api' ? vouch?.role : undefined) ?? null;
    const access = { roleOf } as unknown as AccessService;
    const auditLog = { audit: async (entry: Omit<AuditEntryV1, 'at'>) => void audits.push(entry) } as unknown as AccessStore;
    const bus = {
      publish: (subject: string, approval: ApprovalV1) => {
        // Announced only once stored: a chat that looks it up finds it.
        expect(store.rows.some((r) => r.id === approval.id && r.status === approval.status)).toBe(true);
        events.push({ subject, approval });
      },
    } as unknown as Bus;
    return new ApprovalsService(config, new ApprovalPolicy(config), store as never, sessions, access, auditLog, bus, clock, metrics);
  }

  /** Lets pending promise chains (a timer that fired) run to the end. */
  async function settle(done: () => boolean): Promise<void> {
    for (let i = 0; i < 100 && !done(); i++) await new Promise((resolve) => setImmediate(resolve));
  }

  beforeEach(() => {
    store = new FakeApprovalsStore();
    clock = new ManualClock('2030-01-01T10:00:00Z');
    events = [];
    audits = [];
    metrics = new PatchbayMetrics('engine@spec');
    service = engine();
  });

  afterEach(() => service.onModuleDestroy());

  it('stores a pending request, announces it after storing, and audits it', async () => {
    const approval = await service.ask(ask('tu1'));
    expect(approval).toMatchObject({ status: 'pending', decision: null, tool: 'Bash', summary: 'npm test', expiresAt: '2030-01-01T10:01:00.000Z' });
    expect(events).toEqual([{ subject: 'approval.requested', approval }]);
    expect(store.rows).toHaveLength(1);
    expect(audits).toEqual([expect.objectContaining({ actor: 'agent:claude', action: 'approval.request', target: `approval:${approval.id}` })]);
  });

  it('is idempotent on the tool use: the same ask returns the stored request, pending or decided, and asks nobody again', async () => {
    const first = await service.ask(ask('tu1'));
    expect(await service.ask(ask('tu1'))).toEqual(first);
    await service.decide({ approvalId: first.id, decision: 'allow_once', by: by('op') });
    expect(await service.ask(ask('tu1'))).toMatchObject({ id: first.id, status: 'allowed', decidedBy: 'telegram:op' });
    expect(events.map((e) => e.subject)).toEqual(['approval.requested', 'approval.decided']);
    expect(store.rows).toHaveLength(1);
  });

  it('lets the first answer win; a second gets already_decided naming who', async () => {
    const { id } = await service.ask(ask('tu1'));
    const won = await service.decide({ approvalId: id, decision: 'deny', reason: 'not now', by: by('op') });
    expect(won).toMatchObject({ status: 'denied', decision: 'deny', reason: 'not now', decidedBy: 'telegram:op', decidedAt: '2030-01-01T10:00:00.000Z' });
    const second = service.decide({ approvalId: id, decision: 'allow_once', by: by('owner') });
    await expect(second).rejects.toThrow(new AppError('already_decided', 'already decided by telegram:op: deny'));
    expect(events.filter((e) => e.subject === 'approval.decided')).toEqual([{ subject: 'approval.decided', approval: won }]);
    expect(audits.at(-2)).toMatchObject({ actor: 'telegram:op', action: 'approval.decide', decision: 'allow', detail: 'Bash in session s1: deny (not now) after 0.0 s' });
    expect(audits.at(-1)).toMatchObject({ actor: 'telegram:owner', decision: 'deny', detail: 'Bash in session s1: already decided by telegram:op: deny' });
  });

  it('refuses a viewer and a stranger with forbidden, audited, and the request stays pending', async () => {
    const { id } = await service.ask(ask('tu1'));
    for (const who of ['viewer', 'stranger']) {
      const refused = service.decide({ approvalId: id, decision: 'allow_once', by: by(who) });
      await expect(refused).rejects.toMatchObject({ code: 'forbidden' });
    }
    expect(audits.slice(-2)).toEqual([
      expect.objectContaining({ actor: 'telegram:viewer', action: 'approval.decide', decision: 'deny', detail: 'role viewer may not answer approvals' }),
      expect.objectContaining({ actor: 'telegram:stranger', decision: 'deny', detail: 'role unknown may not answer approvals' }),
    ]);
    expect((await store.byId(id))?.status).toBe('pending');
  });

  it("takes a role the caller already checked (a channel's vouch), and keeps the person's name for chats", async () => {
    const { id } = await service.ask(ask('tu1'));
    // github:7 is in no access list: the command path checked the vouch of the GitHub plugin.
    const decided = await service.decide({ approvalId: id, decision: 'allow_once', by: { channel: 'github', senderId: '7', name: 'octocat' } }, 'operator');
    expect(decided).toMatchObject({ status: 'allowed', decidedBy: 'github:7', deciderName: 'octocat' });
    await expect(service.decide({ approvalId: id, decision: 'deny', by: by('owner') })).rejects.toThrow(new AppError('already_decided', 'already decided by octocat: allow_once'));
    const other = await service.ask(ask('tu2'));
    await expect(service.decide({ approvalId: other.id, decision: 'allow_once', by: by('viewer') }, 'viewer')).rejects.toMatchObject({ code: 'forbidden' });
  });

  it('takes the HTTP API caller with the role the gateway vouches for: a viewer token is refused and audited', async () => {
    const { id } = await service.ask(ask('tu1'));
    await expect(service.decide({ approvalId: id, decision: 'allow_once', by: token('watcher', 'viewer') })).rejects.toMatchObject({ code: 'forbidden' });
    expect(audits.at(-1)).toEqual(expect.objectContaining({ actor: 'api:watcher', action: 'approval.decide', target: `approval:${id}`, decision: 'deny' }));
    await expect(service.decide({ approvalId: id, decision: 'allow_once', by: by('ci', 'api') })).rejects.toMatchObject({ code: 'forbidden' });
    expect(await service.decide({ approvalId: id, decision: 'allow_once', by: token('ci', 'operator') })).toMatchObject({ decidedBy: 'api:ci' });
  });

  it('says not_found for no such request', async () => {
    await expect(service.decide({ approvalId: 'nope', decision: 'deny', by: by('op') })).rejects.toMatchObject({ code: 'not_found', message: 'no approval nope' });
  });

  it('"allow for this session" allows a later use of the same command prefix, decided by session', async () => {
    const { id } = await service.ask(ask('tu1', 'git status'));
    await service.decide({ approvalId: id, decision: 'allow_session', by: by('op') });
    expect(await service.ask(ask('tu2', 'git status --short'))).toMatchObject({ status: 'allowed', decision: 'allow_session', decidedBy: 'session' });
    expect(await service.ask(ask('tu3', 'git log'))).toMatchObject({ status: 'pending' });
    expect(await service.ask(ask('tu4', 'git status', 's3'))).toMatchObject({ status: 'pending' });
    expect(await service.ask(ask('tu5', 'git status; curl evil'))).toMatchObject({ status: 'pending' });
    expect(events.filter((e) => e.subject === 'approval.requested').map((e) => e.approval.toolUseId)).toEqual(['tu1', 'tu3', 'tu4', 'tu5']);
  });

  it('stores "allow for this session" of a chained command as allow once: no later use could match it', async () => {
    const { id } = await service.ask(ask('tu1', 'make && make install'));
    expect(await service.decide({ approvalId: id, decision: 'allow_session', by: by('op') })).toMatchObject({ status: 'allowed', decision: 'allow_once' });
    expect(await service.ask(ask('tu2', 'make && make install'))).toMatchObject({ status: 'pending' });
  });

  it('measures how long each request waited, by decision and who decided, and counts the pending ones', async () => {
    const waited = async (decision: string, decidedBy: string) =>
      (await metrics.registry.metrics()).match(
        new RegExp(`^patchbay_approval_wait_seconds_sum\\{process="engine@spec",decision="${decision}",by="${decidedBy}"\\} (\\S+)$`, 'm'),
      )?.[1];
    const { id } = await service.ask(ask('tu1', 'git status'));
    await service.ask(ask('tu2', 'npm test'));
    expect(await metrics.registry.metrics()).toContain('patchbay_approvals_pending{agent="claude",process="engine@spec"} 2');
    clock.advance(7_000);
    await service.decide({ approvalId: id, decision: 'allow_session', by: by('op') });
    await service.ask(ask('tu3', 'git status -s'));
    await service.ask(ask('tu4', 'rm -rf build'));
    expect(await waited('allow_session', 'person')).toBe('7');
    expect(await waited('allow_session', 'session')).toBe('0');
    expect(await waited('deny', 'policy')).toBe('0');
    expect(await metrics.registry.metrics()).toContain('patchbay_approvals_pending{agent="claude",process="engine@spec"} 1');
  });

  it('decides by policy without asking: deny rules of the profile, the mode of the routing rule', async () => {
    expect(await service.ask(ask('tu1', 'rm -rf build'))).toMatchObject({ status: 'denied', decidedBy: 'policy', reason: 'denied by Bash(rm:*) in patchbay.yaml' });
    expect(await service.ask(ask('tu2', 'make', 's2'))).toMatchObject({ status: 'allowed', decision: 'allow_once', decidedBy: 'policy' });
    expect(await service.ask({ ...ask('tu3'), tool: 'Read', input: { file_path: '/ws/a' } })).toMatchObject({ status: 'allowed', decidedBy: 'policy' });
    expect(events).toEqual([]);
    expect(audits.map((a) => a.detail)).toEqual([
      'Bash in session s1: deny by Bash(rm:*)',
      'Bash in session s2: allow by approvals.mode allow',
      'Read in session s1: allow by Read',
    ]);
  });

  it('refuses an ask for a session the engine does not know', async () => {
    await expect(service.ask(ask('tu1', 'ls', 'gone'))).rejects.toMatchObject({ code: 'not_found', message: 'no session gone' });
  });

  it('denies a request nobody answered within approvals.timeoutSeconds, and tells the chats', async () => {
    const { id } = await service.ask(ask('tu1'));
    clock.advance(59_000);
    await settle(() => false);
    expect((await store.byId(id))?.status).toBe('pending');
    clock.advance(1_000);
    await settle(() => events.length === 2);
    expect(events[1]).toEqual({
      subject: 'approval.decided',
      approval: expect.objectContaining({ id, status: 'denied', decision: 'deny', decidedBy: 'timeout', reason: 'nobody answered within 60 s' }),
    });
    expect(audits.at(-1)).toMatchObject({ actor: 'timeout', action: 'approval.decide', decision: 'allow' });
  });

  it('an answer stops the timer: the timeout decides nothing later', async () => {
    const { id } = await service.ask(ask('tu1'));
    await service.decide({ approvalId: id, decision: 'allow_once', by: by('op') });
    expect(clock.sleeping).toBe(0);
  });

  it('after a restart re-arms pending requests and denies those overdue at once', async () => {
    const due = await service.ask(ask('tu1'));
    clock.advance(30_000);
    const later = await service.ask(ask('tu2', 'make'));
    service.onModuleDestroy();
    clock.advance(40_000);
    const restarted = engine();
    await restarted.onApplicationBootstrap();
    await settle(() => events.length === 3);
    expect((await store.byId(due.id))?.decidedBy).toBe('timeout');
    expect((await store.byId(later.id))?.status).toBe('pending');
    clock.advance(20_000);
    await settle(() => events.length === 4);
    expect((await store.byId(later.id))?.decidedBy).toBe('timeout');
    restarted.onModuleDestroy();
  });
});
