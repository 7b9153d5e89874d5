import { ConfigSchema } from '@patchbay/config';
import { InboundMessageV1 } from '@patchbay/contracts';
import { AccessStore } from '@patchbay/persistence';
import { strictDouble } from '../../../../test/support/strict-double';
import { ManualClock } from '../../../../test/support/manual-clock';
import { AccessService, PAIRING_TTL_MS, Sender } from './access.service';

const NOW = '2030-01-07T10:00:00.000Z';
const config = ConfigSchema.parse({
  home: '/tmp/pb-access-spec',
  access: { owners: ['local:*'], viewers: ['discord:*'] },
  pairing: { newCodesPerHour: 2 },
});

function message(channel: string, id: string, extra: Partial<InboundMessageV1['sender']> = {}): InboundMessageV1 {
  return { channel, accountId: 'acct', sender: { id, name: `user ${id}`, ...extra }, messageId: `m-${id}`, chatId: `chat-${id}`, text: 'hi', receivedAt: NOW };
}

/** AccessService's decisions on a strict AccessStore double: who someone is, what they may do, pairing. */
describe('AccessService', () => {
  const audited = (store: { calls: Array<[string, unknown[]]> }) => store.calls.filter(([name]) => name === 'audit').map(([, [entry]]) => entry);

  function service(members: Partial<Record<keyof AccessStore, unknown>>) {
    const store = strictDouble<AccessStore>('AccessStore', { audit: async () => undefined, ...members });
    return { access: new AccessService(config, store, new ManualClock(NOW)), store };
  }

  describe('identify', () => {
    it('knows a paired or listed sender by their principal and role', async () => {
      const { access } = service({ sender: async () => ({ principalId: 'p1', name: 'Ada', role: 'operator' }) });
      expect(await access.identify(message('telegram', '42'))).toEqual({ actor: 'telegram:42', name: 'user 42', principalId: 'p1', role: 'operator' });
    });

    it('gives a stranger no role, and a wildcard entry its role', async () => {
      const { access } = service({ sender: async () => null });
      expect((await access.identify(message('telegram', '99'))).role).toBeNull();
      expect((await access.identify(message('discord', '99'))).role).toBe('viewer');
      expect((await access.identify(message('local', 'root'))).role).toBe('owner');
    });

    it("believes a channel's vouch up to its ceiling, and audits it", async () => {
      const { access, store } = service({ sender: async () => null });
      const sender = await access.identify(message('api', 'ops', { vouch: { role: 'owner', reason: 'API token ops' } }));
      expect(sender).toMatchObject({ role: 'owner', vouched: 'API token ops' });
      expect(audited(store)).toEqual([
        { actor: 'api:ops', principalId: null, action: 'vouch', target: 'chat-ops', decision: 'allow', detail: 'api vouches (owner): API token ops' },
      ]);
    });

    it('refuses a vouch above the ceiling or from a channel that may not vouch, and audits why', async () => {
      const { access, store } = service({ sender: async () => null });
      expect((await access.identify(message('github', 'octo', { vouch: { role: 'owner', reason: 'admin' } }))).role).toBeNull();
      expect((await access.identify(message('telegram', '7', { vouch: { role: 'operator', reason: 'trust me' } }))).role).toBeNull();
      expect(audited(store).map((e) => (e as { detail: string }).detail)).toEqual([
        'channel github may vouch up to operator, not owner',
        'channel telegram may not vouch for senders',
      ]);
    });

    it("lets Patchbay's own scheduler act as an operator without asking the store", async () => {
      const { access, store } = service({});
      expect((await access.identify(message('schedule', 'job1'))).role).toBe('operator');
      expect(store.calls).toEqual([]);
    });
  });

  describe('authorize', () => {
    const as = (role: Sender['role']): Sender => ({ actor: 'telegram:42', name: 'Ada', principalId: 'p1', role });

    it('allows what the role allows and denies the rest, auditing both', async () => {
      const { access, store } = service({});
      expect(await access.authorize(as('viewer'), 'watch', 'chat-1')).toBe(true);
      expect(await access.authorize(as('viewer'), 'prompt', 'chat-1')).toBe(false);
      expect(await access.authorize(as(null), 'watch', 'chat-1')).toBe(false);
      expect(audited(store).map((e) => [(e as { action: string }).action, (e as { decision: string }).decision, (e as { detail: string | null }).detail])).toEqual([
        ['watch', 'allow', null],
        ['prompt', 'deny', 'role viewer'],
        ['watch', 'deny', 'role unknown'],
      ]);
    });
  });

  describe('pairingReply', () => {
    it('sends the open code again, unchanged', async () => {
      const expiresAt = new Date('2030-01-07T10:30:00.000Z');
      const { access } = service({ openPairing: async () => ({ code: 'ABCDEFGH', expiresAt }) });
      expect(await access.pairingReply(message('telegram', '99'))).toEqual({
        reply: expect.stringContaining('Pairing code: ABCDEFGH (valid until 10:30 UTC)'),
        detail: 'pairing code re-sent',
      });
    });

    it('makes a new code valid for an hour while the channel is under its hourly budget', async () => {
      const { access, store } = service({ openPairing: async () => null, countPairingsSince: async () => 1, createPairing: async () => undefined });
      const answer = await access.pairingReply(message('telegram', '99'));
      expect(answer.detail).toBe('pairing code sent');
      const [, [created]] = store.calls.find(([name]) => name === 'createPairing')!;
      expect(created).toEqual({
        code: expect.stringMatching(/^[A-HJKMNP-Z2-9]{8}$/),
        channel: 'telegram',
        platformUserId: '99',
        displayName: 'user 99',
        chatId: 'chat-99',
        createdAt: new Date(NOW),
        expiresAt: new Date(Date.parse(NOW) + PAIRING_TTL_MS),
      });
      expect(answer.reply).toContain(`Pairing code: ${(created as { code: string }).code}`);
    });

    it('refuses a new code once the channel handed out its hourly budget', async () => {
      const { access } = service({ openPairing: async () => null, countPairingsSince: async () => 2 });
      expect(await access.pairingReply(message('telegram', '99'))).toEqual({ reply: expect.stringMatching(/too many pairing codes/), detail: 'pairing refused: rate limit' });
    });
  });

  it('gives no pairing code on a public channel', () => {
    const { access } = service({});
    expect([access.pairs('github'), access.pairs('telegram')]).toEqual([false, true]);
  });
});
