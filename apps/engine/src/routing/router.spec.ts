import { ConfigSchema } from '@patchbay/config';
import { InboundMessageV1 } from '@patchbay/contracts';
import { Router } from './router';

const message = (fields: Partial<InboundMessageV1> = {}): InboundMessageV1 => ({
  channel: 'telegram',
  accountId: 'bot',
  messageId: 'm1',
  chatId: 'c1',
  sender: { id: 'u1' },
  text: 'please fix the flaky test',
  receivedAt: '2026-11-21T10:00:00Z',
  ...fields,
});

const router = (routing: unknown, random?: () => number) => new Router(ConfigSchema.parse({ home: '/tmp/x', routing }), 'demo', random);

describe('Router', () => {
  it('uses the default agent when no rule matches', () => {
    expect(router({}).route(message())).toEqual({ agent: 'demo', name: null, reason: 'default agent demo' });
  });

  it('takes the first rule whose channel, chat, keywords and labels all match', () => {
    const r = router({
      rules: [
        { name: 'docs', match: { keywords: ['readme', 'docs'] }, agents: ['codex'] },
        { name: 'front', match: { channel: 'github', labels: ['frontend'] }, agents: ['opencode'] },
        { name: 'team', match: { channel: 'telegram', chat: 'c1' }, agents: ['claude'] },
      ],
    });
    expect(r.route(message({ text: 'Update the README please' }))).toMatchObject({ agent: 'codex', name: 'docs' });
    expect(r.route(message({ text: 'readmes are nice', chatId: 'other' }))).toMatchObject({ agent: 'demo', name: null });
    expect(r.route(message({ channel: 'github', labels: ['bug', 'frontend'] }))).toMatchObject({ agent: 'opencode', name: 'front' });
    expect(r.route(message({ channel: 'github', labels: ['bug'] }))).toMatchObject({ agent: 'demo' });
    expect(r.route(message())).toEqual({ agent: 'claude', name: 'team', reason: 'rule team chose claude' });
  });

  it('spreads sessions over equivalent agents round robin', () => {
    const r = router({ rules: [{ name: 'all', agents: ['claude', 'codex', 'opencode'] }] });
    expect([1, 2, 3, 4].map(() => r.route(message()).agent)).toEqual(['claude', 'codex', 'opencode', 'claude']);
  });

  it('spreads them by weight when asked', () => {
    const draws = [0.1, 0.7, 0.74, 0.76, 0.99];
    let next = 0;
    const r = router({ rules: [{ name: 'w', agents: ['claude', 'codex'], strategy: 'weighted', weights: { claude: 3, codex: 1 } }] }, () => draws[next++]);
    expect(draws.map(() => r.route(message()).agent)).toEqual(['claude', 'claude', 'claude', 'codex', 'codex']);
  });

  it("names a fallback: the rule's first, then the global ones, never the agent that failed", () => {
    const r = router({ rules: [{ name: 'a', agents: ['claude'], fallback: ['claude', 'codex'] }], fallback: ['opencode'] });
    expect(r.fallback('a', 'claude')).toBe('codex');
    expect(r.fallback(null, 'claude')).toBe('opencode');
    expect(r.fallback(null, 'opencode')).toBeNull();
  });

  it('refuses rules that name agents it does not have, saying where', () => {
    expect(() => router({ rules: [{ name: 'x', agents: ['claude', 'gpt9'] }] })).toThrow('routing.rules[0].agents: no agent "gpt9"');
    expect(() => router({ fallback: ['nope'] })).toThrow('routing.fallback: no agent "nope"');
  });
});
