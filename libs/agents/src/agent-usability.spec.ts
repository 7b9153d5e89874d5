import { FakeAgentHost } from '../../../test/fakes/agent-host.fake';
import { agentStatus, claudeUsability, codexUsability, opencodeUsability } from './agent-usability';

const loggedOut = { usable: false };

describe('claudeUsability', () => {
  it('is usable with a key, a token or a base URL in the environment', () => {
    for (const name of ['ANTHROPIC_API_KEY', 'ANTHROPIC_AUTH_TOKEN', 'CLAUDE_CODE_OAUTH_TOKEN', 'ANTHROPIC_BASE_URL']) {
      expect(claudeUsability(new FakeAgentHost({ env: { [name]: 'x' } }), 'claude')).toEqual({ usable: true, via: `${name} is set` });
    }
  });

  it('is usable when ~/.claude/.credentials.json holds an OAuth login', () => {
    const files = { '/home/u/.claude/.credentials.json': JSON.stringify({ claudeAiOauth: { accessToken: 'a', refreshToken: 'r' } }) };
    expect(claudeUsability(new FakeAgentHost({ home: '/home/u', files }), 'claude')).toEqual({ usable: true, via: 'logged in' });
  });

  it('looks under CLAUDE_CONFIG_DIR instead of ~/.claude when it is set', () => {
    const files = { '/cfg/.credentials.json': JSON.stringify({ claudeAiOauth: { accessToken: 'a' } }) };
    expect(claudeUsability(new FakeAgentHost({ env: { CLAUDE_CONFIG_DIR: '/cfg' }, files }), 'claude')).toMatchObject({ usable: true });
    const elsewhere = { '/home/user/.claude/.credentials.json': files['/cfg/.credentials.json'] };
    expect(claudeUsability(new FakeAgentHost({ env: { CLAUDE_CONFIG_DIR: '/cfg' }, files: elsewhere }), 'claude')).toMatchObject(loggedOut);
  });

  it('is usable when ~/.claude.json records the account (macOS keeps the token in the Keychain) or an API key', () => {
    const account = { '/home/user/.claude.json': JSON.stringify({ oauthAccount: { accountUuid: 'u' } }) };
    expect(claudeUsability(new FakeAgentHost({ files: account }), 'claude')).toMatchObject({ usable: true });
    const key = { '/home/user/.claude.json': JSON.stringify({ primaryApiKey: 'sk' }) };
    expect(claudeUsability(new FakeAgentHost({ files: key }), 'claude')).toMatchObject({ usable: true });
  });

  it('is usable with an apiKeyHelper in its settings', () => {
    const files = { '/home/user/.claude/settings.json': JSON.stringify({ apiKeyHelper: '/bin/key' }) };
    expect(claudeUsability(new FakeAgentHost({ files }), 'claude')).toEqual({ usable: true, via: 'apiKeyHelper in its settings' });
  });

  it('is not logged in without any of them, or with empty or broken files, and says what to do', () => {
    const files = {
      '/home/user/.claude/.credentials.json': '{not json',
      '/home/user/.claude.json': JSON.stringify({ numStartups: 3, oauthAccount: null }),
      '/home/user/.claude/settings.json': JSON.stringify({ apiKeyHelper: '' }),
    };
    for (const host of [new FakeAgentHost(), new FakeAgentHost({ files }), new FakeAgentHost({ env: { ANTHROPIC_API_KEY: '' } })]) {
      expect(claudeUsability(host, 'claude')).toEqual({ usable: false, why: 'not logged in', fix: 'run `claude` once, or set ANTHROPIC_API_KEY' });
    }
  });
});

describe('codexUsability', () => {
  it('is usable with OPENAI_API_KEY, without running anything', () => {
    const host = new FakeAgentHost({ env: { OPENAI_API_KEY: 'sk' } });
    expect(codexUsability(host, 'codex')).toEqual({ usable: true, via: 'OPENAI_API_KEY is set' });
    expect(host.ran).toEqual([]);
  });

  it('asks `codex login status` of the configured command', () => {
    const yes = new FakeAgentHost({ exitCodes: { '/opt/codex login status': 0 } });
    expect(codexUsability(yes, '/opt/codex')).toEqual({ usable: true, via: 'logged in' });
    expect(yes.ran).toEqual(['/opt/codex login status']);
    for (const code of [1, null]) {
      const no = new FakeAgentHost({ exitCodes: { 'codex login status': code } });
      expect(codexUsability(no, 'codex')).toEqual({ usable: false, why: 'not logged in', fix: 'run `codex login`, or set OPENAI_API_KEY' });
    }
  });
});

describe('opencodeUsability', () => {
  it('is usable with a provider key, or a provider in its auth file (under XDG_DATA_HOME when set)', () => {
    expect(opencodeUsability(new FakeAgentHost({ env: { ANTHROPIC_API_KEY: 'k' } }), 'opencode')).toMatchObject({ usable: true });
    const auth = JSON.stringify({ anthropic: { type: 'oauth' } });
    expect(opencodeUsability(new FakeAgentHost({ files: { '/home/user/.local/share/opencode/auth.json': auth } }), 'opencode')).toEqual({
      usable: true,
      via: 'logged in (anthropic)',
    });
    const xdg = new FakeAgentHost({ env: { XDG_DATA_HOME: '/data' }, files: { '/data/opencode/auth.json': auth } });
    expect(opencodeUsability(xdg, 'opencode')).toMatchObject({ usable: true });
  });

  it('is not logged in with no key and an empty or missing auth file', () => {
    for (const files of [{}, { '/home/user/.local/share/opencode/auth.json': '{}' }] as Array<Record<string, string>>) {
      expect(opencodeUsability(new FakeAgentHost({ files }), 'opencode')).toMatchObject({ usable: false, fix: expect.stringContaining('opencode auth login') });
    }
  });
});

describe('agentStatus', () => {
  const probe = jest.fn(() => ({ usable: false as const, why: 'not logged in', fix: 'log in' }));
  beforeEach(() => probe.mockClear());

  it('is not installed when the command is not found, without probing its login', () => {
    expect(agentStatus('claude', { command: 'claude', usability: probe }, new FakeAgentHost())).toEqual({
      name: 'claude',
      state: 'not_installed',
      detail: '"claude" not found on PATH',
      fix: 'install claude, or set agents.claude.command',
    });
    expect(probe).not.toHaveBeenCalled();
  });

  it('is not logged in, with the fix, when the probe says so', () => {
    expect(agentStatus('claude', { command: 'claude', usability: probe }, new FakeAgentHost({ installed: ['claude'] }))).toEqual({
      name: 'claude',
      state: 'not_logged_in',
      detail: 'claude is installed but not logged in',
      fix: 'log in',
    });
  });

  it('is ok once installed for an agent without a probe', () => {
    expect(agentStatus('mine', { command: 'mine' }, new FakeAgentHost({ installed: ['mine'] }))).toEqual({ name: 'mine', state: 'ok', detail: 'mine (installed)', fix: null });
  });
});
