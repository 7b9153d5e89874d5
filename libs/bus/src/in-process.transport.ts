import { NoResponderError, RequestTimeoutError } from './bus.errors';
import { BusTransport, subjectMatches, TransportHandler, TransportHeaders, TransportMessage, TransportSubscription } from './bus.transport';
import { SerialQueue } from './serial-queue';

interface Sub {
  pattern: string;
  queue?: string;
  inbox: SerialQueue<TransportMessage>;
}

/**
 * The all-in-one bus: the same semantics as NATS (see BusTransport) inside one process.
 * Delivery is asynchronous, as over a network, so code that works here works over NATS.
 */
export class InProcessTransport implements BusTransport {
  readonly kind = 'memory' as const;
  private subs: Sub[] = [];
  private readonly nextInGroup = new Map<string, number>();
  private closed = false;

  constructor(private readonly onHandlerError: (subject: string, error: unknown) => void = () => {}) {}

  publish(subject: string, data: Uint8Array, headers?: TransportHeaders): void {
    this.deliver({ subject, data, headers });
  }

  subscribe(subject: string, handler: TransportHandler, options: { queue?: string } = {}): TransportSubscription {
    const sub: Sub = {
      pattern: subject,
      queue: options.queue,
      inbox: new SerialQueue((message) => handler(message).catch((error) => this.onHandlerError(message.subject, error))),
    };
    this.subs.push(sub);
    const unsubscribe = () => void (this.subs = this.subs.filter((s) => s !== sub));
    return {
      unsubscribe,
      drain: async () => {
        unsubscribe();
        await sub.inbox.idle();
      },
    };
  }

  request(subject: string, data: Uint8Array, timeoutMs: number, headers?: TransportHeaders): Promise<Uint8Array> {
    return new Promise((resolve, reject) => {
      if (this.closed) throw new Error('in-process bus is closed');
      const timer = setTimeout(() => reject(new RequestTimeoutError(subject, timeoutMs)), timeoutMs);
      const delivered = this.deliver({ subject, data, headers }, (reply) => {
        clearTimeout(timer);
        resolve(reply);
      });
      if (!delivered) {
        clearTimeout(timer);
        reject(new NoResponderError(subject));
      }
    });
  }

  async flush(): Promise<void> {
    await Promise.all(this.subs.map((s) => s.inbox.idle()));
  }

  isConnected(): boolean {
    return !this.closed;
  }

  async close(): Promise<void> {
    await this.flush();
    this.closed = true;
    this.subs = [];
  }

  /** Returns whether any subscriber got the message. */
  private deliver(message: Omit<TransportMessage, 'respond'>, respond?: (data: Uint8Array) => void): boolean {
    if (this.closed) throw new Error('in-process bus is closed');
    const { subject } = message;
    const matching = this.subs.filter((s) => subjectMatches(s.pattern, subject));
    const groups = new Map<string, Sub[]>();
    const targets: Sub[] = [];
    for (const sub of matching) {
      if (sub.queue === undefined) targets.push(sub);
      else groups.set(sub.queue, [...(groups.get(sub.queue) ?? []), sub]);
    }
    for (const [queue, members] of groups) {
      const key = `${queue}\u0000${subject}`;
      const n = this.nextInGroup.get(key) ?? 0;
      this.nextInGroup.set(key, n + 1);
      targets.push(members[n % members.length]);
    }
    let answered = false;
    const once = respond
      ? (reply: Uint8Array) => {
          if (answered) return;
          answered = true;
          respond(reply);
        }
      : undefined;
    for (const sub of targets) sub.inbox.push({ ...message, respond: once });
    return targets.length > 0;
  }
}
