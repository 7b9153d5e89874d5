/** Waiters for the pane to grow past an offset (typed input showing up), woken as it is drawn. */
export class PaneGrowth {
  private readonly waiting = new Set<{ offset: number; done: (grew: boolean) => void }>();

  past(offset: number, ms: number): Promise<boolean> {
    return new Promise((resolve) => {
      const waiter = {
        offset,
        done: (grew: boolean) => {
          clearTimeout(timer);
          this.waiting.delete(waiter);
          resolve(grew);
        },
      };
      const timer = setTimeout(() => waiter.done(false), ms);
      this.waiting.add(waiter);
    });
  }

  drawn(offset: number): void {
    for (const waiter of this.waiting) if (offset > waiter.offset) waiter.done(true);
  }

  /** The screen is gone: nothing more will be drawn. */
  close(): void {
    for (const waiter of this.waiting) waiter.done(false);
  }
}
