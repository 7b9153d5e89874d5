/**
 * Runs queued jobs one at a time, in order. Subscriptions use it so a handler never sees
 * message n+1 before it has finished message n, on either transport.
 */
export class SerialQueue<T> {
  private readonly items: T[] = [];
  private running: Promise<void> | null = null;

  constructor(private readonly run: (item: T) => Promise<void>) {}

  /** Queues a job; jobs start on a later microtask, never inside push(). */
  push(item: T): void {
    this.items.push(item);
    this.running ??= Promise.resolve().then(() => this.drain());
  }

  /** Resolves when every job pushed so far has run. */
  idle(): Promise<void> {
    return this.running ?? Promise.resolve();
  }

  /** A job that throws does not stop the ones after it; `run` should handle its own errors. */
  private async drain(): Promise<void> {
    try {
      for (let item = this.items.shift(); item !== undefined; item = this.items.shift()) {
        await this.run(item).catch(() => undefined);
      }
    } finally {
      this.running = null;
    }
  }
}
