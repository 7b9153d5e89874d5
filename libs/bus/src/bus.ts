import { Logger } from '@nestjs/common';
import { RpcException } from '@nestjs/microservices';
import { contracts, EventSubject, fillSubject, PayloadOf, ReplyOf, RequestSubject, Subject } from '@patchbay/contracts';
import { z } from 'zod';
import { BusSigner, MAX_REQUEST_AGE_MS, SignatureFault } from './bus-signer';
import { BusError, NoResponderError, PayloadValidationError, RemoteError, RequestTimeoutError } from './bus.errors';
import { reportInternalError } from './internal-error';
import { BusTransport, TransportHeaders, TransportMessage, TransportSubscription } from './bus.transport';

/** How a reply travels: a result, or an error the requester re-raises. */
type ReplyEnvelope = { ok: true; data: unknown } | { ok: false; error: ErrorReply };

/** An error as it travels back to a requester; `errorId` names the log line of an internal one. */
export interface ErrorReply {
  code: string;
  message: string;
  errorId?: string;
}

/** How a request ended, as its latency is recorded. */
export type BusRequestOutcome = 'ok' | 'remote_error' | 'timeout' | 'no_responder' | 'error';

export interface BusOptions {
  /** Deployment prefix, the first subject token (`pb`); tests use their own. */
  prefix: string;
  requestTimeoutMs: number;
  /** Told each request's latency (libs/metrics' histogram), by contract subject. */
  observeRequest?: (subject: RequestSubject, outcome: BusRequestOutcome, seconds: number) => void;
  /**
   * Signs the contracts' signed requests and checks them where they are answered. Left out
   * (the in-process bus, one process; a runner, which holds no secret), nothing is signed
   * and nothing checked.
   */
  signer?: BusSigner;
  /**
   * Whether payloads that arrive are checked against their schema (the default). In one
   * process (the in-process transport) every message was sent by a Bus that checked it on
   * the way out, so the all-in-one sets this false: one check per crossing, not two.
   */
  checkIncoming?: boolean;
}

/** A message on a signed subject refused for its signature: what the engine audits. */
export interface RefusedMessage {
  subject: RequestSubject;
  wireSubject: string;
  fault: SignatureFault;
  /** The payload as it parsed (who it claims to come from); undefined when it is not JSON. */
  claimed: unknown;
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
  private readonly refusalListeners = new Set<(refused: RefusedMessage) => Promise<void>>();

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

  async request<S extends RequestSubject>(subject: S, payload: PayloadOf<S>, options: { timeoutMs?: number; params?: readonly string[] } = {}): Promise<ReplyOf<S>> {
    const wire = this.wireSubject(subject, options.params);
    const body = encode(this.check(contracts[subject].payload, wire, payload));
    const headers = this.signatureFor(subject, wire, body);
    const startedAt = performance.now();
    let outcome: BusRequestOutcome = 'error';
    try {
      const raw = await this.transport.request(wire, body, options.timeoutMs ?? this.options.requestTimeoutMs, headers);
      const envelope = JSON.parse(decoder.decode(raw)) as ReplyEnvelope;
      if (!envelope.ok) {
        outcome = 'remote_error';
        throw new RemoteError(wire, envelope.error.code, envelope.error.message, envelope.error.errorId);
      }
      const reply = (this.options.checkIncoming === false ? envelope.data : this.check(contracts[subject].reply, wire, envelope.data)) as ReplyOf<S>;
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
        if (!(await this.authenticate(subject, message, MAX_REQUEST_AGE_MS))) {
          const why = `refused ${message.subject}: not signed with this deployment's bus.secret (see docs/ARCHITECTURE.md, Trust model)`;
          reply({ ok: false, error: { code: 'unauthenticated', message: why } });
          return;
        }
        const payload = this.decodeIncoming(contract.payload, message);
        if (payload === undefined) {
          reply({ ok: false, error: { code: 'invalid_payload', message: `invalid payload on ${message.subject}` } });
          return;
        }
        try {
          const result = await handler(payload as PayloadOf<S>, message.subject);
          reply({ ok: true, data: this.check(contract.reply, message.subject, result) });
        } catch (error) {
          reply({ ok: false, error: describeError(error, message.subject) });
        }
      },
      { queue: options.queue },
    );
  }

  async close(): Promise<void> {
    await this.transport.close();
  }

  /** The headers that sign `body` for `wire`, when `subject` is a signed one and this bus signs. */
  signatureFor(subject: RequestSubject, wire: string, body: Uint8Array): TransportHeaders | undefined {
    return contracts[subject].signed ? this.options.signer?.sign(wire, body) : undefined;
  }

  /**
   * Whether a message on `subject` may be handled: always for an unsigned subject or a bus
   * without a signer; else only with a valid signature (no older than `maxAgeMs`, null: any
   * age). A refusal is logged once, without the payload, and handed to the refusal listeners.
   */
  async authenticate(subject: RequestSubject, message: TransportMessage, maxAgeMs: number | null): Promise<boolean> {
    const signer = this.options.signer;
    if (!contracts[subject].signed || !signer) return true;
    const verdict = signer.verify(message.subject, message.data, message.headers, maxAgeMs);
    if (verdict.ok) return true;
    this.logger.warn(`refused a message on ${message.subject}: ${verdict.fault}`);
    const refused: RefusedMessage = { subject, wireSubject: message.subject, fault: verdict.fault, claimed: parseJson(message.data) };
    await Promise.all(
      [...this.refusalListeners].map((listener) =>
        // A store error's message quotes its SQL: logged as an error id instead.
        listener(refused).catch((error: unknown) => void reportInternalError(error, `recording a refused message on ${message.subject}`)),
      ),
    );
    return false;
  }

  /** Calls `listener` for every message refused for its signature; returns the unsubscribe. */
  onRefused(listener: (refused: RefusedMessage) => Promise<void>): () => void {
    this.refusalListeners.add(listener);
    return () => this.refusalListeners.delete(listener);
  }

  /** Parses and validates (unless `checkIncoming` is off) an incoming payload; logs and returns undefined when it is bad. */
  decodeIncoming(schema: z.ZodType, message: TransportMessage): unknown {
    const json = parseJson(message.data);
    if (json === undefined) {
      this.logger.warn(`rejected message on ${message.subject}: not JSON`);
      return undefined;
    }
    if (this.options.checkIncoming === false) return json;
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

function parseJson(data: Uint8Array): unknown {
  try {
    return JSON.parse(decoder.decode(data));
  } catch {
    return undefined;
  }
}

/**
 * Turns what a responder threw into the error the requester sees. Deliberate errors (bus
 * errors, AppError, the `{ code, message }` objects Nest's RPC exception filter hands us)
 * keep their code and message; anything else is unexpected, and may quote SQL or values:
 * it becomes an error id, logged once here with `where` (the subject, the route).
 */
export function describeError(error: unknown, where: string): ErrorReply {
  if (error instanceof RemoteError) return { code: error.code, message: error.message, ...(error.errorId ? { errorId: error.errorId } : {}) };
  if (error instanceof BusError) return { code: error.code, message: error.message };
  if (error instanceof AppError) return error.getError();
  if (!(error instanceof Error) && typeof error === 'object' && error !== null && typeof (error as { message?: unknown }).message === 'string') {
    const { code, message, errorId } = error as { code?: unknown; message: string; errorId?: unknown };
    return { code: typeof code === 'string' ? code : 'internal', message, ...(typeof errorId === 'string' ? { errorId } : {}) };
  }
  return reportInternalError(error, where);
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
