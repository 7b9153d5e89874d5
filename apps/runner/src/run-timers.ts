/** Why a time limit stopped a run: the error code it ends with, and the text. */
export type TimeLimitHit = (code: 'timeout' | 'idle_timeout', text: string) => void;

/**
 * A run's time limits: `timeoutSeconds` from the agent's start, `idleTimeoutSeconds` since
 * its last output. Either, when hit, stops the run.
 */
export class RunTimers {
  private deadline?: NodeJS.Timeout;
  private idle?: NodeJS.Timeout;

  constructor(
    private readonly agent: string,
    private readonly limits: { timeoutSeconds?: number; idleTimeoutSeconds?: number },
    private readonly hit: TimeLimitHit,
  ) {}

  /** Starts both clocks; `startedAt` (ms) is when the agent started, earlier for an adopted run. */
  arm(startedAt: number): void {
    const { timeoutSeconds } = this.limits;
    if (timeoutSeconds) {
      const left = Math.max(0, startedAt + timeoutSeconds * 1000 - Date.now());
      this.deadline = setTimeout(() => this.hit('timeout', `agent ${this.agent} ran longer than ${timeoutSeconds} s and was stopped`), left);
    }
    this.touched();
  }

  /** Output arrived: the idle clock starts again. */
  touched(): void {
    const { idleTimeoutSeconds } = this.limits;
    if (!idleTimeoutSeconds) return;
    clearTimeout(this.idle);
    this.idle = setTimeout(() => this.hit('idle_timeout', `agent ${this.agent} printed nothing for ${idleTimeoutSeconds} s and was stopped`), idleTimeoutSeconds * 1000);
  }

  clear(): void {
    clearTimeout(this.deadline);
    clearTimeout(this.idle);
  }
}
