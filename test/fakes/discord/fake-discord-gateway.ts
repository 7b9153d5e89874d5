import { randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocket, WebSocketServer } from 'ws';
import { z } from 'zod';

/** Gateway intents (https://discord.com/developers/docs/events/gateway#gateway-intents) the fake knows. */
export const Intent = {
  Guilds: 1 << 0,
  GuildMembers: 1 << 1,
  GuildPresences: 1 << 8,
  GuildMessages: 1 << 9,
  DirectMessages: 1 << 12,
  MessageContent: 1 << 15,
} as const;

const PRIVILEGED = Intent.GuildMembers | Intent.GuildPresences | Intent.MessageContent;
/** Every intent bit Discord defines (0–25 with gaps; the fake accepts the whole range). */
const ALL_INTENTS = (1 << 26) - 1;

/** What the gateway needs from the fake it belongs to. */
export interface GatewayHost {
  readonly token: string;
  /** Privileged intents the application may use (its flags). */
  readonly allowedPrivileged: number;
  ready(sessionId: string, resumeUrl: string): Record<string, unknown>;
  guildCreates(): Array<Record<string, unknown>>;
}

/** A dispatch and who may see it: sessions with one of `intents` (none: everyone). */
export interface Dispatch {
  t: string;
  d: Record<string, unknown>;
  intents?: number;
  /** Shapes the payload per session (e.g. content hidden without MESSAGE_CONTENT). */
  view?: (d: Record<string, unknown>, intents: number) => Record<string, unknown>;
}

interface Session {
  id: string;
  intents: number;
  seq: number;
  /** Every dispatch sent, for RESUME. */
  sent: Array<{ s: number; t: string; d: unknown }>;
  socket?: WebSocket;
}

const Payload = z.object({ op: z.number().int(), d: z.unknown().optional(), s: z.unknown().optional(), t: z.unknown().optional() });
const Identify = z.object({
  token: z.string(),
  intents: z.number().int(),
  properties: z.object({ os: z.string(), browser: z.string(), device: z.string() }),
  shard: z.tuple([z.number().int(), z.number().int()]).optional(),
  compress: z.boolean().optional(),
  large_threshold: z.number().int().min(50).max(250).optional(),
  presence: z.unknown().optional(),
});
const Resume = z.object({ token: z.string(), session_id: z.string(), seq: z.number().int().nullable() });

/** A gateway close, as recorded for tests. */
export interface GatewayClose {
  code: number;
  reason: string;
  by: 'server' | 'client';
}

/**
 * The Discord gateway (v10, JSON, no compression) over `ws`: HELLO, IDENTIFY (token,
 * intents and privileged intents checked, close codes 4004 / 4013 / 4014), heartbeats and
 * their ACKs, READY then GUILD_CREATE per guild, RESUME (replaying what was missed; an
 * unknown session gets INVALID_SESSION), and dispatches filtered by each session's intents.
 */
export class FakeDiscordGateway {
  private readonly wss = new WebSocketServer({ noServer: true });
  private readonly sessions = new Map<string, Session>();
  private readonly closedByServer = new WeakSet<WebSocket>();
  /** IDENTIFY payloads received, in order. */
  readonly identifies: Array<z.infer<typeof Identify>> = [];
  readonly closes: GatewayClose[] = [];
  url = '';

  constructor(
    private readonly host: GatewayHost,
    private readonly heartbeatIntervalMs: number,
  ) {}

  upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    this.wss.handleUpgrade(req, socket, head, (ws) => this.open(ws, new URL(req.url ?? '/', 'http://fake').searchParams));
  }

  /** Sends an event to every session allowed to see it (and keeps it for resumes). */
  dispatch(event: Dispatch): void {
    for (const session of this.sessions.values()) {
      if (event.intents !== undefined && (session.intents & event.intents) === 0) continue;
      this.send(session, event.t, event.view ? event.view(event.d, session.intents) : event.d);
    }
  }

  /** Sessions that identified and are connected now. */
  get connected(): number {
    return [...this.sessions.values()].filter((s) => s.socket?.readyState === WebSocket.OPEN).length;
  }

  /** Closes every connection with `code` (4000: the client should resume). */
  drop(code = 4000, reason = 'Unknown error.'): void {
    for (const ws of this.wss.clients) this.close(ws, code, reason);
  }

  async stop(): Promise<void> {
    for (const ws of this.wss.clients) ws.terminate();
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
  }

  private open(ws: WebSocket, query: URLSearchParams): void {
    if (query.get('v') !== '10') return this.close(ws, 4012, 'Invalid API version.');
    if (query.get('encoding') !== 'json') return this.close(ws, 4002, 'Error while decoding payload.');
    if (query.has('compress')) return this.close(ws, 4002, 'Error while decoding payload.');
    let session: Session | undefined;
    let timeout = this.heartbeatTimeout(ws);
    ws.on('close', (code, reason) => {
      clearTimeout(timeout);
      if (!this.closedByServer.has(ws)) this.closes.push({ code, reason: reason.toString(), by: 'client' });
      // Closing with 1000/1001 ends the session; any other code leaves it resumable.
      if (session && (code === 1000 || code === 1001)) this.sessions.delete(session.id);
      if (session?.socket === ws) session.socket = undefined;
    });
    ws.on('message', (raw) => {
      let payload: z.infer<typeof Payload>;
      try {
        payload = Payload.parse(JSON.parse(raw.toString()));
      } catch {
        return this.close(ws, 4002, 'Error while decoding payload.');
      }
      switch (payload.op) {
        case 1:
          clearTimeout(timeout);
          timeout = this.heartbeatTimeout(ws);
          return ws.send(JSON.stringify({ op: 11, d: null, s: null, t: null }));
        case 2:
          if (session) return this.close(ws, 4005, 'Already authenticated.');
          session = this.identify(ws, payload.d);
          return;
        case 6:
          if (session) return this.close(ws, 4005, 'Already authenticated.');
          session = this.resume(ws, payload.d);
          return;
        case 3:
        case 8:
          if (!session) return this.close(ws, 4003, 'Not authenticated.');
          return;
        default:
          return this.close(ws, 4001, 'Unknown opcode.');
      }
    });
    ws.send(JSON.stringify({ op: 10, d: { heartbeat_interval: this.heartbeatIntervalMs }, s: null, t: null }));
  }

  private identify(ws: WebSocket, data: unknown): Session | undefined {
    const parsed = Identify.safeParse(data);
    if (!parsed.success) return void this.close(ws, 4002, 'Error while decoding payload.');
    const identify = parsed.data;
    this.identifies.push(identify);
    if (identify.token !== this.host.token) return void this.close(ws, 4004, 'Authentication failed.');
    if (identify.shard && (identify.shard[1] !== 1 || identify.shard[0] !== 0)) return void this.close(ws, 4010, 'Invalid shard.');
    if (identify.intents < 0 || (identify.intents & ~ALL_INTENTS) !== 0) return void this.close(ws, 4013, 'Invalid intent(s).');
    if ((identify.intents & PRIVILEGED & ~this.host.allowedPrivileged) !== 0) return void this.close(ws, 4014, 'Disallowed intent(s).');
    const session: Session = { id: randomBytes(16).toString('hex'), intents: identify.intents, seq: 0, sent: [], socket: ws };
    this.sessions.set(session.id, session);
    this.send(session, 'READY', this.host.ready(session.id, this.url));
    if (session.intents & Intent.Guilds) for (const guild of this.host.guildCreates()) this.send(session, 'GUILD_CREATE', guild);
    return session;
  }

  private resume(ws: WebSocket, data: unknown): Session | undefined {
    const parsed = Resume.safeParse(data);
    if (!parsed.success) return void this.close(ws, 4002, 'Error while decoding payload.');
    if (parsed.data.token !== this.host.token) return void this.close(ws, 4004, 'Authentication failed.');
    const session = this.sessions.get(parsed.data.session_id);
    if (!session) {
      ws.send(JSON.stringify({ op: 9, d: false, s: null, t: null }));
      return undefined;
    }
    session.socket = ws;
    for (const missed of session.sent.filter((e) => e.s > (parsed.data.seq ?? 0))) ws.send(JSON.stringify({ op: 0, ...missed }));
    this.send(session, 'RESUMED', {});
    return session;
  }

  private send(session: Session, t: string, d: unknown): void {
    const event = { s: ++session.seq, t, d };
    session.sent.push(event);
    if (session.socket?.readyState === WebSocket.OPEN) session.socket.send(JSON.stringify({ op: 0, ...event }));
  }

  /** A client that stops heartbeating is disconnected, as Discord does (with room for jitter). */
  private heartbeatTimeout(ws: WebSocket): NodeJS.Timeout {
    return setTimeout(() => this.close(ws, 4009, 'Session timed out.'), this.heartbeatIntervalMs * 1.5 + 5_000).unref();
  }

  private close(ws: WebSocket, code: number, reason: string): void {
    this.closes.push({ code, reason, by: 'server' });
    this.closedByServer.add(ws);
    if (ws.readyState === WebSocket.OPEN) ws.close(code, reason);
  }
}
