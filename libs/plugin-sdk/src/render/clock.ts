/**
 * Time as the renderer sees it: pacing, quiet periods, retry_after and backoff all go
 * through one of these, so specs can run on virtual time (testing/virtual-clock.ts).
 */
export interface RendererClock {
  /** Milliseconds, like Date.now(). */
  now(): number;
  /** Calls `fn` once after `ms` (at least); returns a function that cancels it. */
  setTimer(ms: number, fn: () => void): () => void;
}

/** Real time. */
export const systemClock: RendererClock = {
  now: () => Date.now(),
  setTimer(ms, fn) {
    const timer = setTimeout(fn, Math.max(0, ms));
    return () => clearTimeout(timer);
  },
};
