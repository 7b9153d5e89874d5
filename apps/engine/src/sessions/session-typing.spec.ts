import { Test } from '@nestjs/testing';
import { agentProfiles, TMUX_BRIDGE_AGENT } from '@patchbay/agents';
import { Bus, NoResponderError } from '@patchbay/bus';
import { ConfigSchema } from '@patchbay/config';
import { SessionTypeV1 } from '@patchbay/contracts';
import { SessionsStore } from '@patchbay/persistence';
import { REDACTOR, Redactor } from '@patchbay/security';
import { strictDouble } from '../../../../test/support/strict-double';
import { AccessService, Sender } from '../access/access.service';
import { AGENT_PROFILES } from '../engine.constants';
import { SessionTyping } from './session-typing';

type Members<T> = Partial<Record<keyof T, unknown>>;

const config = ConfigSchema.parse({ home: '/tmp/pb-typing', agents: { shell: { command: 'bash', mode: 'terminal' } } });
const API = { channel: 'api', senderId: 'ci', name: 'ci', vouch: { role: 'operator', reason: 'API token "ci"' } } as const;
const typeRequest = (input: SessionTypeV1['input']): SessionTypeV1 => ({ sessionId: 'sess0001', by: API, input });
const operator: Sender = { actor: 'api:ci', name: 'ci', principalId: null, role: 'operator' };

/** SessionTyping on strict doubles: only the calls a case names may happen. */
describe('SessionTyping', () => {
  async function typing(members: { bus?: Members<Bus>; store?: Members<SessionsStore>; access?: Members<AccessService> }) {
    const doubles = {
      bus: strictDouble<Bus>('Bus', members.bus ?? {}),
      store: strictDouble<SessionsStore>('SessionsStore', members.store ?? {}),
      access: strictDouble<AccessService>('AccessService', members.access ?? {}),
    };
    const module = await Test.createTestingModule({
      providers: [
        SessionTyping,
        { provide: Bus, useValue: doubles.bus },
        { provide: SessionsStore, useValue: doubles.store },
        { provide: AccessService, useValue: doubles.access },
        { provide: REDACTOR, useValue: new Redactor(new Map([['sekret-value-1234', 'token']]), []) },
        { provide: AGENT_PROFILES, useValue: agentProfiles(config) },
      ],
    }).compile();
    return { typing: module.get(SessionTyping), ...doubles };
  }
  const session = (agent: string) => ({ session: async () => ({ id: 'sess0001', agent }) });
  const delivered = { delivered: true, detail: 'typed into the session' };

  it('checks and audits the typist as chat input, redacts the text, and hands it to the runner with who typed it', async () => {
    const {
      typing: t,
      bus,
      access,
    } = await typing({
      store: session('shell'),
      access: { identifySender: async () => operator, authorize: async () => true },
      bus: { request: async () => delivered },
    });
    expect(await t.typeAs(typeRequest({ kind: 'text', text: 'export K=sekret-value-1234', enter: false }))).toEqual(delivered);
    expect(access.calls).toEqual([
      ['identifySender', ['api', { id: 'ci', name: 'ci', vouch: API.vouch }, 'sess0001']],
      ['authorize', [operator, 'input', 'sess0001', 'api: typed text']],
    ]);
    expect(bus.calls).toEqual([['request', ['session.*.input', { text: 'export K=[redacted:token]', enter: false, sender: 'ci' }, { params: ['sess0001'] }]]]);
  });

  it('presses keys, audited with the keys', async () => {
    const {
      typing: t,
      bus,
      access,
    } = await typing({
      store: session('shell'),
      access: { identifySender: async () => operator, authorize: async () => true },
      bus: { request: async () => ({ delivered: true, detail: 'pressed C-c' }) },
    });
    await t.typeAs(typeRequest({ kind: 'keys', keys: ['C-c'] }));
    expect(access.calls[1]).toEqual(['authorize', [operator, 'input', 'sess0001', 'api: keys C-c']]);
    expect(bus.calls).toEqual([['request', ['session.*.keys', { keys: ['C-c'] }, { params: ['sess0001'] }]]]);
  });

  it('lets only owners type into a bridged tmux session, and sends nothing for a refusal', async () => {
    const { typing: t, access } = await typing({ store: session(TMUX_BRIDGE_AGENT), access: { identifySender: async () => operator, authorize: async () => false } });
    await expect(t.typeAs(typeRequest({ kind: 'text', text: 'ls' }))).rejects.toMatchObject({
      code: 'forbidden',
      message: 'api:ci may not type into session sess0001 (role operator: a bridged tmux session takes input from owners only)',
    });
    expect(access.calls[1]).toEqual(['authorize', [operator, 'admin', 'sess0001', 'api: typed text']]);
  });

  it('says not_found for an unknown session before looking at anyone', async () => {
    const { typing: t } = await typing({ store: { session: async () => null } });
    await expect(t.typeAs(typeRequest({ kind: 'keys', keys: ['q'] }))).rejects.toMatchObject({ code: 'not_found', message: 'no session sess0001' });
  });

  it('says not_live when no runner holds the session', async () => {
    const { typing: t } = await typing({
      bus: {
        request: async () => {
          throw new NoResponderError('pb.session.sess0001.input');
        },
      },
    });
    await expect(t.deliver('sess0001', { kind: 'text', text: 'hi' })).rejects.toMatchObject({ code: 'not_live', message: 'session sess0001 has no live terminal' });
  });
});
