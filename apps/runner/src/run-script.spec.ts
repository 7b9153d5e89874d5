import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { envScript, RUN_FILES, runScript, shellQuote } from './run-script';

/** Words bash would mangle if they were not quoted right. */
const TRICKY = [
  'plain',
  '',
  "it's",
  "''",
  '"double" quotes',
  '$HOME and ${PATH}',
  '`whoami` and $(id -u)',
  'line one\nline two\n',
  'tab\there',
  'back\\slash \\n',
  '* ? [a-z] ~ !! #comment',
  'semi; colon && amp | pipe > out',
  'héllo ✓ 日本語 🚀',
  '-n',
];

/**
 * stdin is not inherited: bash reads ~/.bashrc when its stdin is a socket (as jest's is),
 * taking it for an rsh session, and the machine's shell setup must not leak into the tests.
 */
const NO_STDIN = ['ignore', 'pipe', 'pipe'] as const;

const bash = (script: string, env: NodeJS.ProcessEnv = { PATH: process.env.PATH }) => execFileSync('bash', ['-c', script], { encoding: 'utf8', env, stdio: [...NO_STDIN] });

describe('shellQuote', () => {
  it.each(TRICKY.map((word) => [JSON.stringify(word), word]))('gives bash back %s unchanged', (_label, word) => {
    expect(bash(`printf %s ${shellQuote(word)}`)).toBe(word);
  });

  it('keeps each quoted word one argument', () => {
    const out = bash(`printf '%s\\0' ${TRICKY.map(shellQuote).join(' ')}`);
    expect(out.split('\0').slice(0, -1)).toEqual(TRICKY);
  });
});

describe('envScript', () => {
  let dir: string;

  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'pb-env-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  /** Sources the script in a bash without the test's environment, prints the variables asked for. */
  function sourced(script: string, names: string[]): Record<string, string | null> {
    const file = join(dir, 'env.sh');
    writeFileSync(file, script);
    const print = names.map((n) => `if [ -n "\${${n}+set}" ]; then printf '%s\\0' "$${n}"; else printf 'UNSET\\0'; fi`).join('; ');
    const values = bash(`. ${shellQuote(file)}; ${print}`, {}).split('\0');
    return Object.fromEntries(names.map((n, i) => [n, values[i] === 'UNSET' ? null : values[i]]));
  }

  it('exports values that bash reads back unchanged', () => {
    const inherited = Object.fromEntries(TRICKY.map((value, i) => [`PB_VAR_${i}`, value]));
    expect(sourced(envScript(inherited, Object.keys(inherited), {}), Object.keys(inherited))).toEqual(inherited);
  });

  it('lets the overrides win over the inherited environment', () => {
    const script = envScript({ PB_A: 'inherited', PB_B: 'kept' }, ['PB_A', 'PB_B'], { PB_A: 'override', PB_C: "new 'one'" });
    expect(sourced(script, ['PB_A', 'PB_B', 'PB_C'])).toEqual({ PB_A: 'override', PB_B: 'kept', PB_C: "new 'one'" });
  });

  it('passes the base variables and the passEnv names only, never the rest of the runner environment', () => {
    const inherited = {
      PATH: '/usr/bin',
      HOME: '/home/pb',
      USER: 'pb',
      LOGNAME: 'pb',
      SHELL: '/bin/bash',
      LANG: 'C.UTF-8',
      LC_ALL: 'C.UTF-8',
      LC_TIME: 'en_GB.UTF-8',
      TERM: 'xterm-256color',
      TZ: 'UTC',
      TMPDIR: '/tmp/pb',
      ANTHROPIC_API_KEY: 'sk-ant-passed',
      TELEGRAM_BOT_TOKEN: '123456:telegram',
      GITHUB_TOKEN: 'ghp_secret',
      PATCHBAY_API_TOKEN: 'api',
      BASH_ENV: '/tmp/evil.sh',
      TMUX: '/tmp/tmux-0/default,1,0',
    };
    const script = envScript(inherited, ['ANTHROPIC_API_KEY', 'NOT_SET_HERE'], {});
    const { TELEGRAM_BOT_TOKEN, GITHUB_TOKEN, PATCHBAY_API_TOKEN, BASH_ENV, TMUX, ...passed } = inherited;
    expect(sourced(script, Object.keys(inherited))).toEqual({
      ...passed,
      TELEGRAM_BOT_TOKEN: null,
      GITHUB_TOKEN: null,
      PATCHBAY_API_TOKEN: null,
      BASH_ENV: null,
      TMUX: null,
    });
    expect(script).not.toContain('NOT_SET_HERE');
  });

  it('leaves out names bash cannot export, and unset values', () => {
    const script = envScript({ 'BAD-NAME': 'x', '1ABC': 'x', 'A B': 'x', UNSET: undefined, _OK1: 'y' }, ['BAD-NAME', '1ABC', 'A B', 'UNSET', '_OK1'], {});
    expect(script).toBe("export _OK1='y'\n");
  });
});

describe('runScript', () => {
  let root: string;
  let runDir: string;
  let cwd: string;

  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'pb-run-'));
    runDir = join(root, 'run');
    cwd = join(root, 'work dir');
    mkdirSync(runDir);
    mkdirSync(cwd);
  });

  afterEach(() => rmSync(root, { recursive: true, force: true }));

  /** Writes run.sh and env.sh as AgentRun does, runs run.sh with bash, returns its exit status. */
  function run(argv: string[], env: Record<string, string> = {}, workDir = cwd): number | null {
    const script = join(runDir, RUN_FILES.script);
    writeFileSync(script, runScript({ runId: 'run1', sessionId: 'sess1', taskId: 'task1', agent: 'test', argv, cwd: workDir, runDir }));
    writeFileSync(join(runDir, RUN_FILES.env), envScript({ PATH: process.env.PATH }, [], env));
    return spawnSync('bash', [script], { encoding: 'utf8', env: {}, stdio: [...NO_STDIN] }).status;
  }

  const file = (name: string) => readFileSync(join(runDir, name), 'utf8');

  /** stderr.log is written by a `tee` in a process substitution, which may finish after bash. */
  async function eventually(name: string): Promise<string> {
    for (let i = 0; i < 100 && !existsSync(join(runDir, name)); i++) await new Promise((r) => setTimeout(r, 10));
    await new Promise((r) => setTimeout(r, 20));
    return file(name);
  }

  it('runs the argv word for word and appends its stdout to stdout.log', () => {
    expect(run(['printf', '%s|', ...TRICKY])).toBe(0);
    expect(file(RUN_FILES.stdout)).toBe(TRICKY.map((w) => `${w}|`).join(''));
    expect(file(RUN_FILES.exitCode)).toBe('0\n');
  });

  it("writes the command's exit status to exit-code, and its stderr to stderr.log", async () => {
    run(['sh', '-c', 'echo out; echo oops >&2; exit 3']);
    expect(file(RUN_FILES.exitCode)).toBe('3\n');
    expect(file(RUN_FILES.stdout)).toBe('out\n');
    expect(await eventually(RUN_FILES.stderr)).toBe('oops\n');
  });

  it('writes 127 when the command does not exist', () => {
    run(['pb-no-such-command']);
    expect(file(RUN_FILES.exitCode)).toBe('127\n');
  });

  it('runs the command in cwd, with the variables of env.sh', () => {
    run(['sh', '-c', 'pwd; printf "%s\\n" "$PB_SECRET"'], { PB_SECRET: "s3cr3t 'quoted' $HOME" });
    expect(file(RUN_FILES.stdout)).toBe(`${cwd}\ns3cr3t 'quoted' $HOME\n`);
  });

  it('deletes env.sh once it has read it', () => {
    run(['true']);
    expect(existsSync(join(runDir, RUN_FILES.exitCode))).toBe(true);
    expect(existsSync(join(runDir, RUN_FILES.env))).toBe(false);
  });

  it('writes 126 and a message to stderr.log when cwd cannot be entered', () => {
    const missing = join(root, 'gone');
    expect(run(['true'], {}, missing)).toBe(126);
    expect(file(RUN_FILES.exitCode)).toBe('126\n');
    expect(file(RUN_FILES.stderr)).toBe(`patchbay: cannot enter ${missing}\n`);
  });

  it('names the run, agent, session and task in a comment', () => {
    const script = runScript({ runId: 'r1', sessionId: 's1', taskId: 't1', agent: 'claude', argv: ['true'], cwd, runDir });
    expect(script.split('\n').slice(0, 2)).toEqual(['#!/usr/bin/env bash', '# Patchbay run r1: agent claude, session s1, task t1.']);
  });
});
