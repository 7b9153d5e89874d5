import { Test } from '@nestjs/testing';
import { AppError, Bus } from '@patchbay/bus';
import { ApprovalV1 } from '@patchbay/contracts';
import { AccessStore, SessionsStore, TasksStore, TranscriptStore } from '@patchbay/persistence';
import { CommandContext } from '@patchbay/plugin-sdk';
import { pendingApproval } from '../../../../test/fakes/approvals/fake-approvals-engine';
import { strictDouble } from '../../../../test/support/strict-double';
import { ApprovalsService } from '../approvals/approvals.service';
import { Clock } from '@patchbay/config';
import { RunsService } from '../runs/runs.service';
import { SessionBindings } from '../sessions/session-bindings';
import { SessionSummaries } from '../sessions/session-summaries';
import { EffectApplier } from './effect-applier';
import { SessionTyping } from '../sessions/session-typing';

const ID = 'k3x7q2m7a5b4';
const request = (id = ID): ApprovalV1 =>
  pendingApproval({ sessionId: 's1', taskId: 't1', agent: 'claude', toolUseId: `tu-${id}`, tool: 'Bash', input: {}, summary: 'npm test' }, id, new Date('2030-01-01T10:00:00Z'));
const ctx = (session: CommandContext['session'] = { id: 's1', agent: 'claude', status: 'running', model: null }): CommandContext => ({
  sender: { id: '7', name: 'Ada', role: 'operator' },
  chat: { channel: 'github', chatId: 'o/r#1' },
  session,
  agents: ['claude'],
});

/**
 * EffectApplier's decisions on strict doubles: each spec gives only the calls it expects,
 * and any other call fails the spec.
 */
describe('EffectApplier', () => {
  async function applier(members: {
    approvals?: Partial<Record<keyof ApprovalsService, unknown>>;
    bindings?: Partial<Record<keyof SessionBindings, unknown>>;
    sessions?: Partial<Record<keyof SessionsStore, unknown>>;
    transcript?: Partial<Record<keyof TranscriptStore, unknown>>;
  }) {
    const approvals = strictDouble<ApprovalsService>('ApprovalsService', members.approvals ?? {});
    const bindings = strictDouble<SessionBindings>('SessionBindings', members.bindings ?? {});
    const sessions = strictDouble<SessionsStore>('SessionsStore', members.sessions ?? {});
    const module = await Test.createTestingModule({
      providers: [
        EffectApplier,
        { provide: SessionsStore, useValue: sessions },
        { provide: TasksStore, useValue: strictDouble<TasksStore>('TasksStore', {}) },
        { provide: TranscriptStore, useValue: strictDouble<TranscriptStore>('TranscriptStore', members.transcript ?? {}) },
        { provide: AccessStore, useValue: strictDouble<AccessStore>('AccessStore', {}) },
        { provide: Bus, useValue: strictDouble<Bus>('Bus', {}) },
        { provide: Clock, useValue: strictDouble<Clock>('Clock', {}) },
        { provide: RunsService, useValue: strictDouble<RunsService>('RunsService', {}) },
        { provide: ApprovalsService, useValue: approvals },
        { provide: SessionBindings, useValue: bindings },
        { provide: SessionSummaries, useValue: strictDouble<SessionSummaries>('SessionSummaries', {}) },
        { provide: SessionTyping, useValue: strictDouble<SessionTyping>('SessionTyping', {}) },
      ],
    }).compile();
    return { effects: module.get(EffectApplier), approvals, bindings };
  }

  describe('answering an approval', () => {
    const decided = (approval: ApprovalV1): ApprovalV1 => ({
      ...approval,
      status: 'allowed',
      decision: 'allow_once',
      decidedBy: 'github:7',
      deciderName: 'Ada',
      decidedAt: approval.requestedAt,
    });

    it('answers the named request with the role the engine checked, and says the outcome', async () => {
      const { effects, approvals } = await applier({ approvals: { get: async () => request(), decide: async (r: { approvalId: string }) => decided(request(r.approvalId)) } });
      const answer = await effects.apply([{ kind: 'answerApproval', approvalId: ID, decision: 'allow_once', reason: null }], ctx(), 'github:7');
      expect(answer.text).toBe('✅ Bash allowed once by Ada.');
      expect(approvals.calls.at(-1)).toEqual(['decide', [{ approvalId: ID, decision: 'allow_once', by: { channel: 'github', senderId: '7', name: 'Ada' } }, 'operator']]);
    });

    it("without an id answers the one request waiting in the chat's session, or lists several", async () => {
      let waiting = [request()];
      const { effects, approvals } = await applier({ approvals: { list: async () => waiting, decide: async (r: { approvalId: string }) => decided(request(r.approvalId)) } });
      expect((await effects.apply([{ kind: 'answerApproval', approvalId: null, decision: 'allow_once', reason: null }], ctx(), 'github:7')).text).toBe(
        '✅ Bash allowed once by Ada.',
      );
      expect(approvals.calls[0]).toEqual(['list', [{ sessionId: 's1', pendingOnly: true, limit: 10 }]]);
      waiting = [request(), request('b2b2b2b2b2b2')];
      const several = await effects.apply([{ kind: 'answerApproval', approvalId: null, decision: 'deny', reason: null }], ctx(), 'github:7');
      expect(several.text).toMatch(/^Several requests wait; name one/);
      expect(several.text).toContain('b2b2b2b2b2b2 Bash: npm test');
      waiting = [];
      expect((await effects.apply([{ kind: 'answerApproval', approvalId: null, decision: 'deny', reason: null }], ctx(), 'github:7')).text).toBe(
        'Nothing waits for an answer in session s1.',
      );
    });

    it("keeps a first word that only looked like an id as part of a denial's reason", async () => {
      const { effects, approvals } = await applier({
        approvals: {
          get: async () => null,
          list: async () => [request()],
          decide: async (r: ApprovalV1) => ({ ...request(), status: 'denied', decision: 'deny', decidedBy: 'github:7', deciderName: 'Ada', reason: r.reason }),
        },
      });
      const answer = await effects.apply([{ kind: 'answerApproval', approvalId: 'accidentally', decision: 'deny', reason: 'wrong branch' }], ctx(), 'github:7');
      expect(answer.text).toBe('⛔ Bash denied by Ada: accidentally wrong branch.');
      expect(approvals.calls.at(-1)![1][0]).toMatchObject({ approvalId: ID, reason: 'accidentally wrong branch' });
    });

    it('says what was wrong: no such approval, already decided, not allowed', async () => {
      let failure = new AppError('already_decided', 'already decided by Bob: deny');
      const { effects } = await applier({
        approvals: {
          get: async (id: string) => (id === ID ? request() : null),
          decide: async () => {
            throw failure;
          },
        },
      });
      const answer = (approvalId: string) => effects.apply([{ kind: 'answerApproval', approvalId, decision: 'allow_once', reason: null }], ctx(), 'github:7');
      expect((await answer('zzzzzzzzzzzz')).text).toBe('No approval zzzzzzzzzzzz.');
      expect((await answer(ID)).text).toBe(`Approval ${ID}: already decided by Bob: deny.`);
      failure = new AppError('forbidden', 'github:7: role viewer may not answer approvals');
      expect((await answer(ID)).text).toBe(`Approval ${ID}: github:7: role viewer may not answer approvals.`);
    });

    it('shows what waits, with the buttons of a single request', async () => {
      const { effects } = await applier({ approvals: { list: async () => [request()] } });
      const answer = await effects.apply([{ kind: 'showApprovals' }], ctx(), 'github:7');
      expect(answer.text).toBe(`Waiting for an answer in session s1:\n${ID} Bash: npm test (until 10:10 UTC)`);
      expect(answer.buttons.map((b) => b.id)).toEqual([`once:${ID}`, `session:${ID}`, `deny:${ID}`]);
    });
  });

  describe('bindings', () => {
    it('binds through SessionBindings, naming the session the chat followed before', async () => {
      const { effects, bindings } = await applier({
        sessions: { session: async (id: string) => ({ id, agent: 'claude', status: 'idle', lastSeq: 0 }) },
        transcript: { transcript: async () => [] },
        bindings: { bind: async () => undefined },
      });
      const answer = await effects.apply([{ kind: 'bind', sessionId: 's2', delivery: 'final' }], ctx(), 'github:7');
      expect(answer.text).toBe('Attached to session s2 (claude, idle; delivery final).');
      expect(bindings.calls).toEqual([['bind', [{ channel: 'github', chatId: 'o/r#1' }, 's2', 'final', 's1']]]);
    });

    it('unbinds through SessionBindings', async () => {
      const { effects, bindings } = await applier({ bindings: { unbind: async () => undefined } });
      await effects.apply([{ kind: 'unbind' }], ctx(), 'github:7');
      expect(bindings.calls).toEqual([['unbind', [{ channel: 'github', chatId: 'o/r#1' }, 's1']]]);
    });
  });
});
