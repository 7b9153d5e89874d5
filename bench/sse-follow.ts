import { SseEvent, sseEvents } from '../test/support/sse';

/** An event with the time it arrived here (performance.now()). */
export interface ReceivedEvent extends SseEvent {
  receivedAt: number;
}

interface Waiter {
  match: (event: ReceivedEvent) => boolean;
  resolve: (event: ReceivedEvent) => void;
  reject: (error: Error) => void;
  timer: NodeJS.Timeout;
}

/**
 * Keeps an SSE stream open (GET /api/sessions/:id/events without `task`, which stays open
 * while the session runs) and lets a benchmark wait for an event as it arrives.
 * `close()` aborts the request.
 */
export class SseFollower {
  readonly events: ReceivedEvent[] = [];
  /** When the last event arrived (performance.now()). */
  lastEventAt = performance.now();
  private readonly abort = new AbortController();
  private waiters: Waiter[] = [];
  private failure: Error | null = null;
  private ended = false;

  constructor(readonly url: string) {}

  /** Resolves once the response headers are in (the server has subscribed to live events). */
  async open(): Promise<this> {
    const response = await fetch(this.url, { headers: { accept: 'text/event-stream' }, signal: this.abort.signal });
    if (response.status !== 200) throw new Error(`SSE ${this.url}: ${response.status} ${await response.text()}`);
    void this.read(response).then(
      () => this.finish(new Error(`SSE ${this.url} ended`)),
      (error: Error) => this.finish(this.abort.signal.aborted ? new Error('closed') : error),
    );
    return this;
  }

  /** The first event (already received or still to come) that matches; fails after `timeoutMs`. */
  waitFor(match: (event: ReceivedEvent) => boolean, timeoutMs: number, from = 0): Promise<ReceivedEvent> {
    const seen = this.events.slice(from).find(match);
    if (seen) return Promise.resolve(seen);
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        match,
        resolve,
        reject,
        timer: setTimeout(() => {
          this.waiters = this.waiters.filter((w) => w !== waiter);
          reject(new Error(`no matching event within ${timeoutMs} ms on ${this.url} (${this.events.length} events so far)`));
        }, timeoutMs),
      };
      this.waiters.push(waiter);
    });
  }

  close(): void {
    this.ended = true;
    this.abort.abort();
  }

  private async read(response: Response): Promise<void> {
    for await (const event of sseEvents(response)) this.deliver({ ...event, receivedAt: performance.now() });
  }

  private deliver(event: ReceivedEvent): void {
    this.events.push(event);
    this.lastEventAt = event.receivedAt;
    const matched = this.waiters.filter((w) => w.match(event));
    this.waiters = this.waiters.filter((w) => !matched.includes(w));
    for (const waiter of matched) {
      clearTimeout(waiter.timer);
      waiter.resolve(event);
    }
  }

  /** The stream ended or failed: waiters fail now rather than at their timeout. */
  private finish(error: Error): void {
    this.failure = error;
    if (this.ended) return;
    for (const waiter of this.waiters) {
      clearTimeout(waiter.timer);
      waiter.reject(error);
    }
    this.waiters = [];
  }
}
