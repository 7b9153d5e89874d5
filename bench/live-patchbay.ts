import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort, PatchbayProcesses, removeScratch, removeTmuxServer, scratchDir, writeConfig } from '../test/support/patchbay-processes';
import { interrupted, onCleanup } from './cleanup';
import { descendants, processExists } from './proc';

const run = promisify(execFile);
const STOP_TIMEOUT_MS = 30_000;

export interface LivePatchbayOptions {
  /** Names the scratch folder. */
  name: string;
  /** patchbay.yaml */
  yaml: string;
  /** `[[]]` (default) is all-in-one; `[['engine'], ['runner'], ['gateway']]` distributed. */
  roles?: string[][];
  /** NATS and an external database for distributed mode; without them the in-process bus and embedded PostgreSQL. */
  natsUrl?: string;
  databaseUrl?: string;
  /** The processes' environment under Patchbay's own variables (default process.env). */
  env?: NodeJS.ProcessEnv;
}

export interface Accepted {
  taskId: string | null;
  sessionId: string;
  duplicate: boolean;
}

/**
 * Real `patchbay start` processes with a Patchbay of their own: scratch PATCHBAY_HOME, free
 * port, own tmux server and bus prefix. `stop()` (also run on SIGINT/SIGTERM, see cleanup.ts)
 * stops the processes (killing them, and what they started, if they do not stop), kills the
 * tmux server and removes the scratch folder with the embedded PostgreSQL data.
 */
export class LivePatchbay {
  readonly baseUrl: string;
  readonly tmuxSocket: string;
  readonly dir: string;
  private readonly processes: PatchbayProcesses;
  private readonly cleanup: () => Promise<void>;

  private constructor(options: LivePatchbayOptions, port: number) {
    this.dir = scratchDir(options.name);
    this.baseUrl = `http://127.0.0.1:${port}`;
    this.tmuxSocket = `pbbench-${randomBytes(4).toString('hex')}`;
    const env = {
      ...(options.env ?? process.env),
      PATCHBAY_CONFIG: writeConfig(this.dir, options.yaml),
      PATCHBAY_HOME: join(this.dir, 'home'),
      PATCHBAY_HTTP_PORT: String(port),
      PATCHBAY_TMUX_SOCKET: this.tmuxSocket,
      PATCHBAY_BUS_PREFIX: `pbbench${randomBytes(3).toString('hex')}`,
      NATS_URL: options.natsUrl ?? '',
      DATABASE_URL: options.databaseUrl ?? '',
    };
    this.processes = new PatchbayProcesses(options.roles ?? [[]], env, this.dir);
    this.cleanup = onCleanup(() => this.tearDown());
  }

  /** Starts the processes and waits until /readyz says ready; cleans up if they never get there. */
  static async start(options: LivePatchbayOptions): Promise<LivePatchbay> {
    const live = new LivePatchbay(options, await freePort());
    try {
      live.processes.start();
      await live.processes.waitReady(live.baseUrl);
      return live;
    } catch (error) {
      await live.stop();
      throw error;
    }
  }

  /** The pid of the all-in-one process. */
  pid(): number {
    const pids = this.processes.pids();
    if (pids.length !== 1) throw new Error(`expected one patchbay process, found ${pids.length}`);
    return pids[0];
  }

  /** The pid of this Patchbay's tmux server, or null while it has none (no session yet). */
  async tmuxServerPid(): Promise<number | null> {
    try {
      return Number.parseInt((await this.tmux(['display-message', '-p', '#{pid}'])).trim(), 10) || null;
    } catch {
      return null;
    }
  }

  /** Runs a tmux command against this Patchbay's tmux server; resolves with its stdout. */
  async tmux(args: string[]): Promise<string> {
    return (await run('tmux', ['-L', this.tmuxSocket, ...args])).stdout;
  }

  /** POST /api/messages. */
  async post(text: string, chat?: string): Promise<Accepted> {
    const response = await fetch(`${this.baseUrl}/api/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(chat ? { text, chat } : { text }),
    });
    if (response.status !== 201) throw new Error(`POST /api/messages: ${response.status} ${await response.text()}`);
    return (await response.json()) as Accepted;
  }

  /** POST of a JSON body that must answer `status`; resolves with the reply's JSON. */
  async postJson<T>(path: string, body: unknown, status = 200): Promise<T> {
    const response = await fetch(`${this.baseUrl}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    if (response.status !== status) throw new Error(`POST ${path}: ${response.status} ${await response.text()}`);
    return (await response.json()) as T;
  }

  /** GET that must answer 200. */
  async get<T>(path: string): Promise<T> {
    const response = await fetch(`${this.baseUrl}${path}`);
    if (response.status !== 200) throw new Error(`GET ${path}: ${response.status} ${await response.text()}`);
    return (await response.json()) as T;
  }

  /** The processes' logs so far, for an error message. */
  logs(): string {
    return this.processes.logs();
  }

  /** Stops everything and removes what this instance left on disk; safe to call more than once. */
  stop(): Promise<void> {
    return this.cleanup();
  }

  private async tearDown(): Promise<void> {
    try {
      // What the processes started (the embedded PostgreSQL): killed too if they do not stop.
      const started = this.processes.pids().flatMap((pid) => [pid, ...descendants(pid)]);
      // Ctrl-C reached the processes too (same process group): a second signal makes them
      // exit without stopping PostgreSQL, so let them stop on their own first.
      if (interrupted()) await delay(15_000);
      const codes = await this.processes.stop(STOP_TIMEOUT_MS);
      if (Object.values(codes).some((code) => code !== 0)) {
        console.error(`${this.baseUrl}: patchbay did not stop cleanly (${JSON.stringify(codes)}); killing what it started`);
        for (const pid of started) if (processExists(pid)) process.kill(pid, 'SIGKILL');
      }
    } finally {
      removeTmuxServer(this.tmuxSocket);
      removeScratch(this.dir);
    }
  }
}

const delay = (ms: number) => new Promise<void>((done) => setTimeout(done, ms));
