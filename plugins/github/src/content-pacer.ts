import { RendererClock, systemClock } from '@patchbay/plugin-sdk';

/**
 * Paces the content-creating requests (POST, PATCH, PUT, DELETE) of one GitHub account,
 * whatever issue they are for: GitHub's secondary limits count them per account, so every
 * chat of the plugin shares one of these. Requests wait their turn (first come, first
 * served) until each window has room; after GitHub said to wait (`block`), all wait.
 */
export class ContentPacer {
  private readonly windows: Array<{ limit: number; windowMs: number; calls: Array<{ at: number }> }>;
  private blockedUntil = Number.NEGATIVE_INFINITY;
  private queue: Promise<void> = Promise.resolve();

  constructor(
    limits: ReadonlyArray<{ limit: number; windowMs: number }>,
    private readonly clock: RendererClock = systemClock,
  ) {
    this.windows = limits.map((l) => {
      if (!(l.limit >= 1) || !(l.windowMs > 0)) throw new RangeError(`invalid limit: ${l.limit} per ${l.windowMs} ms`);
      return { ...l, calls: [] };
    });
  }

  /** Runs `request` once the limits allow it. */
  async run<T>(request: () => Promise<T>): Promise<T> {
    const call = await this.turn();
    try {
      return await request();
    } finally {
      // GitHub counted it somewhere before its answer: measure the window from there.
      call.at = Math.max(call.at, this.clock.now());
    }
  }

  /** GitHub answered with a secondary rate limit: nothing goes out before `until`. */
  block(until: number): void {
    this.blockedUntil = Math.max(this.blockedUntil, until);
  }

  /** The earliest time (≥ now) the next request may start. */
  readyAt(now: number): number {
    let at = Math.max(now, this.blockedUntil);
    for (const w of this.windows) {
      if (w.calls.length >= w.limit) at = Math.max(at, w.calls[w.calls.length - w.limit].at + w.windowMs);
    }
    return at;
  }

  private turn(): Promise<{ at: number }> {
    const turn = this.queue.then(() => this.waitForRoom());
    this.queue = turn.then(() => undefined);
    return turn;
  }

  private async waitForRoom(): Promise<{ at: number }> {
    for (let now = this.clock.now(), at = this.readyAt(now); at > now; now = this.clock.now(), at = this.readyAt(now)) {
      await new Promise<void>((resolve) => this.clock.setTimer(at - now, resolve));
    }
    const call = { at: this.clock.now() };
    for (const w of this.windows) {
      w.calls.push(call);
      // Answer times can come out of order; the window needs them sorted.
      w.calls.sort((a, b) => a.at - b.at);
      if (w.calls.length > w.limit) w.calls.splice(0, w.calls.length - w.limit);
    }
    return call;
  }
}
