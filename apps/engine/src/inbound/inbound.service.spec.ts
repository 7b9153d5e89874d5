import { Test } from '@nestjs/testing';
import { agentProfiles } from '@patchbay/agents';
import { AppError } from '@patchbay/bus';
import { ConfigSchema } from '@patchbay/config';
import { InboundMessageV1 } from '@patchbay/contracts';
import { PatchbayMetrics } from '@patchbay/metrics';
import { InboundConflictError, InboundStore, SessionEntity, SessionsStore, TasksStore } from '@patchbay/persistence';
import { REDACTOR, Redactor } from '@patchbay/security';
import { strictDouble } from '../../../../test/support/strict-double';
import { AccessService, Sender } from '../access/access.service';
import { EffectApplier } from '../commands/effect-applier';
import { AGENT_PROFILES, AGENT_SURVEY } from '../engine.constants';
import { RunsService } from '../runs/runs.service';
import { Router } from '../routing/router';
import { SessionBindings } from '../sessions/session-bindings';
import { InboundService } from './inbound.service';
import { SessionTyping } from '../sessions/session-typing';

const config = ConfigSchema.parse({ home: '/tmp/pb-inbound-spec' });
const message = (text: string, chatId: string | null = 'chat-1'): InboundMessageV1 => ({
  channel: 'telegram',
  accountId: 'bot',
  messageId: `m-${text.length}`,
  chatId,
  sender: { id: '42', name: 'Ada' },
  text,
  receivedAt: '2030-01-01T10:00:00.000Z',
});
const sender = (role: Sender['role']): Sender => ({ actor: 'telegram:42', name: 'Ada', principalId: role ? 'p1' : null, role });
const ROUTE = { agent: 'demo', name: null, reason: 'default agent demo' };

type Members<T> = Partial<Record<keyof T, unknown>>;

/**
 * InboundService's decisions on strict doubles: only the calls a case names may happen,
 * so each case also proves what is *not* done (nothing stored twice, nothing run for a
 * stranger). The int-specs cover the same path on real NATS and PostgreSQL.
 */
describe('InboundService', () => {
  async function service(members: {
    store?: Members<InboundStore>;
    sessions?: Members<SessionsStore>;
    tasks?: Members<TasksStore>;
    access?: Members<AccessService>;
    effects?: Members<EffectApplier>;
    runs?: Members<RunsService>;
    bindings?: Members<SessionBindings>;
  }) {
    const doubles = {
      store: strictDouble<InboundStore>('InboundStore', members.store ?? {}),
      sessions: strictDouble<SessionsStore>('SessionsStore', members.sessions ?? {}),
      tasks: strictDouble<TasksStore>('TasksStore', members.tasks ?? {}),
      access: strictDouble<AccessService>('AccessService', members.access ?? {}),
      effects: strictDouble<EffectApplier>('EffectApplier', members.effects ?? {}),
      runs: strictDouble<RunsService>('RunsService', members.runs ?? {}),
      bindings: strictDouble<SessionBindings>('SessionBindings', members.bindings ?? {}),
    };
    const module = await Test.createTestingModule({
      providers: [
        InboundService,
        { provide: SessionTyping, useValue: strictDouble<SessionTyping>('SessionTyping', {}) },
        { provide: InboundStore, useValue: doubles.store },
        { provide: SessionsStore, useValue: doubles.sessions },
        { provide: TasksStore, useValue: doubles.tasks },
        { provide: AccessService, useValue: doubles.access },
        { provide: EffectApplier, useValue: doubles.effects },
        { provide: RunsService, useValue: doubles.runs },
        { provide: Router, useValue: strictDouble<Router>('Router', { route: () => ROUTE }) },
        { provide: REDACTOR, useValue: new Redactor(new Map([['sekret-value-1234', 'token']]), []) },
        { provide: AGENT_SURVEY, useValue: { defaultAgent: 'demo', agents: [] } },
        { provide: AGENT_PROFILES, useValue: agentProfiles(config) },
        { provide: PatchbayMetrics, useValue: new PatchbayMetrics('spec-inbound') },
        { provide: SessionBindings, useValue: doubles.bindings },
      ],
    }).compile();
    return { inbound: module.get(InboundService), ...doubles };
  }

  it('answers a message seen before with what it led to, and does nothing else', async () => {
    const seen = { taskId: 't1', sessionId: 's1', duplicate: true, outcome: 'task' as const };
    const { inbound } = await service({ store: { findInbound: async () => seen } });
    expect(await inbound.accept(message('again'))).toEqual(seen);
  });

  it('gives an unknown sender a pairing code, audited and recorded, and runs nothing', async () => {
    const { inbound, store, access } = await service({
      store: { findInbound: async () => null, recordHandled: async () => true },
      access: {
        identify: async () => sender(null),
        pairs: () => true,
        pairingReply: async () => ({ reply: 'Pairing code: ABCD2345', detail: 'new code' }),
        audit: async () => undefined,
      },
    });
    expect(await inbound.accept(message('rm -rf /'))).toEqual({ taskId: null, sessionId: null, duplicate: false, outcome: 'pairing', reply: 'Pairing code: ABCD2345' });
    expect(access.calls.find(([name]) => name === 'audit')![1].slice(1)).toEqual(['message', 'chat-1', 'deny', 'unknown sender: new code, nothing run']);
    expect(store.calls.map(([name]) => name)).toEqual(['findInbound', 'recordHandled']);
  });

  it("opens a session for a new chat's first prompt: read once, stored redacted, announced with its one binding, queued", async () => {
    const opened = { channel: 'telegram', chatId: 'chat-1', delivery: 'live' as const };
    const { inbound, store, bindings, runs } = await service({
      store: {
        findInbound: async () => null,
        acceptInbound: async () => ({ taskId: 't1', sessionId: 's1', duplicate: false, outcome: 'task', bound: opened }),
      },
      sessions: { boundSession: async () => null },
      tasks: { tasksAhead: async () => 0 },
      access: { identify: async () => sender('operator'), authorize: async () => true },
      bindings: { announce: async () => undefined },
      runs: { queued: () => undefined },
    });
    expect(await inbound.accept(message('deploy with sekret-value-1234'))).toEqual({ taskId: 't1', sessionId: 's1', duplicate: false, outcome: 'task' });
    const [stored, route, read] = store.calls.find(([name]) => name === 'acceptInbound')![1] as [InboundMessageV1, unknown, unknown];
    expect(stored.text).toBe('deploy with [redacted:token]');
    expect(route).toBe(ROUTE);
    expect(read).toEqual({ bound: null });
    expect(store.calls.filter(([name]) => name === 'findInbound')).toHaveLength(1);
    expect(bindings.calls).toEqual([['announce', ['s1', [opened]]]]);
    expect(runs.calls).toEqual([['queued', [{ taskId: 't1', sessionId: 's1', duplicate: false, outcome: 'task' }]]]);
  });

  it('tells a viewer they may only watch, and stores the refusal', async () => {
    const session = { id: 's1', agent: 'demo', status: 'idle', model: null } as unknown as SessionEntity;
    const { inbound } = await service({
      store: { findInbound: async () => null, recordHandled: async () => true },
      sessions: { boundSession: async () => session },
      access: { identify: async () => sender('viewer'), authorize: async () => false },
    });
    expect(await inbound.accept(message('do it'))).toMatchObject({ outcome: 'denied', sessionId: 's1', reply: 'You may watch but not send messages here (your role: viewer).' });
  });

  it('runs a command with the role it checked, and hands back its buttons', async () => {
    const { inbound, effects } = await service({
      store: { findInbound: async () => null, recordHandled: async () => true },
      sessions: { boundSession: async () => null },
      access: { identify: async () => sender('owner'), authorize: async () => true },
      effects: { apply: async () => ({ text: 'No open pairing requests.', buttons: [{ id: 'pair:ABCD2345', label: 'Approve' }] }) },
    });
    const answer = await inbound.accept(message('/pair'));
    expect(answer).toMatchObject({ outcome: 'command', reply: 'No open pairing requests.', buttons: [{ id: 'pair:ABCD2345', label: 'Approve' }] });
    const [effectsRun, ctx, by] = effects.calls[0][1] as [unknown, { sender: unknown }, string];
    expect(effectsRun).toEqual([{ kind: 'show', what: 'pairings' }]);
    expect(ctx.sender).toEqual({ id: '42', name: 'Ada', role: 'owner' });
    expect(by).toBe('telegram:42');
  });

  it('turns a reused message id with other content into idempotency_conflict', async () => {
    const { inbound } = await service({
      store: {
        findInbound: async () => {
          throw new InboundConflictError('message id m-5 was already used for a different message');
        },
      },
    });
    await expect(inbound.accept(message('other'))).rejects.toEqual(new AppError('idempotency_conflict', 'message id m-5 was already used for a different message'));
  });
});
