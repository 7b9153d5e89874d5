import { ChatPacer, RendererClock, systemClock, untilReady } from '@patchbay/plugin-sdk';

/**
 * Paces the content-creating requests (POST, PATCH, PUT, DELETE) of one GitHub account,
 * whatever issue they are for: GitHub's secondary limits count them per account, so every
 * chat of the plugin shares one of these. Requests wait their turn (first come, first
 * served) until every window has room; after GitHub said to wait (`block`), all wait.
 * Each window is the renderers' sliding window (ChatPacer), measured from the answers.
 */
export class ContentPacer {
  private readonly windows: ChatPacer[];
  private queue: Promise<void> = Promise.resolve();

  constructor(
    limits: ReadonlyArray<{ limit: number; windowMs: number }>,
    private readonly clock: RendererClock = systemClock,
  ) {
    this.windows = limits.map((l) => new ChatPacer(l.limit, l.windowMs));
  }

  /** Runs `request` once the limits allow it. */
  async run<T>(request: () => Promise<T>): Promise<T> {
    const answered = await this.turn();
    try {
      return await request();
    } finally {
      // GitHub counted it somewhere before its answer: measure the window from there.
      answered(this.clock.now());
    }
  }

  /** GitHub answered with a secondary rate limit: nothing goes out before `until`. */
  block(until: number): void {
    for (const window of this.windows) window.block(until);
  }

  /** The earliest time (≥ now) the next request may start. */
  readyAt(now: number): number {
    return Math.max(now, ...this.windows.map((window) => window.readyAt(now, false)));
  }

  private turn(): Promise<(answeredAt: number) => void> {
    const turn = this.queue.then(async () => {
      await untilReady((now) => this.readyAt(now), this.clock);
      const now = this.clock.now();
      const answered = this.windows.map((window) => window.record(now));
      return (answeredAt: number) => answered.forEach((done) => done(answeredAt));
    });
    this.queue = turn.then(() => undefined);
    return turn;
  }
}
