import { PaneGrowth } from './pane-growth';

describe('PaneGrowth', () => {
  let growth: PaneGrowth;

  beforeEach(() => {
    jest.useFakeTimers();
    growth = new PaneGrowth();
  });

  afterEach(() => {
    growth.close();
    jest.useRealTimers();
  });

  it('resolves true once the pane is drawn past the offset, not at it', async () => {
    let grew: boolean | undefined;
    void growth.past(10, 2_000).then((value) => (grew = value));
    growth.drawn(10);
    await Promise.resolve();
    expect(grew).toBeUndefined();
    growth.drawn(11);
    await Promise.resolve();
    expect(grew).toBe(true);
  });

  it('resolves false when nothing was drawn in time', async () => {
    const grew = growth.past(0, 2_000);
    jest.advanceTimersByTime(2_000);
    await expect(grew).resolves.toBe(false);
  });

  it('wakes only the waiters whose offset was passed', async () => {
    const early = growth.past(5, 2_000);
    const late = growth.past(50, 2_000);
    growth.drawn(20);
    await expect(early).resolves.toBe(true);
    growth.drawn(60);
    await expect(late).resolves.toBe(true);
  });

  it('resolves false for every waiter when the screen closes', async () => {
    const grew = growth.past(0, 2_000);
    growth.close();
    await expect(grew).resolves.toBe(false);
  });
});
