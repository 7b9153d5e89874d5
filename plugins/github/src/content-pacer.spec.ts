import { VirtualClock } from '@patchbay/plugin-sdk/testing';
import { ContentPacer } from './content-pacer';

describe('ContentPacer', () => {
  it('lets at most `limit` requests start in any window, in the order they came', async () => {
    const clock = new VirtualClock();
    const pacer = new ContentPacer([{ limit: 3, windowMs: 1_000 }], clock);
    const started: Array<{ n: number; at: number }> = [];
    const all = [1, 2, 3, 4, 5, 6, 7].map((n) => pacer.run(async () => started.push({ n, at: clock.now() })));
    await clock.settle();
    expect(started.map((s) => s.at)).toEqual([0, 0, 0]);
    await clock.advance(1_000);
    await clock.settle();
    await clock.advance(1_000);
    await Promise.all(all);
    expect(started).toEqual([
      { n: 1, at: 0 },
      { n: 2, at: 0 },
      { n: 3, at: 0 },
      { n: 4, at: 1_000 },
      { n: 5, at: 1_000 },
      { n: 6, at: 1_000 },
      { n: 7, at: 2_000 },
    ]);
  });

  it('measures the window from when the answer came', async () => {
    const clock = new VirtualClock();
    const pacer = new ContentPacer([{ limit: 1, windowMs: 1_000 }], clock);
    const slow = pacer.run(() => new Promise<void>((resolve) => clock.setTimer(500, resolve)));
    await clock.advance(500);
    await slow;
    expect(pacer.readyAt(clock.now())).toBe(1_500);
  });

  it('keeps every window: a burst budget and a longer one', async () => {
    const clock = new VirtualClock();
    const pacer = new ContentPacer(
      [
        { limit: 2, windowMs: 10 },
        { limit: 3, windowMs: 1_000 },
      ],
      clock,
    );
    const starts: number[] = [];
    const all = [1, 2, 3, 4].map(() => pacer.run(async () => starts.push(clock.now())));
    await clock.advance(1_000);
    await Promise.all(all);
    expect(starts).toEqual([0, 0, 10, 1_000]);
  });

  it('holds everything back after GitHub said to wait, and still goes on when a request fails', async () => {
    const clock = new VirtualClock();
    const pacer = new ContentPacer([{ limit: 10, windowMs: 1_000 }], clock);
    await expect(pacer.run(() => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    pacer.block(5_000);
    let at = -1;
    const next = pacer.run(async () => (at = clock.now()));
    await clock.advance(5_000);
    await next;
    expect(at).toBe(5_000);
  });

  it('refuses a nonsensical limit', () => {
    expect(() => new ContentPacer([{ limit: 0, windowMs: 1 }])).toThrow(RangeError);
  });
});
