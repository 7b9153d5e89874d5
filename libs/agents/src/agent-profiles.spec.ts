import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { tmpdir } from 'node:os';
import { ConfigError } from '@patchbay/config';
import { AgentProfile, agentArgv, agentProfiles, commandOnPath, configuredDefaultAgent, DEMO_AGENT, usesPermissionPrompt } from './agent-profiles';

/** A resolved profile with the usual defaults. */
const profile = (fields: { command: string } & Partial<AgentProfile>): AgentProfile => ({ args: [], env: {}, passEnv: [], mode: 'text', ...fields });

describe('agentArgv', () => {
  it('replaces {prompt} in the arguments', () => {
    expect(agentArgv(profile({ command: 'claude', args: ['-p', '{prompt}', '--verbose'] }), 'fix it')).toEqual(['claude', '-p', 'fix it', '--verbose']);
  });

  it('replaces {prompt} inside an argument, and every occurrence', () => {
    expect(agentArgv(profile({ command: 'x', args: ['--prompt={prompt}', '{prompt}/{prompt}'] }), 'hi')).toEqual(['x', '--prompt=hi', 'hi/hi']);
  });

  it('appends the prompt as the last argument when no argument has {prompt}', () => {
    expect(agentArgv(profile({ command: 'x', args: ['run', '--quiet'] }), 'hi there')).toEqual(['x', 'run', '--quiet', 'hi there']);
    expect(agentArgv(profile({ command: 'x' }), 'hi')).toEqual(['x', 'hi']);
  });

  it("keeps replacement patterns such as $& and $' in a prompt literal", () => {
    const prompt = "use $& and $' and $$ here";
    expect(agentArgv(profile({ command: 'x', args: ['-p', '{prompt}'] }), prompt)).toEqual(['x', '-p', prompt]);
  });

  it('passes quotes, newlines and shell characters through as one argument', () => {
    const prompt = `it's "quoted"\n$HOME; rm -rf / \`whoami\``;
    expect(agentArgv(profile({ command: 'x', args: ['-p', '{prompt}'] }), prompt)).toEqual(['x', '-p', prompt]);
  });
});

describe('agentProfiles', () => {
  it('has the demo agent and the known agent CLIs built in', () => {
    const profiles = agentProfiles({ agents: {} });
    expect([...profiles.keys()]).toEqual([DEMO_AGENT, 'claude', 'codex', 'opencode', 'tmux-bridge']);
    expect(profiles.get('tmux-bridge')).toMatchObject({ command: 'tmux', mode: 'bridge' });
    expect(profiles.get('claude')).toMatchObject({
      command: 'claude',
      args: ['-p', '--output-format', 'stream-json', '--verbose', '--include-partial-messages'],
      mode: 'structured',
      format: 'claude',
    });
    expect(profiles.get('codex')).toMatchObject({ args: ['exec', '--json'], format: 'codex' });
    expect(profiles.get('opencode')).toMatchObject({ args: ['run', '--format', 'json'], format: 'opencode' });
    expect(profiles.get(DEMO_AGENT)).toMatchObject({ command: process.execPath, args: [expect.stringMatching(/demo-agent\.js$/), '{prompt}'] });
  });

  it('adds the agents of the config, with defaults for what they leave out', () => {
    const profiles = agentProfiles({ agents: { mine: { command: 'my-agent', args: ['--go'] } } });
    expect(profiles.get('mine')).toEqual(profile({ command: 'my-agent', args: ['--go'] }));
    expect(profiles.has('claude')).toBe(true);
  });

  it('overlays a configured built-in field by field: what the config sets wins, the rest stays', () => {
    const claude = agentProfiles({ agents: { claude: { command: '/opt/bin/claude', env: { A: '1' } } } }).get('claude');
    expect(claude).toMatchObject({ command: '/opt/bin/claude', env: { A: '1' }, description: 'Claude Code', mode: 'structured' });
    expect(claude?.args.slice(0, 2)).toEqual(['-p', '--output-format']);
  });

  it("adds a configured passEnv to the built-in one, which names each CLI's own keys", () => {
    const profiles = agentProfiles({ agents: { claude: { passEnv: ['HTTPS_PROXY', 'ANTHROPIC_API_KEY'] }, mine: { command: 'x' } } });
    expect(profiles.get('claude')?.passEnv).toEqual([
      'ANTHROPIC_API_KEY',
      'ANTHROPIC_AUTH_TOKEN',
      'ANTHROPIC_BASE_URL',
      'ANTHROPIC_MODEL',
      'CLAUDE_CONFIG_DIR',
      'CLAUDE_CODE_OAUTH_TOKEN',
      'HTTPS_PROXY',
    ]);
    expect(profiles.get('codex')?.passEnv).toEqual(['OPENAI_API_KEY', 'OPENAI_BASE_URL', 'CODEX_HOME']);
    expect(profiles.get('mine')?.passEnv).toEqual([]);
  });

  it('adds configured args after the built-in ones, and renders model, permissions and resume', () => {
    const claude = agentProfiles({
      agents: { claude: { args: ['--max-turns', '5'], model: 'opus', allowedTools: ['Bash', 'Write'], permissionMode: 'acceptEdits' } },
    }).get('claude')!;
    expect(agentArgv(claude, 'fix it', { resume: 'sess-1' })).toEqual([
      'claude',
      '-p',
      '--output-format',
      'stream-json',
      '--verbose',
      '--include-partial-messages',
      '--max-turns',
      '5',
      '--model',
      'opus',
      '--allowedTools',
      'Bash,Write',
      '--permission-mode',
      'acceptEdits',
      '--resume',
      'sess-1',
      '--',
      'fix it',
    ]);
    const codex = agentProfiles({ agents: { codex: { sandbox: 'workspace-write' } } }).get('codex')!;
    expect(agentArgv(codex, 'go', { resume: 'thread-9' })).toEqual(['codex', 'exec', '--json', '--sandbox', 'workspace-write', 'resume', 'thread-9', 'go']);
  });

  describe('approvals modes', () => {
    const profiles = agentProfiles({ agents: { codex: { sandbox: 'danger-full-access' } } });
    const claude = profiles.get('claude')!;
    const codex = profiles.get('codex')!;
    const CLAUDE_BASE = ['claude', '-p', '--output-format', 'stream-json', '--verbose', '--include-partial-messages'];

    it('claude under ask or deny asks through the permission MCP tool of the run (before the prompt)', () => {
      for (const approvals of ['ask', 'deny'] as const) {
        expect(agentArgv(claude, 'go', { approvals, mcpConfig: '/runs/r1/mcp.json' })).toEqual([
          ...CLAUDE_BASE,
          '--mcp-config',
          '/runs/r1/mcp.json',
          '--permission-prompt-tool',
          'mcp__patchbay__approve',
          '--',
          'go',
        ]);
      }
      expect(usesPermissionPrompt(claude, 'ask')).toBe(true);
    });

    it('allow (and no mode, as before approvals) keeps the flags as they were', () => {
      expect(agentArgv(claude, 'go', { approvals: 'allow', mcpConfig: '/runs/r1/mcp.json' })).toEqual([...CLAUDE_BASE, '--', 'go']);
      expect(agentArgv(claude, 'go')).toEqual([...CLAUDE_BASE, '--', 'go']);
      expect(usesPermissionPrompt(claude, 'allow')).toBe(false);
      expect(usesPermissionPrompt(claude)).toBe(false);
      expect(agentArgv(codex, 'go', { approvals: 'allow' })).toEqual(['codex', 'exec', '--json', '--sandbox', 'danger-full-access', 'go']);
    });

    it('codex exec cannot ask mid-run: under ask or deny it is confined to a read-only sandbox, over the profile sandbox', () => {
      for (const approvals of ['ask', 'deny'] as const) {
        expect(agentArgv(codex, 'go', { approvals })).toEqual(['codex', 'exec', '--json', '--sandbox', 'read-only', 'go']);
      }
      expect(usesPermissionPrompt(codex, 'ask')).toBe(false);
    });

    it('an agent with neither (opencode, own profiles) runs as before', () => {
      expect(agentArgv(profiles.get('opencode')!, 'go', { approvals: 'ask' })).toEqual(['opencode', 'run', '--format', 'json', 'go']);
      expect(usesPermissionPrompt(profiles.get('opencode')!, 'ask')).toBe(false);
    });
  });

  it('gives a terminal-mode program no prompt argument (it is typed in)', () => {
    expect(agentArgv(profile({ command: 'bash', args: ['--norc'], mode: 'terminal' }), 'ls')).toEqual(['bash', '--norc']);
  });

  it('refuses a structured agent without a format', () => {
    expect(() => agentProfiles({ agents: { mine: { command: 'x', mode: 'structured' } } })).toThrow('agents.mine: mode structured needs a format');
  });

  it('refuses a new agent without a command, naming it', () => {
    expect(() => agentProfiles({ agents: { mine: { args: ['x'] } } })).toThrow(ConfigError);
    expect(() => agentProfiles({ agents: { mine: { args: ['x'] } } })).toThrow('agents.mine: command is required');
  });

  it('does not change the built-ins for later calls', () => {
    agentProfiles({ agents: { codex: { command: '/elsewhere/codex' } } });
    expect(agentProfiles({ agents: {} }).get('codex')?.command).toBe('codex');
  });
});

describe('configuredDefaultAgent', () => {
  it('is the configured defaultAgent, built in or under agents:, else null', () => {
    expect(configuredDefaultAgent({ agents: {}, defaultAgent: 'codex' })).toBe('codex');
    expect(configuredDefaultAgent({ agents: { mine: { command: 'm' } }, defaultAgent: 'mine' })).toBe('mine');
    expect(configuredDefaultAgent({ agents: {} })).toBeNull();
  });

  it('refuses a defaultAgent that is neither built in nor configured with a ConfigError naming it and the known agents', () => {
    const refused = () => configuredDefaultAgent({ agents: { mine: { command: 'm' } }, defaultAgent: 'gpt9' });
    expect(refused).toThrow(ConfigError);
    expect(refused).toThrow('defaultAgent: "gpt9" is not a built-in agent nor under agents: (agents: demo, claude, codex, opencode, tmux-bridge, mine)');
  });
});

describe('commandOnPath', () => {
  let dir: string;
  let other: string;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'pb-path-'));
    other = mkdtempSync(join(tmpdir(), 'pb-path-'));
    for (const [name, mode] of [
      ['tool', 0o755],
      ['plain', 0o644],
    ] as const) {
      writeFileSync(join(dir, name), '#!/bin/sh\n');
      chmodSync(join(dir, name), mode);
    }
  });

  afterAll(() => {
    for (const d of [dir, other]) rmSync(d, { recursive: true, force: true });
  });

  it('finds an executable file in a PATH directory', () => {
    expect(commandOnPath('tool', dir)).toBe(true);
    expect(commandOnPath('tool', [other, dir].join(delimiter))).toBe(true);
  });

  it('does not find a missing command, or one in a directory not on PATH', () => {
    expect(commandOnPath('missing', dir)).toBe(false);
    expect(commandOnPath('tool', other)).toBe(false);
    expect(commandOnPath('tool', '')).toBe(false);
  });

  it('does not take a file without execute permission', () => {
    expect(commandOnPath('plain', dir)).toBe(false);
  });

  it('checks a command with a slash as a path, ignoring PATH', () => {
    expect(commandOnPath(join(dir, 'tool'), other)).toBe(true);
    expect(commandOnPath(join(dir, 'plain'), dir)).toBe(false);
    expect(commandOnPath(join(other, 'tool'), dir)).toBe(false);
  });
});
