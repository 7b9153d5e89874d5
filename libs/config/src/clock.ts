/**
 * Patchbay's time: what time it is, and waiting for a while (the scheduler's sleep, an
 * approval's timeout, a screen poll). Production uses SystemClock; tests use ManualClock
 * (test/support/manual-clock.ts) and move time themselves.
 */
export abstract class Clock {
  abstract now(): Date;
  /** Resolves after `ms` of this clock's time, or at once when `signal` aborts. */
  abstract sleep(ms: number, signal: AbortSignal): Promise<void>;
}

export class SystemClock extends Clock {
  now(): Date {
    return new Date();
  }

  sleep(ms: number, signal: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      if (signal.aborted) return resolve();
      const done = () => {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      signal.addEventListener('abort', done, { once: true });
    });
  }
}
