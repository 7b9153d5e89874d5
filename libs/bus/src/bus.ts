import { Logger } from '@nestjs/common';
import { RpcException } from '@nestjs/microservices';
import {
  contracts,
  EventSubject,
  fillSubject,
  PayloadOf,
  ReplyOf,
  RequestSubject,
  Subject,
} from '@patchbay/contracts';
import { z } from 'zod';
import { BusError, NoResponderError, PayloadValidationError, RemoteError, RequestTimeoutError } from './bus.errors';
import { BusTransport, TransportMessage, TransportSubscription } from './bus.transport';

/** How a reply travels: a result, or an error the requester re-raises. */
type ReplyEnvelope = { ok: true; data: unknown } | { ok: false; error: { code: string; message: string } };

/** How a request ended, as its latency is recorded. */
export type BusRequestOutcome = 'ok' | 'remote_error' | 'timeout' | 'no_responder' | 'error';

export interface BusOptions {
  /** Deployment prefix, the first subject token (`pb`); tests use their own. */
  prefix: string;
  requestTimeoutMs: number;
  /** Told each request's latency (libs/metrics' histogram), by contract subject. */
  observeRequest?: (subject: RequestSubject, outcome: BusRequestOutcome, seconds: number) => void;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export function encode(value: unknown): Uint8Array {
  return encoder.encode(JSON.stringify(value));
}

/**
 * The typed bus every part of Patchbay uses. It adds the prefix, encodes JSON, and checks
 * each payload against its subject's schema on the way out and on the way in.
 */
export class Bus {
  private readonly logger = new Logger('Bus');

  constructor(
    readonly transport: BusTransport,
    readonly options: BusOptions,
  ) {}

  /** The full wire subject for a contract subject and its `*` values. */
  wireSubject(subject: Subject, params: readonly string[] = []): string {
    return `${this.options.prefix}.${fillSubject(subject, params)}`;
  }

  publish<S extends EventSubject>(subject: S, payload: PayloadOf<S>, params: readonly string[] = []): void {
    const wire = this.wireSubject(subject, params);
    this.transport.publish(wire, encode(this.check(contracts[subject].payload, wire, payload)));
  }

  async request<S extends RequestSubject>(
    subject: S,
    payload: PayloadOf<S>,
    options: { timeoutMs?: number; params?: readonly string[] } = {},
  ): Promise<ReplyOf<S>> {
    const wire = this.wireSubject(subject, options.params);
    const body = encode(this.check(contracts[subject].payload, wire, payload));
    const startedAt = performance.now();
    let outcome: BusRequestOutcome = 'error';
    try {
      const raw = await this.transport.request(wire, body, options.timeoutMs ?? this.options.requestTimeoutMs);
      const envelope = JSON.parse(decoder.decode(raw)) as ReplyEnvelope;
      if (!envelope.ok) {
        outcome = 'remote_error';
        throw new RemoteError(wire, envelope.error.code, envelope.error.message);
      }
      const reply = this.check(contracts[subject].reply, wire, envelope.data) as ReplyOf<S>;
      outcome = 'ok';
      return reply;
    } catch (error) {
      if (error instanceof RequestTimeoutError) outcome = 'timeout';
      else if (error instanceof NoResponderError) outcome = 'no_responder';
      throw error;
    } finally {
      this.options.observeRequest?.(subject, outcome, (performance.now() - startedAt) / 1000);
    }
  }

  /**
   * Subscribe to an event subject. Leave params out to receive every `*` value. Invalid
   * payloads are logged with the subject and the reason, and never reach the handler.
   */
  subscribe<S extends EventSubject>(
    subject: S,
    handler: (payload: PayloadOf<S>, wireSubject: string) => Promise<void> | void,
    options: { params?: readonly string[]; queue?: string } = {},
  ): TransportSubscription {
    const schema = contracts[subject].payload;
    return this.transport.subscribe(
      this.wireSubject(subject, options.params),
      async (message) => {
        const payload = this.decodeIncoming(schema, message);
        if (payload !== undefined) await handler(payload as PayloadOf<S>, message.subject);
      },
      { queue: options.queue },
    );
  }

  /** Answer requests on a subject; what the handler throws travels back as a RemoteError. */
  respond<S extends RequestSubject>(
    subject: S,
    handler: (payload: PayloadOf<S>, wireSubject: string) => Promise<ReplyOf<S>>,
    options: { params?: readonly string[]; queue?: string } = {},
  ): TransportSubscription {
    const contract = contracts[subject];
    return this.transport.subscribe(
      this.wireSubject(subject, options.params),
      async (message) => {
        const reply = (envelope: ReplyEnvelope) => message.respond?.(encode(envelope));
        const payload = this.decodeIncoming(contract.payload, message);
        if (payload === undefined) {
          reply({ ok: false, error: { code: 'invalid_payload', message: `invalid payload on ${message.subject}` } });
          return;
        }
        try {
          const result = await handler(payload as PayloadOf<S>, message.subject);
          reply({ ok: true, data: this.check(contract.reply, message.subject, result) });
        } catch (error) {
          reply({ ok: false, error: describeError(error) });
        }
      },
      { queue: options.queue },
    );
  }

  async close(): Promise<void> {
    await this.transport.close();
  }

  /** Parses and validates an incoming payload; logs and returns undefined when it is bad. */
  decodeIncoming(schema: z.ZodType, message: TransportMessage): unknown {
    let json: unknown;
    try {
      json = JSON.parse(decoder.decode(message.data));
    } catch {
      this.logger.warn(`rejected message on ${message.subject}: not JSON`);
      return undefined;
    }
    const parsed = schema.safeParse(json);
    if (!parsed.success) {
      this.logger.warn(`rejected message on ${message.subject}: ${z.prettifyError(parsed.error)}`);
      return undefined;
    }
    return parsed.data;
  }

  private check(schema: z.ZodType, wire: string, value: unknown): unknown {
    const parsed = schema.safeParse(value);
    if (!parsed.success) throw new PayloadValidationError(wire, z.prettifyError(parsed.error));
    return parsed.data;
  }
}

/**
 * Turns what a responder threw into the error the requester sees. Nest's RPC exception
 * filter hands us `{ code, message }` objects (from AppError) or `{ status, message }`.
 */
export function describeError(error: unknown): { code: string; message: string } {
  if (error instanceof BusError) return { code: error.code, message: error.message };
  if (error instanceof AppError) return error.getError();
  if (error instanceof Error) return { code: 'internal', message: error.message };
  if (typeof error === 'object' && error !== null && 'message' in error) {
    const { code, message } = error as { code?: unknown; message: unknown };
    return { code: typeof code === 'string' ? code : 'internal', message: String(message) };
  }
  return { code: 'internal', message: String(error) };
}

/** An expected failure with a stable code, safe to show to the requester (not_found, …). */
export class AppError extends RpcException {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super({ code, message });
  }

  override getError(): { code: string; message: string } {
    return { code: this.code, message: this.message };
  }
}
