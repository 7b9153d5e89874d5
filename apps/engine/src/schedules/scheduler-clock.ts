import { Injectable } from '@nestjs/common';

/**
 * The scheduler's time: what time it is, and waiting for a while. Production uses the real
 * clock; tests use ManualClock and move time themselves.
 */
export abstract class SchedulerClock {
  abstract now(): Date;
  /** Resolves after `ms` of this clock's time, or at once when `signal` aborts. */
  abstract sleep(ms: number, signal: AbortSignal): Promise<void>;
}

@Injectable()
export class SystemClock extends SchedulerClock {
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

/** A clock that moves only when told to; sleepers wake when their time is reached. */
export class ManualClock extends SchedulerClock {
  private time: number;
  private sleepers: Array<{ until: number; wake: () => void }> = [];

  constructor(start: Date | string) {
    super();
    this.time = new Date(start).getTime();
  }

  now(): Date {
    return new Date(this.time);
  }

  /** Sets the time (forwards or back) and wakes whoever slept until then. */
  set(to: Date | string): void {
    this.time = new Date(to).getTime();
    for (const sleeper of this.sleepers.filter((s) => s.until <= this.time)) sleeper.wake();
  }

  advance(ms: number): void {
    this.set(new Date(this.time + ms));
  }

  /** How many are waiting on this clock (tests wait for the scheduler to go to sleep). */
  get sleeping(): number {
    return this.sleepers.length;
  }

  sleep(ms: number, signal: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      if (signal.aborted || ms <= 0) return resolve();
      const sleeper = {
        until: this.time + ms,
        wake: () => {
          this.sleepers = this.sleepers.filter((s) => s !== sleeper);
          signal.removeEventListener('abort', sleeper.wake);
          resolve();
        },
      };
      this.sleepers.push(sleeper);
      signal.addEventListener('abort', sleeper.wake, { once: true });
    });
  }
}
