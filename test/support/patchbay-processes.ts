import { ChildProcess, execFile, execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';

/** The checkout's root, found from here whether this runs from test/ or from dist/test/. */
function projectRoot(): string {
  for (let dir = __dirname; dir !== dirname(dir); dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'bin', 'patchbay'))) return dir;
  }
  throw new Error(`no Patchbay checkout above ${__dirname}`);
}

export const PROJECT_ROOT = projectRoot();
export const PATCHBAY_BIN = join(PROJECT_ROOT, 'bin', 'patchbay');
/** Test agent: echoes its prompt; waits for a gate file when the prompt says [gate]. */
export const GATED_AGENT = join(PROJECT_ROOT, 'test', 'fixtures', 'gated-agent.js');
/** Test agent: prints numbered `tick <n>` lines at a steady pace (TICKS, TICK_MS). */
export const TICKER_AGENT = join(PROJECT_ROOT, 'test', 'fixtures', 'ticker-agent.js');
/** Test agent: streams a long markdown answer with code blocks (see the file for its knobs). */
export const LONG_ANSWER_AGENT = join(PROJECT_ROOT, 'test', 'fixtures', 'long-answer-agent.js');

/** Runs the built CLI once; resolves with its exit code and output instead of throwing. */
export async function runPatchbay(args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [PATCHBAY_BIN, ...args], { env: { ...process.env, ...env }, timeout: 30_000 });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

export async function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolvePort(address.port) : reject(new Error('no port'))));
    });
  });
}

/**
 * A scratch folder for one suite: config, PATCHBAY_HOME, logs, agent gates. Others may
 * enter it, so an embedded PostgreSQL run as root (as the postgres user) keeps its data
 * inside it rather than under /var/lib/patchbay; removeScratch() deletes it all.
 */
export function scratchDir(name: string): string {
  const dir = mkdtempSync(join(tmpdir(), `pb-${name}-`));
  chmodSync(dir, 0o755);
  return dir;
}

export function removeScratch(dir: string): void {
  // A run that was just stopped may still write its last files: retry on ENOTEMPTY.
  rmSync(dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 200 });
}

export function writeConfig(dir: string, yaml: string): string {
  const file = join(dir, 'patchbay.yaml');
  writeFileSync(file, yaml);
  return file;
}

/**
 * The bus.secret a suite's gateway and engine share (they refuse to start on NATS without
 * one); runners never get it, as in a real deployment (docs/ARCHITECTURE.md, "Trust model").
 */
const BUS_SECRET = randomBytes(32).toString('hex');

/**
 * Real `patchbay start …` processes, started from the built CLI as a user would. Each role
 * writes its own log file (given as its stdout and stderr, so nothing can write to a closed
 * stream when it exits), printed when it fails to start.
 */
export class PatchbayProcesses {
  private children: Array<{ role: string; child: ChildProcess; log: string; exit: Promise<number | null> }> = [];

  constructor(
    private readonly roles: string[][],
    private readonly env: NodeJS.ProcessEnv,
    private readonly logDir: string,
  ) {}

  start(): void {
    for (const roles of this.roles) this.spawnRole(roles);
  }

  /** The pids of the running processes, in start order. */
  pids(): number[] {
    return this.children.flatMap(({ child }) => (child.pid ? [child.pid] : []));
  }

  /**
   * SIGTERM to every process, gateway first; resolves with each role's exit code. One that
   * does not stop within `timeoutMs` is killed (its code is then null).
   */
  async stop(timeoutMs = 30_000): Promise<Record<string, number | null>> {
    const codes: Record<string, number | null> = {};
    for (const { role, child, exit } of [...this.children].reverse()) {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      const stopped = await Promise.race([exit.then(() => true), delay(timeoutMs).then(() => false)]);
      if (!stopped) child.kill('SIGKILL');
      codes[role] = await exit;
    }
    this.children = [];
    return codes;
  }

  /** Kills one role's process outright (no shutdown), as a crash would. */
  async crash(role: string): Promise<void> {
    const entry = this.children.find((c) => c.role === role);
    if (!entry) throw new Error(`no process for role ${role}`);
    entry.child.kill('SIGKILL');
    await entry.exit;
    this.children = this.children.filter((c) => c !== entry);
  }

  /** Starts one role again (after crash()). */
  restart(role: string): void {
    const roles = this.roles.find((r) => (r.join('+') || 'all-in-one') === role);
    if (!roles) throw new Error(`no role ${role}`);
    this.spawnRole(roles);
  }

  logs(): string {
    return this.children
      .map(({ role, log }) => {
        let text: string;
        try {
          text = readFileSync(log, 'utf8');
        } catch {
          text = '(no log)';
        }
        return `--- ${role} ---\n${text}`;
      })
      .join('\n');
  }

  /** Waits until `/readyz` says ready; fails with the processes' logs if it never does. */
  async waitReady(baseUrl: string, headers: Record<string, string> = {}, timeoutMs = 60_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let last = 'no answer';
    while (Date.now() < deadline) {
      const dead = this.children.find((c) => c.child.exitCode !== null || c.child.signalCode !== null);
      if (dead) throw new Error(`${dead.role} exited with ${dead.child.exitCode ?? dead.child.signalCode}\n${this.logs()}`);
      try {
        const response = await fetch(`${baseUrl}/readyz`, { headers });
        last = await response.text();
        if (response.status === 200) return;
      } catch (error) {
        last = (error as Error).message;
      }
      await delay(200);
    }
    throw new Error(`not ready after ${timeoutMs} ms: ${last}\n${this.logs()}`);
  }

  private spawnRole(roles: string[]): void {
    const role = roles.join('+') || 'all-in-one';
    const log = join(this.logDir, `${role}.${Date.now()}.log`);
    const fd = openSync(log, 'a');
    try {
      const { PATCHBAY_BUS_SECRET: _inherited, ...env } = this.env;
      const signs = roles.includes('gateway') || roles.includes('engine');
      const child = spawn(process.execPath, [PATCHBAY_BIN, 'start', ...roles], {
        env: { ...env, NO_COLOR: '1', ...(signs && { PATCHBAY_BUS_SECRET: BUS_SECRET }) },
        stdio: ['ignore', fd, fd],
      });
      const exit = new Promise<number | null>((done) => {
        child.once('exit', (code) => done(code));
        child.once('error', () => done(null));
      });
      this.children.push({ role, child, log, exit });
    } finally {
      closeSync(fd);
    }
  }
}

/** Kills a test's tmux server and removes its socket file (tmux 3.3 leaves it behind). */
export function removeTmuxServer(socket: string): void {
  let groups: number[] = [];
  try {
    const pids = execFileSync('tmux', ['-L', socket, 'list-panes', '-a', '-F', '#{pane_pid}'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    groups = pids.split('\n').filter(Boolean).map(Number);
    execFileSync('tmux', ['-L', socket, 'kill-server'], { stdio: 'ignore' });
  } catch {
    // no server running
  }
  // A pane's program (claude, its MCP server) outlives the server for a moment and may
  // still write into the suite's scratch folder: wait for each pane's process group to go.
  for (const group of groups) awaitGroupGone(group);
  rmSync(join(process.env.TMUX_TMPDIR || '/tmp', `tmux-${process.getuid?.() ?? 0}`, socket), { force: true });
}

function awaitGroupGone(group: number, graceMs = 3_000): void {
  const alive = () => {
    try {
      process.kill(-group, 0);
      return true;
    } catch {
      return false;
    }
  };
  const sleeper = new Int32Array(new SharedArrayBuffer(4));
  for (let waited = 0; alive() && waited < graceMs; waited += 50) Atomics.wait(sleeper, 0, 0, 50);
  if (!alive()) return;
  process.kill(-group, 'SIGKILL');
  for (let waited = 0; alive() && waited < 1_000; waited += 50) Atomics.wait(sleeper, 0, 0, 50);
}

const delay = (ms: number) => new Promise<void>((done) => setTimeout(done, ms).unref());
