/**
 * Calls `fn` at most once per `ms`: at once when it has been quiet, else once at the end of
 * the window for all the calls in it (the last change is never left unsaid).
 */
export class Throttle {
  private last = Number.NEGATIVE_INFINITY;
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly ms: number,
    private readonly fn: () => void,
  ) {}

  call(): void {
    if (this.timer) return;
    const wait = this.last + this.ms - Date.now();
    if (wait <= 0) return this.fire();
    this.timer = setTimeout(() => this.fire(), wait);
  }

  cancel(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  private fire(): void {
    this.timer = undefined;
    this.last = Date.now();
    this.fn();
  }
}
