import { Logger } from '@nestjs/common';
import { createHash } from 'node:crypto';
import { AckPolicy, DeliverPolicy, JsMsg, RetentionPolicy, StorageType } from 'nats';
import { InboundAcceptedV1, InboundMessageV1 } from '@patchbay/contracts';
import { Bus, describeError, encode } from './bus';
import { RemoteError } from './bus.errors';
import { fromNatsHeaders, NatsTransport, toNatsHeaders } from './nats.transport';

export type Submitted = InboundAcceptedV1 | { queued: true };

/**
 * How channels hand messages to the engine. submit() resolves with the engine's answer,
 * or `{queued}` when the message is stored safely but the engine did not answer in time.
 */
export interface InboundQueue {
  submit(message: InboundMessageV1, waitMs: number): Promise<Submitted>;
  /** Engine side: handle messages one at a time until stopped. */
  consume(handler: (message: InboundMessageV1) => Promise<InboundAcceptedV1>): Promise<{ stop(): Promise<void> }>;
}

/** The dedup key as a subject token: the same message always gets the same key. */
export function inboundKey(message: InboundMessageV1): string {
  return createHash('sha256').update(`${message.channel}\0${message.accountId}\0${message.messageId}`).digest('hex').slice(0, 32);
}

/**
 * All-in-one: a request to the engine in the same process. A message is as durable as the
 * channel's own delivery (a chat platform delivers again what was not answered).
 */
export class DirectInboundQueue implements InboundQueue {
  constructor(private readonly bus: Bus) {}

  async submit(message: InboundMessageV1, waitMs: number): Promise<Submitted> {
    return this.bus.request('inbound.message', message, { timeoutMs: waitMs });
  }

  async consume(handler: (message: InboundMessageV1) => Promise<InboundAcceptedV1>) {
    const sub = this.bus.respond('inbound.message', handler, { queue: 'engine' });
    return { stop: () => sub.drain() };
  }
}

/**
 * Distributed: a JetStream stream keeps each message until an engine has handled it, so
 * messages survive an engine that is down or dies mid-way. The stream drops a repeat of
 * the same message within its window, and the engine's unique key catches later ones.
 */
export class JetStreamInboundQueue implements InboundQueue {
  private readonly logger = new Logger(JetStreamInboundQueue.name);
  private readonly stream: string;
  private readonly subject: string;

  constructor(
    private readonly transport: NatsTransport,
    private readonly bus: Bus,
  ) {
    this.stream = `${bus.options.prefix.toUpperCase().replace(/[^A-Z0-9_-]/g, '_')}_INBOUND`;
    this.subject = `${bus.options.prefix}.inbound.durable`;
  }

  async submit(submitted: InboundMessageV1, waitMs: number): Promise<Submitted> {
    // What the stream keeps is the checked and sanitised message (no NUL, no lone surrogate).
    const message = InboundMessageV1.parse(submitted);
    await this.ensureStream();
    const key = inboundKey(message);
    let resolve!: (answer: InboundAcceptedV1) => void;
    const answered = new Promise<InboundAcceptedV1>((r) => (resolve = r));
    const sub = this.bus.subscribe('inbound.result.*', (answer) => resolve(answer), { params: [key] });
    try {
      const body = encode(message);
      const headers = toNatsHeaders(this.bus.signatureFor('inbound.message', this.subject, body));
      const ack = await this.transport.connection.jetstream().publish(this.subject, body, { msgID: key, headers });
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
      return result;
    } finally {
      sub.unsubscribe();
    }
  }

  async consume(handler: (message: InboundMessageV1) => Promise<InboundAcceptedV1>) {
    await this.ensureStream();
    const js = this.transport.connection.jetstream();
    const consumer = await js.consumers.get(this.stream, 'engine');
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
    // Tell the stream we are still at it, so a slow engine is not presumed dead.
    const alive = setInterval(() => msg.working(), 10_000);
    try {
      const answer = await handler(message);
      this.bus.publish('inbound.result.*', answer, [inboundKey(message)]);
      msg.ack();
    } catch (error) {
      // An unexpected error is logged with its id by describeError; this line says what follows.
      this.logger.warn(`message ${message.messageId} from ${message.channel}: ${describeError(error, this.subject).message}; will retry`);
      msg.nak(1_000);
    } finally {
      clearInterval(alive);
    }
  }

  private ensured?: Promise<void>;

  /** Creates the stream and the engines' shared consumer if they do not exist (idempotent). */
  private ensureStream(): Promise<void> {
    this.ensured ??= (async () => {
      const jsm = await this.transport.connection.jetstreamManager();
      await jsm.streams.add({
        name: this.stream,
        subjects: [this.subject],
        storage: StorageType.File,
        retention: RetentionPolicy.Workqueue,
        duplicate_window: 2 * 60 * 1_000_000_000,
        max_age: 7 * 24 * 3600 * 1_000_000_000,
      });
      await jsm.consumers.add(this.stream, {
        durable_name: 'engine',
        ack_policy: AckPolicy.Explicit,
        deliver_policy: DeliverPolicy.All,
        ack_wait: 30 * 1_000_000_000,
      });
    })().catch((error) => {
      this.ensured = undefined;
      throw error;
    });
    return this.ensured;
  }
}
