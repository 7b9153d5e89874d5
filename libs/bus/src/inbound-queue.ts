import { Logger } from '@nestjs/common';
import { createHash } from 'node:crypto';
import { AckPolicy, DeliverPolicy, ErrorCode, JetStreamManager, JsMsg, NatsError, RetentionPolicy } from 'nats';
import { DeadLetterV1, FailureV1, InboundAcceptedV1, InboundMessageV1, InboundResultV1 } from '@patchbay/contracts';
import { AppError, Bus, describeError, encode } from './bus';
import { BusUnavailableError, RemoteError } from './bus.errors';
import { fromNatsHeaders, natsReason, NatsTransport, toNatsHeaders } from './nats.transport';
import { deadLetterError, DeadLetters, failureOf, JetStreamDeadLetters, MemoryDeadLetters, streamPrefix } from './dead-letters';
import { streamSetup } from './jetstream-setup';

export type Submitted = InboundAcceptedV1 | { queued: true };

/**
 * How channels hand messages to the engine. submit() resolves with the engine's answer,
 * or `{queued}` when the message is stored safely but the engine did not answer in time.
 */
export interface InboundQueue {
  submit(message: InboundMessageV1, waitMs: number): Promise<Submitted>;
  /**
   * Engine side: handle messages one at a time until stopped. A handler's AppError is a
   * refusal, answered at once; any other failure is tried again (JetStream) or not, and
   * after the last try the message is parked in `deadLetters` and the sender told.
   */
  consume(handler: (message: InboundMessageV1) => Promise<InboundAcceptedV1>): Promise<{ stop(): Promise<void> }>;
  readonly deadLetters: DeadLetters;
}

/** How the durable path retries a failing message (config `bus.inbound`). */
export interface InboundRetry {
  /** Tries per message, the first included. */
  maxDeliver: number;
  /** Wait before try 2, 3, …; the last value repeats. */
  backoffMs: readonly number[];
}

/** The dedup key as a subject token: the same message always gets the same key. */
export function inboundKey(message: InboundMessageV1): string {
  return createHash('sha256').update(`${message.channel}\0${message.accountId}\0${message.messageId}`).digest('hex').slice(0, 32);
}

/**
 * All-in-one: a request to the engine in the same process. A message is as durable as the
 * channel's own delivery (a chat platform delivers again what was not answered). It is
 * tried once: a failure is parked (in memory) and answered to the sender as a dead letter,
 * so the platform is not asked to deliver it again and again.
 */
export class DirectInboundQueue implements InboundQueue {
  private readonly logger = new Logger(DirectInboundQueue.name);
  readonly deadLetters = new MemoryDeadLetters();

  constructor(private readonly bus: Bus) {}

  async submit(message: InboundMessageV1, waitMs: number): Promise<Submitted> {
    return this.bus.request('inbound.message', message, { timeoutMs: waitMs });
  }

  async consume(handler: (message: InboundMessageV1) => Promise<InboundAcceptedV1>) {
    const sub = this.bus.respond('inbound.message', (message) => this.handle(message, handler), { queue: 'engine' });
    return { stop: () => sub.drain() };
  }

  private async handle(message: InboundMessageV1, handler: (message: InboundMessageV1) => Promise<InboundAcceptedV1>): Promise<InboundAcceptedV1> {
    try {
      return await handler(message);
    } catch (error) {
      if (error instanceof AppError) throw error;
      const letter = await this.deadLetters.park(message, 1, failureOf(error, 'inbound.message'));
      announceParked(this.bus, this.logger, letter);
      throw deadLetterError(letter);
    }
  }
}

/**
 * Logs a parked message and says so on `inbound.parked`, so its chat hears of it even when
 * the sender stopped waiting long ago (a message queued while the engine was down).
 */
function announceParked(bus: Bus, logger: Logger, letter: DeadLetterV1): void {
  const { message, tries, reason } = letter;
  logger.error(`message ${message.messageId} from ${message.channel} parked as dead letter ${letter.id} (tries: ${tries}): ${reason.code}: ${reason.message}`);
  bus.publish('inbound.parked', letter);
}

/**
 * Distributed: a JetStream stream keeps each message until an engine has handled it, so
 * messages survive an engine that is down or dies mid-way. The stream drops a repeat of
 * the same message within its window, and the engine's unique key catches later ones.
 * A failing message is tried `maxDeliver` times, `backoffMs` apart, then parked in
 * `<PREFIX>_INBOUND_DEAD` and removed from the stream.
 */
export class JetStreamInboundQueue implements InboundQueue {
  private readonly logger = new Logger(JetStreamInboundQueue.name);
  private readonly stream: string;
  private readonly subject: string;
  readonly deadLetters: JetStreamDeadLetters;
  /** Creates the stream (kept 7 days, repeats dropped within 2 minutes) and its consumer. */
  private readonly ensureStream: () => Promise<void>;

  constructor(
    private readonly transport: NatsTransport,
    private readonly bus: Bus,
    private readonly retry: InboundRetry,
  ) {
    this.stream = `${streamPrefix(bus.options.prefix)}_INBOUND`;
    this.subject = `${bus.options.prefix}.inbound.durable`;
    this.deadLetters = new JetStreamDeadLetters(transport, bus.options.prefix);
    this.ensureStream = streamSetup(
      transport,
      { name: this.stream, subject: this.subject, retention: RetentionPolicy.Workqueue, duplicate_window: 2 * 60 * 1_000_000_000, max_age: 7 * 24 * 3600 * 1_000_000_000 },
      (jsm) => this.ensureConsumer(jsm),
    );
  }

  /**
   * A broker failure before the stream took the message is a BusUnavailableError that says
   * nothing was stored (or, for a publish that got no ack in time, that a retry under the
   * same id is safe); after it, a missing answer means queued.
   */
  async submit(submitted: InboundMessageV1, waitMs: number): Promise<Submitted> {
    // What the stream keeps is the checked and sanitised message (no NUL, no lone surrogate).
    const message = InboundMessageV1.parse(submitted);
    // Disconnected, the client would buffer the publish and might send it on reconnect,
    // after its sender was told it was not stored: refuse at once instead.
    if (!this.transport.isConnected()) throw new BusUnavailableError(this.subject, 'disconnected', NOT_STORED);
    const key = inboundKey(message);
    let resolve!: (answer: InboundResultV1) => void;
    const answered = new Promise<InboundResultV1>((r) => (resolve = r));
    const sub = await notStoredOnFailure(this.subject, async () => {
      await this.ensureStream();
      return this.bus.subscribe('inbound.result.*', (answer) => resolve(answer), { params: [key] });
    });
    try {
      const body = encode(message);
      const headers = toNatsHeaders(this.bus.signatureFor('inbound.message', this.subject, body));
      const ack = await notStoredOnFailure(this.subject, () => this.transport.connection.jetstream().publish(this.subject, body, { msgID: key, headers }), MAYBE_STORED);
      // Sent before (a retry): the engine answers it again from what it recorded. Its refusal
      // (an id reused with other content) is the answer; no answer in time means queued.
      if (ack.duplicate) {
        return await this.bus.request('inbound.message', message, { timeoutMs: waitMs }).catch((error: unknown) => {
          if (error instanceof RemoteError) throw error;
          return { queued: true as const };
        });
      }
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<{ queued: true }>((r) => (timer = setTimeout(() => r({ queued: true }), waitMs)));
      const result = await Promise.race([answered, timeout]);
      clearTimeout(timer);
      // A refusal, or a message parked as a dead letter: the sender hears why.
      if ('failed' in result) throw new RemoteError(this.bus.wireSubject('inbound.result.*', [key]), result.failed.code, result.failed.message);
      return result;
    } finally {
      sub.unsubscribe();
    }
  }

  async consume(handler: (message: InboundMessageV1) => Promise<InboundAcceptedV1>) {
    await this.ensureStream();
    const js = this.transport.connection.jetstream();
    const consumer = await js.consumers.get(this.stream, CONSUMER);
    const messages = await consumer.consume({ max_messages: 1 });
    const loop = (async () => {
      for await (const msg of messages) await this.handle(msg, handler);
    })();
    // Repeats of a message the stream already took are asked directly (see submit).
    const direct = this.bus.respond('inbound.message', handler, { queue: 'engine' });
    return {
      stop: async () => {
        // close() lets the message in hand finish; the rest stay in the stream.
        await direct.drain();
        await messages.close();
        await loop;
      },
    };
  }

  private async handle(msg: JsMsg, handler: (message: InboundMessageV1) => Promise<InboundAcceptedV1>): Promise<void> {
    // A stored message may have waited for an engine that was down, so no age limit: the
    // dedup key (stream window, then the engine's unique key) is what guards against replays.
    // A forgery is acked, so it is never delivered again.
    if (!(await this.bus.authenticate('inbound.message', { subject: msg.subject, data: msg.data, headers: fromNatsHeaders(msg.headers) }, null))) {
      msg.ack();
      return;
    }
    let message: InboundMessageV1;
    try {
      message = InboundMessageV1.parse(msg.json());
    } catch (error) {
      this.logger.warn(`dropped a malformed message from ${this.subject}: ${(error as Error).message}`);
      msg.term('malformed');
      return;
    }
    const key = inboundKey(message);
    // This delivery's number, from 1. One past maxDeliver means the last try never
    // reported (its engine died mid-way): park the message without trying it again.
    const tries = msg.info.redeliveryCount;
    if (tries > this.retry.maxDeliver) {
      await this.park(msg, message, key, tries - 1, { code: 'interrupted', message: 'the engine stopped during the last try' });
      return;
    }
    // Tell the stream we are still at it, so a slow engine is not presumed dead.
    const alive = setInterval(() => msg.working(), 10_000);
    try {
      const answer = await handler(message);
      this.bus.publish('inbound.result.*', answer, [key]);
      msg.ack();
    } catch (error) {
      const reason = failureOf(error, this.subject);
      if (error instanceof AppError) {
        // A refusal (an id reused with other content): trying again would not change it.
        msg.ack();
        this.bus.publish('inbound.result.*', { failed: reason }, [key]);
      } else if (tries >= this.retry.maxDeliver) {
        await this.park(msg, message, key, tries, reason);
      } else {
        const delay = this.retry.backoffMs[Math.min(tries, this.retry.backoffMs.length) - 1];
        this.logger.warn(
          `message ${message.messageId} from ${message.channel} failed (try ${tries} of ${this.retry.maxDeliver}): ${reason.code}: ${reason.message}; next try in ${delay} ms`,
        );
        msg.nak(delay);
      }
    } finally {
      clearInterval(alive);
    }
  }

  /**
   * Parks the message, takes it off the stream (an ack: the work queue then drops it), then
   * tells its sender. Parked before the ack: an engine dying in between parks it again on
   * the extra delivery (the dead stream keeps one of the two); parking that fails leaves it
   * to be tried again.
   */
  private async park(msg: JsMsg, message: InboundMessageV1, key: string, tries: number, reason: FailureV1): Promise<void> {
    try {
      const letter = await this.deadLetters.park(message, tries, reason, `${this.stream}:${msg.seq}`);
      await msg.ackAck();
      announceParked(this.bus, this.logger, letter);
      this.bus.publish('inbound.result.*', { failed: describeError(deadLetterError(letter), this.subject) }, [key]);
    } catch (error) {
      this.logger.error(
        `message ${message.messageId} from ${message.channel}: parking it failed (${failureOf(error, `parking a dead letter in ${this.stream}`).message}); it stays in ${this.stream}`,
      );
      msg.nak(this.retry.backoffMs[0]);
    }
  }

  /**
   * Creates the engines' shared consumer if it does not exist, and brings an existing one
   * (made by an older Patchbay without max_deliver, or with another maxDeliver) up to this
   * config by a consumer update: max_deliver and ack_wait may change on a live durable, so
   * messages waiting in it are kept. max_deliver is maxDeliver + 1: the extra delivery only
   * parks a message whose last try died with its engine.
   */
  private async ensureConsumer(jsm: JetStreamManager): Promise<void> {
    const owned = { ack_wait: 30 * 1_000_000_000, max_deliver: this.retry.maxDeliver + 1 };
    const existing = await jsm.consumers.info(this.stream, CONSUMER).catch((error: unknown) => {
      if ((error as NatsError).api_error?.err_code === CONSUMER_NOT_FOUND) return null;
      throw error;
    });
    if (!existing) {
      await jsm.consumers.add(this.stream, { durable_name: CONSUMER, ack_policy: AckPolicy.Explicit, deliver_policy: DeliverPolicy.All, ...owned });
    } else if (existing.config.max_deliver !== owned.max_deliver || existing.config.ack_wait !== owned.ack_wait) {
      this.logger.log(`updating consumer ${CONSUMER} of ${this.stream}: max_deliver ${existing.config.max_deliver ?? 'unset'} → ${owned.max_deliver}`);
      await jsm.consumers.update(this.stream, CONSUMER, owned);
    }
  }
}

const NOT_STORED = 'nothing was stored, try again';
const MAYBE_STORED = 'it may not be stored: try again with the same Idempotency-Key';

/**
 * Runs a step of submit() before the stream confirmed the message: a NATS failure becomes
 * a BusUnavailableError saying nothing was stored, or `onTimeout` for a timeout (a publish
 * whose ack was lost may have been stored). JetStream refusing a request (a stream whose
 * config conflicts, …) is no outage that a retry cures: it stays an unexpected error.
 */
async function notStoredOnFailure<T>(subject: string, step: () => Promise<T>, onTimeout = NOT_STORED): Promise<T> {
  try {
    return await step();
  } catch (error) {
    if (!(error instanceof NatsError) || (error.api_error && error.code !== ErrorCode.JetStreamNotEnabled)) throw error;
    throw new BusUnavailableError(subject, natsReason(error), error.code === ErrorCode.Timeout ? onTimeout : NOT_STORED);
  }
}

/** The engines' shared durable consumer of the inbound stream. */
const CONSUMER = 'engine';
/** JetStream's error code for "consumer not found". */
const CONSUMER_NOT_FOUND = 10014;
