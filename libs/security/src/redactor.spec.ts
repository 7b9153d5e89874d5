import { ConfigSchema } from '@patchbay/config';
import { configSecrets } from './config-secrets';
import { Redactor } from './redactor';
import { TOKEN_SHAPES } from './token-shapes';

const shapes = new Redactor(new Map(), TOKEN_SHAPES);
const A36 = 'aB3dE5fG7hJ9kL1mN3pQ5rS7tU9vW1xY3zA5';
const PEM = ['-----BEGIN RSA PRIVATE KEY-----', 'MIIEowIBAAKCAQEAx4', 'q1w2e3r4t5y6', '-----END RSA PRIVATE KEY-----'].join('\n');

describe('Redactor: token shapes', () => {
  it.each([
    ['github-token', `ghp_${A36}`],
    ['github-token', `gho_${A36}`],
    ['github-token', `ghu_${A36}`],
    ['github-token', `ghs_${A36}`],
    ['github-token', `ghr_${A36}`],
    ['github-token', `github_pat_11ABCDEFG0_${A36}${A36}`],
    ['slack-token', 'xoxb-123456789012-1234567890123-AbCdEfGhIjKlMnOp'],
    ['slack-token', 'xoxp-1234-5678-abcdefABCDEF'],
    ['anthropic-key', `sk-ant-api03-${A36}-${A36}`],
    ['openai-key', `sk-${A36}${A36}`],
    ['openai-key', `sk-proj-${A36}_${A36}`],
    ['aws-access-key', 'AKIAIOSFODNN7EXAMPLE'],
    ['aws-access-key', 'ASIAY34FZKBOKMUTVV7A'],
    ['telegram-bot-token', '123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw'],
    ['jwt', 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U'],
    ['private-key', PEM],
    ['nkey-seed', 'SUALPFOYSRS5MGBNA5VREDY6KJ4CSNKFLDG2X4CTSD5OM6JZDZA36IRFAM'],
  ])('replaces a %s, in the middle of a line, leaving the rest', (label, secret) => {
    expect(shapes.redact(`before ${secret} after`)).toBe(`before [redacted:${label}] after`);
    expect(shapes.redact(`token="${secret}"`)).toBe(`token="[redacted:${label}]"`);
  });

  it('replaces every occurrence, of several kinds, in one pass', () => {
    const text = `GITHUB_TOKEN=ghp_${A36}\nAWS=AKIAIOSFODNN7EXAMPLE\nagain ghp_${A36}.`;
    expect(shapes.redact(text)).toBe('GITHUB_TOKEN=[redacted:github-token]\nAWS=[redacted:aws-access-key]\nagain [redacted:github-token].');
  });

  it('redacts a private key block cut off before its END line to the end of the text', () => {
    expect(shapes.redact(`key:\n${PEM.split('\n').slice(0, 2).join('\n')}`)).toBe('key:\n[redacted:private-key]');
  });

  it.each([
    ['prose', 'The task-runner asked: should we skip the risk-averse path? See ghp_ docs and sk-learn.'],
    ['a git SHA', 'commit 9fceb02d0ae598e95dc970b74767f19372d61af8 (HEAD -> main)'],
    ['a short SHA and a UUID', 'fixed in 9fceb02, run 123e4567-e89b-12d3-a456-426614174000'],
    ['a time and a port', 'at 12:30:45 on 127.0.0.1:4222, 1234567:short'],
    ['base64 that is not a JWT', 'data: SGVsbG8gd29ybGQ=.eyJ'],
    ['code', 'const skip = tokens.filter((t) => t.kind === "sk-"); // AKIA is a prefix'],
    ['a PEM public key', '-----BEGIN PUBLIC KEY-----\nMIIBIjANBgkq\n-----END PUBLIC KEY-----'],
  ])('leaves %s alone', (_, text) => {
    expect(shapes.redact(text)).toBe(text);
  });
});

describe('Redactor: secrets and patterns', () => {
  const config = (extra: Record<string, unknown>) => ConfigSchema.parse({ home: '/tmp/pb-redact', ...extra });

  it('takes every string under a secret-named key of the config, and URL passwords', () => {
    const secrets = configSecrets(
      config({
        telegram: { token: 'telegram-token-value', webhookSecret: 'hook-secret-value' },
        github: { token: 'github-token-value', webhookSecret: 'gh-hook-secret' },
        bus: { natsUrl: 'nats://pb:nats%2Fpass@127.0.0.1:4222' },
        database: { url: 'postgres://pb:db-password-1@localhost/pb' },
        agents: { mine: { command: 'mine', env: { MY_API_KEY: 'agent-api-key-value', EDITOR_NAME: 'plain-value-here' } } },
      }),
    );
    expect(Object.fromEntries(secrets)).toEqual({
      'telegram-token-value': 'telegram.token',
      'hook-secret-value': 'telegram.webhookSecret',
      'github-token-value': 'github.token',
      'gh-hook-secret': 'github.webhookSecret',
      'nats%2Fpass': 'bus.natsUrl',
      'nats/pass': 'bus.natsUrl',
      'db-password-1': 'database.url',
      'agent-api-key-value': 'agents.mine.env.MY_API_KEY',
    });
  });

  it('finds secrets in keys the schema gains later (lists of objects, nested sections) by their names', () => {
    const later = {
      http: { tokens: [{ token: 'api-token-number-1', role: 'owner' }] },
      bus: { secret: 'bus-shared-secret', nats: { password: 'nats-password', seed: 'SUAEXAMPLESEED' } },
    };
    expect([...configSecrets(later as never).entries()]).toEqual([
      ['api-token-number-1', 'http.tokens[0].token'],
      ['bus-shared-secret', 'bus.secret'],
      ['nats-password', 'bus.nats.password'],
      ['SUAEXAMPLESEED', 'bus.nats.seed'],
    ]);
  });

  it("takes the bus secret and bus.nats credentials from the schema's own keys, not the file paths", () => {
    const secrets = configSecrets(
      config({ bus: { secret: 'b'.repeat(32), nats: { token: 'nats-token-value', nkeySeedFile: '/etc/pb/user.nk', tls: { keyFile: '/etc/pb/key.pem' } } } }),
    );
    expect(Object.fromEntries(secrets)).toEqual({ ['b'.repeat(32)]: 'bus.secret', 'nats-token-value': 'bus.nats.token' });
    expect(Object.fromEntries(configSecrets(config({ bus: { nats: { user: 'gateway', password: 'nats-password' } } })))).toEqual({ 'nats-password': 'bus.nats.password' });
    expect(Object.fromEntries(configSecrets(config({ bus: { nats: { nkeySeed: 'SUAEXAMPLESEED' } } })))).toEqual({ SUAEXAMPLESEED: 'bus.nats.nkeySeed' });
  });

  it('ignores secret values shorter than 8 characters', () => {
    expect(configSecrets(config({ telegram: { token: 'short' } })).size).toBe(0);
  });

  it('replaces config secrets by the key they came from, the longest first, regex characters literally', () => {
    const redactor = new Redactor(
      new Map([
        ['pass.word+(1)', 'bus.nats.password'],
        ['pass.word+(1)-longer', 'http.tokens[0].token'],
      ]),
      TOKEN_SHAPES,
    );
    expect(redactor.redact('a pass.word+(1)-longer b pass.word+(1) c passXword+(1)')).toBe('a [redacted:http.tokens[0].token] b [redacted:bus.nats.password] c passXword+(1)');
  });

  it('adds the redact.patterns of the config, whose own groups do not confuse the labels', () => {
    const redactor = Redactor.fromConfig(config({ github: { token: 'the-github-token' }, redact: { patterns: ['(int|ext)-(\\d{4})-key', 'ACME[0-9]{6}'] } }));
    expect(redactor.redact(`int-2024-key ACME123456 the-github-token ghp_${A36}`)).toBe(
      '[redacted:redact.patterns[0]] [redacted:redact.patterns[1]] [redacted:github.token] [redacted:github-token]',
    );
  });

  it('redacts every string of a nested value, leaving the rest as it was', () => {
    const event = { type: 'tool_call', seq: 3, input: { command: `echo ghp_${A36}`, args: ['x', `ghs_${A36}`] }, done: true };
    expect(shapes.redactAll(event)).toEqual({
      type: 'tool_call',
      seq: 3,
      input: { command: 'echo [redacted:github-token]', args: ['x', '[redacted:github-token]'] },
      done: true,
    });
  });
});
