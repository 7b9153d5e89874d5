/** Message headers (NATS headers; the in-process bus hands them over as they are). */
export type TransportHeaders = Readonly<Record<string, string>>;

/** One message as a transport hands it to a subscriber. */
export interface TransportMessage {
  subject: string;
  data: Uint8Array;
  headers?: TransportHeaders;
  /** Present when the sender is waiting for a reply. */
  respond?: (data: Uint8Array) => void;
}

export type TransportHandler = (message: TransportMessage) => Promise<void>;

export interface TransportSubscription {
  /** Stops delivery at once; messages already delivered may still be handled. */
  unsubscribe(): void;
  /** Stops delivery and resolves once every message already delivered has been handled. */
  drain(): Promise<void>;
}

/**
 * The raw bus: subjects and bytes. The NATS and in-process transports both give these
 * semantics, which the rest of Patchbay relies on:
 * - `*` matches one token and `>` the rest of a subject;
 * - a queue group delivers each message to one member of the group;
 * - one subscription's handler sees its messages one at a time, in order;
 * - a request with no subscriber fails at once with NoResponderError; an unanswered one
 *   fails with RequestTimeoutError.
 */
export interface BusTransport {
  readonly kind: 'memory' | 'nats';
  publish(subject: string, data: Uint8Array, headers?: TransportHeaders): void;
  subscribe(subject: string, handler: TransportHandler, options?: { queue?: string }): TransportSubscription;
  request(subject: string, data: Uint8Array, timeoutMs: number, headers?: TransportHeaders): Promise<Uint8Array>;
  /** Resolves once everything published so far has left this process. */
  flush(): Promise<void>;
  isConnected(): boolean;
  /** Lets in-flight handlers finish, then disconnects. */
  close(): Promise<void>;
}

/** NATS subject matching: `*` is one token, a final `>` is one or more tokens. */
export function subjectMatches(pattern: string, subject: string): boolean {
  const p = pattern.split('.');
  const s = subject.split('.');
  for (let i = 0; i < p.length; i++) {
    if (p[i] === '>') return i === p.length - 1 && s.length > i;
    if (i >= s.length) return false;
    if (p[i] !== '*' && p[i] !== s[i]) return false;
  }
  return p.length === s.length;
}
