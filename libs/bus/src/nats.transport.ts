import { connect, ConnectionOptions, ErrorCode, headers as natsHeaders, MsgHdrs, NatsConnection, NatsError, Subscription } from 'nats';
import { ConfigError } from '@patchbay/config';
import { BusUnavailableError, NoResponderError, RequestTimeoutError } from './bus.errors';
import { BusTransport, TransportHandler, TransportHeaders, TransportSubscription } from './bus.transport';

/** The distributed bus: a NATS connection (core NATS subjects, queue groups, request-reply). */
export class NatsTransport implements BusTransport {
  readonly kind = 'nats' as const;
  private readonly loops = new Set<Promise<void>>();
  private connected = true;

  private constructor(
    private readonly nc: NatsConnection,
    private readonly onHandlerError: (subject: string, error: unknown) => void,
  ) {
    void (async () => {
      for await (const status of nc.status()) {
        if (status.type === 'disconnect') this.connected = false;
        if (status.type === 'reconnect') this.connected = true;
      }
    })();
  }

  /** `security`: credentials and TLS, from natsSecurityOptions(). */
  static async connect(url: string, name: string, onHandlerError: (subject: string, error: unknown) => void = () => {}, security: ConnectionOptions = {}): Promise<NatsTransport> {
    let nc: NatsConnection;
    try {
      nc = await connect({ ...security, servers: url, name, maxReconnectAttempts: -1, reconnectTimeWait: 500 });
    } catch (error) {
      if (error instanceof NatsError && error.code === ErrorCode.AuthorizationViolation) {
        throw new ConfigError('NATS refused the credentials: check bus.nats (or PATCHBAY_NATS_USER, _PASSWORD, _TOKEN, _NKEY_SEED, PATCHBAY_NATS_CREDS)');
      }
      throw error;
    }
    return new NatsTransport(nc, onHandlerError);
  }

  /** The connection, for JetStream (the durable inbound queue). */
  get connection(): NatsConnection {
    return this.nc;
  }

  publish(subject: string, data: Uint8Array, headers?: TransportHeaders): void {
    try {
      this.nc.publish(subject, data, { headers: toNatsHeaders(headers) });
    } catch (error) {
      throw busErrorOf(error, subject);
    }
  }

  subscribe(subject: string, handler: TransportHandler, options: { queue?: string } = {}): TransportSubscription {
    const sub: Subscription = this.nc.subscribe(subject, { queue: options.queue });
    // One loop per subscription: its handler sees messages one at a time, in order.
    const loop = (async () => {
      for await (const msg of sub) {
        const respond = msg.reply ? (data: Uint8Array) => void msg.respond(data) : undefined;
        await handler({ subject: msg.subject, data: msg.data, headers: fromNatsHeaders(msg.headers), respond }).catch((error) => this.onHandlerError(msg.subject, error));
      }
    })();
    this.loops.add(loop);
    void loop.finally(() => this.loops.delete(loop));
    return {
      unsubscribe: () => sub.unsubscribe(),
      drain: async () => {
        if (!sub.isClosed()) await sub.drain();
        await loop;
      },
    };
  }

  async request(subject: string, data: Uint8Array, timeoutMs: number, headers?: TransportHeaders): Promise<Uint8Array> {
    try {
      const reply = await this.nc.request(subject, data, { timeout: timeoutMs, headers: toNatsHeaders(headers) });
      return reply.data;
    } catch (error) {
      throw busErrorOf(error, subject, timeoutMs);
    }
  }

  flush(): Promise<void> {
    return this.nc.flush();
  }

  isConnected(): boolean {
    return this.connected && !this.nc.isClosed() && !this.nc.isDraining();
  }

  async close(): Promise<void> {
    if (this.nc.isClosed()) return;
    // drain() stops new deliveries, lets queued messages through the loops, then closes.
    await this.nc.drain();
    await Promise.all(this.loops);
  }
}

/**
 * A NATS client error as the BusError callers and the gateway's filter know: no responder,
 * a request's timeout (with `timeoutMs`), or the bus unavailable with the client's short
 * code as reason (its message may quote internals). Any other error is returned as it is.
 */
export function busErrorOf(error: unknown, subject: string, timeoutMs?: number): unknown {
  if (!(error instanceof NatsError)) return error;
  if (error.code === ErrorCode.NoResponders) return new NoResponderError(subject);
  if (error.code === ErrorCode.Timeout && timeoutMs !== undefined) return new RequestTimeoutError(subject, timeoutMs);
  return new BusUnavailableError(subject, natsReason(error));
}

/** A NATS error's short reason: its code ("TIMEOUT", "CONNECTION_CLOSED", …), never its text. */
export function natsReason(error: NatsError): string {
  return error.code === ErrorCode.NoResponders ? 'no responders' : error.code;
}

export function toNatsHeaders(headers: TransportHeaders | undefined): MsgHdrs | undefined {
  if (!headers) return undefined;
  const out = natsHeaders();
  for (const [key, value] of Object.entries(headers)) out.set(key, value);
  return out;
}

export function fromNatsHeaders(headers: MsgHdrs | undefined): TransportHeaders | undefined {
  if (!headers) return undefined;
  return Object.fromEntries(headers.keys().map((key) => [key, headers.get(key)]));
}
