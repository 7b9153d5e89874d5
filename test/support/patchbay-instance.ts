import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { stringify } from 'yaml';
import type { InboundAcceptedV1, OutputEventV1 } from '@patchbay/contracts';
import { freePort, PatchbayProcesses, removeScratch, removeTmuxServer, scratchDir, writeConfig } from './patchbay-processes';
import { readSse, SseEvent } from './sse';
import { parsePrometheusText, Sample } from './prometheus-text';

export interface Response<T> {
  status: number;
  body: T;
}

/** Thrown from an SSE callback to stop reading once the test has seen enough. */
class StopReading extends Error {}

/**
 * One all-in-one Patchbay (`patchbay start`, in-process bus, embedded PostgreSQL) for a
 * suite: its own scratch folder, PATCHBAY_HOME, port, tmux server and bus prefix, and
 * the few HTTP calls tests make against it.
 */
export class PatchbayInstance {
  readonly runnerId = 'runner-e2e';
  readonly tmuxSocket = `pbtest-${randomBytes(4).toString('hex')}`;
  readonly home: string;
  private processes?: PatchbayProcesses;
  private baseUrl = '';
  /** The API token the helpers below send, when the instance has tokens (`start`'s `token`). */
  private token?: string;

  private constructor(readonly dir: string) {
    this.home = join(dir, 'home');
  }

  /** A scratch folder for the suite, to put agent folders in before `start`. */
  static prepare(name: string): PatchbayInstance {
    return new PatchbayInstance(scratchDir(name));
  }

  /**
   * Writes patchbay.yaml, starts `patchbay start` and waits until /readyz says ready. With
   * `token`, every helper below sends it as `Authorization: Bearer`.
   */
  async start(config: Record<string, unknown>, env: NodeJS.ProcessEnv = process.env, { token }: { token?: string } = {}): Promise<this> {
    this.token = token;
    const port = await freePort();
    this.baseUrl = `http://127.0.0.1:${port}`;
    const file = writeConfig(this.dir, stringify(config));
    this.processes = new PatchbayProcesses(
      [[]],
      {
        ...env,
        PATCHBAY_CONFIG: file,
        PATCHBAY_HOME: this.home,
        PATCHBAY_HTTP_PORT: String(port),
        PATCHBAY_TMUX_SOCKET: this.tmuxSocket,
        PATCHBAY_BUS_PREFIX: `pbtest${randomBytes(4).toString('hex')}`,
        PATCHBAY_RUNNER_ID: this.runnerId,
      },
      this.dir,
    );
    this.processes.start();
    await this.processes.waitReady(this.baseUrl, this.authHeaders());
    return this;
  }

  /**
   * Stops Patchbay (expecting a clean exit) and this suite's tmux server, and deletes the
   * scratch folder with the embedded PostgreSQL's data.
   */
  async stop(): Promise<void> {
    const codes = await this.processes?.stop();
    // What it said on the way out explains an unclean exit; the folder goes next.
    const logs = codes && codes['all-in-one'] !== 0 ? this.logs() : '';
    removeTmuxServer(this.tmuxSocket);
    removeScratch(this.dir);
    if (logs) throw new Error(`patchbay exited with ${JSON.stringify(codes)}; its output ends:\n${logs.slice(-4_000)}`);
  }

  /** Where its HTTP server listens (for requests the helpers below do not make, like signed webhooks). */
  get url(): string {
    return this.baseUrl;
  }

  /** The processes' output so far, for failure messages. */
  logs(): string {
    return this.processes?.logs() ?? '';
  }

  /** Where the runner keeps one run's files (run.sh, stdout.log, events.jsonl, …). */
  runDir(runId: string): string {
    return join(this.home, 'runs', runId);
  }

  /** The Authorization header of this instance's token, if it has one. */
  authHeaders(): Record<string, string> {
    return this.token ? { authorization: `Bearer ${this.token}` } : {};
  }

  /** One API call; unsafe ones go as JSON (the API takes no other), with the instance's token. */
  async request<T = any>(method: 'GET' | 'POST' | 'DELETE', path: string, body?: unknown): Promise<Response<T>> {
    const response = await fetch(`${this.baseUrl}${path}`, {
      method,
      headers: { ...(method === 'GET' ? {} : { 'content-type': 'application/json' }), ...this.authHeaders() },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    return { status: response.status, body: (text ? JSON.parse(text) : undefined) as T };
  }

  /** Every sample of GET /metrics. */
  async metrics(): Promise<Sample[]> {
    const response = await fetch(`${this.baseUrl}/metrics`, { headers: this.authHeaders() });
    if (response.status !== 200) throw new Error(`GET /metrics: ${response.status}`);
    return parsePrometheusText(await response.text());
  }

  /** GET that must answer 200. */
  async get<T = any>(path: string): Promise<T> {
    const { status, body } = await this.request<T>('GET', path);
    if (status !== 200) throw new Error(`GET ${path}: ${status} ${JSON.stringify(body)}`);
    return body;
  }

  /** POST /api/messages, which must answer 201. */
  async send(text: string, chat?: string): Promise<InboundAcceptedV1> {
    const { status, body } = await this.request<InboundAcceptedV1>('POST', '/api/messages', chat === undefined ? { text } : { text, chat });
    if (status !== 201) throw new Error(`POST /api/messages: ${status} ${JSON.stringify(body)}`);
    return body;
  }

  /** POST /api/sessions/:id/stop or /kill. */
  control(sessionId: string, action: 'stop' | 'kill'): Promise<Response<{ runId: string; detail: string }>> {
    return this.request('POST', `/api/sessions/${sessionId}/${action}`);
  }

  /** Sessions on this suite's tmux server; none when the server is not running. */
  tmuxSessions(): string[] {
    try {
      return execFileSync('tmux', ['-L', this.tmuxSocket, 'list-sessions', '-F', '#{session_name}'], {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'ignore'],
      })
        .split('\n')
        .filter(Boolean);
    } catch {
      return [];
    }
  }

  /**
   * Every event of one task, read over SSE until its final or error. Checks the wire on the
   * way: each SSE id is the event's seq, and the seqs follow each other without a gap.
   */
  async taskEvents(sessionId: string, taskId: string): Promise<OutputEventV1[]> {
    return checkedEvents(await readSse(`${this.baseUrl}/api/sessions/${sessionId}/events?task=${taskId}`, { headers: this.authHeaders() }));
  }

  /**
   * Follows a session's events (all tasks) after seq `after` until `until` accepts one, then
   * stops reading. Resolves with the events read, the accepted one last; fails with what it
   * saw when the stream ends first or nothing matches within `timeoutMs`.
   */
  async followUntil(sessionId: string, after: number, what: string, until: (event: OutputEventV1) => boolean, timeoutMs = 60_000): Promise<OutputEventV1[]> {
    const seen: SseEvent[] = [];
    const reading = readSse(`${this.baseUrl}/api/sessions/${sessionId}/events?after=${after}`, {
      headers: this.authHeaders(),
      onEvent: (event) => {
        seen.push(event);
        if (until(event.data as OutputEventV1)) throw new StopReading();
      },
    }).then(
      () => Promise.reject(new Error(`the stream of session ${sessionId} ended before ${what}`)),
      (error) => (error instanceof StopReading ? undefined : Promise.reject(error)),
    );
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no event with ${what} within ${timeoutMs} ms`)), timeoutMs);
    });
    try {
      await Promise.race([reading, timeout]);
    } catch (error) {
      throw new Error(`${(error as Error).message}; events seen:\n${seen.map((e) => JSON.stringify(e.data)).join('\n')}`);
    } finally {
      clearTimeout(timer);
    }
    return checkedEvents(seen, after + 1);
  }
}

function checkedEvents(sse: SseEvent[], firstSeq?: number): OutputEventV1[] {
  const events = sse.map((e) => e.data as OutputEventV1);
  expect(sse.map((e) => e.id)).toEqual(events.map((e) => e.seq));
  const first = firstSeq ?? events[0]?.seq ?? 1;
  expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => first + i));
  return events;
}

/** Polls `condition` until it holds; fails naming `what` after `timeoutMs`. */
export async function waitUntil(condition: () => boolean | Promise<boolean>, what: string, timeoutMs = 10_000): Promise<void> {
  for (const deadline = Date.now() + timeoutMs; !(await condition());) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** The text of every `text` event, joined. */
export function joinedText(events: OutputEventV1[]): string {
  return events.flatMap((e) => (e.type === 'text' ? [e.text] : [])).join('');
}

/** Event types in order, a run of consecutive `text` events counted once. */
export function eventKinds(events: OutputEventV1[]): string[] {
  return events.map((e) => e.type).filter((type, i, all) => type !== 'text' || all[i - 1] !== 'text');
}

export function lastEvent<T extends OutputEventV1['type']>(events: OutputEventV1[], type: T): Extract<OutputEventV1, { type: T }> {
  const event = events.at(-1);
  if (event?.type !== type) throw new Error(`expected the last event to be ${type}, got ${JSON.stringify(event)}`);
  return event as Extract<OutputEventV1, { type: T }>;
}
