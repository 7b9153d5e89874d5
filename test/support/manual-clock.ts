import { Clock } from '@patchbay/config';

/** A clock that moves only when told to; sleepers wake when their time is reached. */
export class ManualClock extends Clock {
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
