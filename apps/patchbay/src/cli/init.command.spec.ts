import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, loadConfig } from '@patchbay/config';
import { initCommand, Prompter } from './init.command';

/** Answers each question with the next scripted answer; a question too many fails the test. */
class ScriptedPrompter implements Prompter {
  readonly questions: string[] = [];
  closed = false;

  constructor(private readonly answers: string[]) {}

  async ask(question: string): Promise<string> {
    this.questions.push(question);
    if (this.answers.length === 0) throw new Error(`unexpected question: ${question}`);
    return this.answers.shift()!;
  }

  close(): void {
    this.closed = true;
  }
}

describe('patchbay init', () => {
  let dir: string;
  let out: jest.SpyInstance;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'pb-init-'));
    out = jest.spyOn(process.stdout, 'write').mockImplementation(() => true);
  });
  afterEach(() => {
    out.mockRestore();
    rmSync(dir, { recursive: true, force: true });
  });

  describe('--yes', () => {
    const load = (env: NodeJS.ProcessEnv = {}) => loadConfig({ PATCHBAY_CONFIG: join(dir, 'patchbay.yaml'), PATCHBAY_HOME: join(dir, 'home'), ...env }, dir);
    const noPrompts = (): Prompter => {
      throw new Error('init --yes asked a question');
    };

    it('writes a commented file the real loader reads, with the channels, owners and default agent of the flags', async () => {
      const args = [
        '--yes',
        '--telegram-token',
        '123:abc',
        '--discord-token-env',
        '--github-token-env',
        '--github-repo',
        'me/project',
        '--owner',
        'telegram:42',
        '--default-agent',
        'codex',
      ];
      expect(await initCommand(args, dir, noPrompts)).toBe(0);
      const text = readFileSync(join(dir, 'patchbay.yaml'), 'utf8');
      expect(text).toMatch(/^# Patchbay configuration, written by `patchbay init`/);
      expect(text).toContain('# token: read from the environment variable DISCORD_BOT_TOKEN (not written here)');
      const { config } = load({ DISCORD_BOT_TOKEN: 'from-env', GITHUB_TOKEN: 'ghp_env' });
      expect(config.telegram.token).toBe('123:abc');
      expect(config.discord.token).toBe('from-env');
      expect(config.github).toMatchObject({ token: 'ghp_env', mode: 'polling', repos: ['me/project'] });
      expect(config.access.owners).toEqual(['local:*', 'telegram:42']);
      expect(config.defaultAgent).toBe('codex');
      // It holds a token: readable by its owner only.
      expect(statSync(join(dir, 'patchbay.yaml')).mode & 0o077).toBe(0);
    });

    it('writes the defaults with no channel, and leaves the default agent to be found', async () => {
      expect(await initCommand(['--yes'], dir, noPrompts)).toBe(0);
      const { config } = load();
      expect(config.defaultAgent).toBeUndefined();
      expect(config.telegram.token).toBeUndefined();
      expect(config.access.owners).toEqual(['local:*']);
    });

    it('never replaces an existing file without --force', async () => {
      writeFileSync(join(dir, 'patchbay.yaml'), 'mine: true\n');
      await expect(initCommand(['--yes'], dir, noPrompts)).rejects.toThrow(`${join(dir, 'patchbay.yaml')} exists: pass --force to replace it`);
      expect(readFileSync(join(dir, 'patchbay.yaml'), 'utf8')).toBe('mine: true\n');
      expect(await initCommand(['--yes', '--force'], dir, noPrompts)).toBe(0);
      expect(load().file).toBe(join(dir, 'patchbay.yaml'));
    });

    it('refuses answers the loader would refuse, naming the key, and writes nothing', async () => {
      const refused = (args: string[]) => initCommand(['--yes', ...args], dir, noPrompts);
      await expect(refused(['--owner', 'bob'])).rejects.toThrow(/access\.owners\.1: expected <channel>:<user id>/);
      await expect(refused(['--default-agent', 'gpt9'])).rejects.toThrow('defaultAgent: "gpt9" is not a built-in agent');
      await expect(refused(['--github-token', 'ghp_x'])).rejects.toThrow('github.repos: name at least one repository');
      await expect(refused(['--telegram-token', 't', '--telegram-token-env'])).rejects.toThrow('pick one');
      await expect(refused(['--telegram'])).rejects.toThrow(ConfigError);
      expect(() => readFileSync(join(dir, 'patchbay.yaml'))).toThrow();
    });
  });

  describe('asking', () => {
    it('asks for channels, their tokens (empty: from the environment), repositories, owners and the default agent', async () => {
      const prompter = new ScriptedPrompter(['telegram, github', '', 'ghp_written', 'me/a, me/b', 'telegram:7', 'claude']);
      expect(await initCommand([], dir, () => prompter)).toBe(0);
      expect(prompter.questions[1]).toContain('empty: read TELEGRAM_BOT_TOKEN from the environment');
      expect(prompter.closed).toBe(true);
      const { config } = loadConfig({ PATCHBAY_CONFIG: join(dir, 'patchbay.yaml'), PATCHBAY_HOME: join(dir, 'home'), TELEGRAM_BOT_TOKEN: 'env-token' }, dir);
      expect(config.telegram.token).toBe('env-token');
      expect(config.github).toMatchObject({ token: 'ghp_written', repos: ['me/a', 'me/b'] });
      expect(config.access.owners).toEqual(['local:*', 'telegram:7']);
      expect(config.defaultAgent).toBe('claude');
    });

    it('refuses an unknown channel, and asks nothing without a terminal', async () => {
      await expect(initCommand([], dir, () => new ScriptedPrompter(['slack']))).rejects.toThrow('unknown channel(s) slack: expected telegram, discord or github');
      await expect(initCommand([], dir, () => null)).rejects.toThrow('for scripts pass --yes and flags');
    });
  });
});
