import { BindingV1, KnownChatV1 } from '@patchbay/contracts';
import { AccessStore, SessionsStore, SessionEntity } from '@patchbay/persistence';
import { strictDouble } from '../../../../test/support/strict-double';
import { BindingsController } from './bindings.controller';
import { SessionBindings } from './session-bindings';
import { refusal } from '../../../../test/support/refusal';

type Members<T> = Partial<Record<keyof T, unknown>>;
const chat = (sessionId: string | null): KnownChatV1 => ({ channel: 'telegram', chatId: '-100', title: null, sessionId, lastSeenAt: '2030-01-01T10:00:00.000Z' });
const bound: BindingV1[] = [{ channel: 'telegram', chatId: '-100', delivery: 'final' }];

/** The dashboard's attach and detach on strict doubles: what is checked, what is changed, what is audited. */
describe('BindingsController', () => {
  function controller(members: { store?: Members<SessionsStore>; bindings?: Members<SessionBindings> }) {
    const store = strictDouble<SessionsStore>('SessionsStore', members.store ?? {});
    const bindings = strictDouble<SessionBindings>('SessionBindings', members.bindings ?? {});
    const audit = strictDouble<AccessStore>('AccessStore', { audit: async () => undefined });
    return { controller: new BindingsController(store, bindings, audit), store, bindings, audit };
  }

  const attach = { sessionId: 's2', channel: 'telegram', chatId: '-100', delivery: 'final' as const, by: 'api:ops' };

  it('attaches a known chat, leaving the session it followed, and audits who did it', async () => {
    const {
      controller: c,
      bindings,
      audit,
    } = controller({
      store: { session: async () => ({ id: 's2' }) as SessionEntity, knownChats: async () => [chat('s1')] },
      bindings: { bind: async () => bound },
    });
    expect(await c.attach(attach)).toEqual({ bindings: bound });
    expect(bindings.calls).toEqual([['bind', [{ channel: 'telegram', chatId: '-100' }, 's2', 'final', 's1']]]);
    expect(audit.calls).toEqual([
      ['audit', [{ actor: 'api:ops', principalId: null, action: 'binding.attach', target: 'session:s2', decision: 'allow', detail: 'telegram:-100 (final), leaving session s1' }]],
    ]);
  });

  it('refuses an unknown session before looking at the chat', async () => {
    const { controller: c, store, audit } = controller({ store: { session: async () => null } });
    const error = await refusal(c.attach(attach));
    expect([error.code, error.message]).toEqual(['not_found', 'no session s2']);
    expect(store.calls.map(([name]) => name)).toEqual(['session']);
    expect(audit.calls).toEqual([]);
  });

  it('refuses a chat Patchbay never heard from, naming it, and binds nothing', async () => {
    const { controller: c, store } = controller({ store: { session: async () => ({ id: 's2' }) as SessionEntity, knownChats: async () => [] } });
    const error = await refusal(c.attach(attach));
    expect(error.code).toBe('not_found');
    expect(error.message).toBe('Patchbay knows no chat -100 on channel telegram (no message came from it)');
    expect(store.calls.at(-1)).toEqual(['knownChats', [1, { channel: 'telegram', chatId: '-100' }]]);
  });

  it('detaches a chat from its session, and says when it was not attached to that one', async () => {
    const { controller: c, audit } = controller({ bindings: { detach: async (_chat: unknown, sessionId: string) => (sessionId === 's2' ? [] : null) } });
    expect(await c.detach({ sessionId: 's2', channel: 'telegram', chatId: '-100', by: 'local:me' })).toEqual({ bindings: [] });
    expect(audit.calls.at(-1)![1][0]).toMatchObject({ actor: 'local:me', action: 'binding.detach', target: 'session:s2', detail: 'telegram:-100' });
    const error = await refusal(c.detach({ sessionId: 's3', channel: 'telegram', chatId: '-100', by: 'local:me' }));
    expect([error.code, error.message]).toEqual(['not_found', 'chat -100 on channel telegram is not attached to session s3']);
    expect(audit.calls).toHaveLength(1);
  });
});
