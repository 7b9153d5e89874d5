import type { RendererClock } from '../render/clock';

/**
 * Virtual time for specs: timers run only when the spec moves time (`advance`) or lets
 * it run until some work is done (`run`). Between timers, promise chains that are ready
 * (in-memory transports, the renderer's worker) run to their next wait, so a minute of
 * pacing takes a few milliseconds and every run is the same.
 */
export class VirtualClock implements RendererClock {
  private time: number;
  private order = 0;
  private timers: Array<{ at: number; order: number; fn: () => void }> = [];

  constructor(start = 0) {
    this.time = start;
  }

  now(): number {
    return this.time;
  }

  setTimer(ms: number, fn: () => void): () => void {
    const timer = { at: this.time + Math.max(0, ms), order: this.order++, fn };
    this.timers.push(timer);
    return () => {
      this.timers = this.timers.filter((t) => t !== timer);
    };
  }

  /** Timers waiting to run. */
  get pending(): number {
    return this.timers.length;
  }

  /** Lets ready promise chains run (a few macrotask turns; no time passes). */
  async settle(): Promise<void> {
    for (let i = 0; i < 3; i++) await new Promise<void>((resolve) => setImmediate(resolve));
  }

  /** Moves time forward by `ms`, running each timer due on the way at its own time. */
  async advance(ms: number): Promise<void> {
    const end = this.time + ms;
    await this.settle();
    for (let next = this.next(); next && next.at <= end; next = this.next()) await this.fire(next);
    this.time = Math.max(this.time, end);
    await this.settle();
  }

  /**
   * Runs timers, time jumping to each, until `promise` settles; returns its result. When no
   * timer is left but the promise is still pending (real I/O in flight, e.g. a fake platform
   * over HTTP), waits for it in real time: `realMs` at most without a timer to run.
   */
  async run<T>(promise: Promise<T>, { maxMs = 24 * 3600_000, realMs = 10_000 } = {}): Promise<T> {
    let settled = false;
    promise.then(
      () => (settled = true),
      () => (settled = true),
    );
    const limit = this.time + maxMs;
    let realLimit = Date.now() + realMs;
    for (;;) {
      await this.settle();
      if (settled) return promise;
      const next = this.next();
      if (next) {
        if (next.at > limit) throw new Error(`VirtualClock.run: not done after ${maxMs} ms of virtual time`);
        await this.fire(next);
        realLimit = Date.now() + realMs;
        continue;
      }
      if (Date.now() > realLimit) throw new Error('VirtualClock.run: not done, and no timer left to run');
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
  }

  private next(): { at: number; order: number; fn: () => void } | undefined {
    let best: { at: number; order: number; fn: () => void } | undefined;
    for (const timer of this.timers) if (!best || timer.at < best.at || (timer.at === best.at && timer.order < best.order)) best = timer;
    return best;
  }

  private async fire(timer: { at: number; fn: () => void }): Promise<void> {
    this.timers = this.timers.filter((t) => t !== timer);
    this.time = Math.max(this.time, timer.at);
    timer.fn();
    await this.settle();
  }
}
