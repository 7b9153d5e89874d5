import { DeadLetterV1, FailureV1, InboundMessageV1, newId } from '@patchbay/contracts';
import { DiscardPolicy, RetentionPolicy } from 'nats';
import { AppError, describeError, encode } from './bus';
import { streamSetup } from './jetstream-setup';
import { NatsTransport } from './nats.transport';

/** Where messages the engine gave up on are kept, for operators to see (and resend). */
export interface DeadLetters {
  /**
   * Keeps the message aside with why it failed; resolves with what was kept. `key` names
   * the stored copy it came from (its stream and sequence): a store keeps one letter when
   * the same copy is parked twice, while the same message sent again is a letter of its own.
   */
  park(message: InboundMessageV1, tries: number, reason: FailureV1, key?: string): Promise<DeadLetterV1>;
  /** The newest first, at most `limit`, and how many are kept in all. */
  list(limit: number): Promise<{ count: number; letters: DeadLetterV1[] }>;
  find(id: string): Promise<DeadLetterV1 | null>;
  /** Forgets a letter (dropped, or sent again); false when there is none with this id. */
  remove(id: string): Promise<boolean>;
}

/** How many dead letters are kept; older ones make room (they stay in the log). */
export const MAX_DEAD_LETTERS = 1_000;

/**
 * Why a message failed, safe for a sender and a list: an expected failure's code and
 * message; for anything else `internal error <id>` (describeError logs the id's line), since
 * a driver's message may quote SQL and the values in it.
 */
export function failureOf(error: unknown, where: string): FailureV1 {
  const { code, message } = describeError(error, where);
  const text = message.split('\n')[0];
  return { code: code.slice(0, 100), message: text.length > 200 ? `${text.slice(0, 199)}…` : text };
}

/** The error code a sender gets for a message parked as a dead letter. */
export const DEAD_LETTER = 'dead_letter';

/** What the sender is told when their message is parked. */
export function deadLetterError(letter: DeadLetterV1): AppError {
  const tries = letter.tries === 1 ? '1 try' : `${letter.tries} tries`;
  return new AppError(DEAD_LETTER, `could not be handled after ${tries}: ${letter.reason.code}: ${letter.reason.message}; parked as dead letter ${letter.id}`);
}

function letterOf(message: InboundMessageV1, tries: number, reason: FailureV1): DeadLetterV1 {
  return { id: newId(), message, tries, reason, parkedAt: new Date().toISOString() };
}

/** All-in-one without NATS: the newest MAX_DEAD_LETTERS in memory (gone on restart; logged when parked). */
export class MemoryDeadLetters implements DeadLetters {
  private readonly letters: DeadLetterV1[] = [];

  async park(message: InboundMessageV1, tries: number, reason: FailureV1): Promise<DeadLetterV1> {
    const letter = letterOf(message, tries, reason);
    this.letters.push(letter);
    if (this.letters.length > MAX_DEAD_LETTERS) this.letters.shift();
    return letter;
  }

  async list(limit: number) {
    return { count: this.letters.length, letters: this.letters.slice(-limit).reverse() };
  }

  async find(id: string) {
    return this.letters.find((l) => l.id === id) ?? null;
  }

  async remove(id: string) {
    const at = this.letters.findIndex((l) => l.id === id);
    if (at >= 0) this.letters.splice(at, 1);
    return at >= 0;
  }
}

/**
 * Over NATS: the stream `<PREFIX>_INBOUND_DEAD` (subject `<prefix>.inbound.dead`), beside
 * `<PREFIX>_INBOUND`. It keeps the newest MAX_DEAD_LETTERS for 30 days; parking the same
 * message twice within 2 minutes (an engine that died between parking and acking) keeps one.
 */
export class JetStreamDeadLetters implements DeadLetters {
  private readonly stream: string;
  private readonly subject: string;
  private readonly ensureStream: () => Promise<void>;

  constructor(
    private readonly transport: NatsTransport,
    prefix: string,
  ) {
    this.stream = `${streamPrefix(prefix)}_INBOUND_DEAD`;
    this.subject = `${prefix}.inbound.dead`;
    this.ensureStream = streamSetup(transport, {
      name: this.stream,
      subject: this.subject,
      retention: RetentionPolicy.Limits,
      discard: DiscardPolicy.Old,
      max_msgs: MAX_DEAD_LETTERS,
      max_age: 30 * 24 * 3600 * 1_000_000_000,
      duplicate_window: 2 * 60 * 1_000_000_000,
    });
  }

  async park(message: InboundMessageV1, tries: number, reason: FailureV1, key?: string): Promise<DeadLetterV1> {
    await this.ensureStream();
    const letter = letterOf(message, tries, reason);
    await this.transport.connection.jetstream().publish(this.subject, encode(letter), key ? { msgID: key } : undefined);
    return letter;
  }

  async list(limit: number) {
    const { count, stored } = await this.newestFirst(limit, () => false);
    return { count, letters: stored.map((s) => s.letter) };
  }

  async find(id: string) {
    return (await this.locate(id))?.letter ?? null;
  }

  async remove(id: string) {
    const found = await this.locate(id);
    if (!found) return false;
    const jsm = await this.transport.connection.jetstreamManager();
    return jsm.streams.deleteMessage(this.stream, found.seq);
  }

  private async locate(id: string): Promise<{ seq: number; letter: DeadLetterV1 } | null> {
    const { stored } = await this.newestFirst(MAX_DEAD_LETTERS, (letter) => letter.id === id);
    return stored.find((s) => s.letter.id === id) ?? null;
  }

  /** Reads letters from the newest back, up to `limit` or the first that `stop` picks. */
  private async newestFirst(limit: number, stop: (letter: DeadLetterV1) => boolean) {
    await this.ensureStream();
    const jsm = await this.transport.connection.jetstreamManager();
    const { state } = await jsm.streams.info(this.stream);
    const stored: Array<{ seq: number; letter: DeadLetterV1 }> = [];
    for (let seq = state.last_seq; seq >= state.first_seq && seq > 0 && stored.length < limit; seq--) {
      // A sequence may have been removed (a letter dropped): skip it.
      const message = await jsm.streams.getMessage(this.stream, { seq }).catch(() => null);
      const parsed = message && DeadLetterV1.safeParse(message.json());
      if (!parsed?.success) continue;
      stored.push({ seq, letter: parsed.data });
      if (stop(parsed.data)) break;
    }
    return { count: state.messages, stored };
  }
}

/** Stream names are uppercase; the prefix's other characters become `_`. */
export function streamPrefix(prefix: string): string {
  return prefix.toUpperCase().replace(/[^A-Z0-9_-]/g, '_');
}
