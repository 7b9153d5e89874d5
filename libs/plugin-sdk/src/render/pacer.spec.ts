import { VirtualClock } from '../testing/virtual-clock';
import { RateLimitedError } from '../channel/channel';
import { accountPaced, accountPacer, ChatPacer, chatPaced, chatPacer } from './pacer';

describe('ChatPacer', () => {
  it('allows at most perChat calls in any window', () => {
    const pacer = new ChatPacer(3, 1000);
    for (const at of [0, 10, 20]) {
      expect(pacer.readyAt(at, false)).toBe(at);
      pacer.record(at);
    }
    // The fourth waits until the first leaves the window (0, 1000].
    expect(pacer.readyAt(30, false)).toBe(1000);
    pacer.record(1000);
    expect(pacer.readyAt(1000, false)).toBe(1010);
  });

  it('measures the window from when a call was answered, so latency cannot squeeze calls together', () => {
    const pacer = new ChatPacer(2, 1000);
    pacer.record(0)(400); // answered after 400 ms: the platform may have counted it at 400
    pacer.record(500)(510);
    expect(pacer.readyAt(600, false)).toBe(1400);
    expect(pacer.readyAt(600, true)).toBe(1400);
  });

  it('spreads paced calls over three quarters of the budget', () => {
    const pacer = new ChatPacer(20, 60_000);
    expect(pacer.spacingMs).toBe(4000);
    pacer.record(0);
    expect(pacer.readyAt(100, true)).toBe(4000);
    expect(pacer.readyAt(100, false)).toBe(100);
    expect(new ChatPacer(1, 5000).spacingMs).toBe(5000);
    expect(new ChatPacer(4, 10_000).spacingMs).toBe(3334);
  });

  it('waits out a 429 for every call', () => {
    const pacer = new ChatPacer(10, 1000);
    pacer.block(7000);
    expect(pacer.readyAt(0, false)).toBe(7000);
    pacer.block(3000);
    expect(pacer.readyAt(0, true)).toBe(7000);
  });

  it('is one per chat of a transport, shared by its renderers', () => {
    const transport = {};
    const budget = { perChat: 5, windowMs: 1000 };
    expect(chatPacer(transport, 'a', budget)).toBe(chatPacer(transport, 'a', budget));
    expect(chatPacer(transport, 'a', budget)).not.toBe(chatPacer(transport, 'b', budget));
    expect(chatPacer({}, 'a', budget)).not.toBe(chatPacer(transport, 'a', budget));
  });

  it('refuses a budget it cannot keep', () => {
    expect(() => new ChatPacer(0, 1000)).toThrow(RangeError);
  });
});

describe('accountPaced', () => {
  it("waits for the transport's bot-wide budget, shared with its renderers, then runs the call", async () => {
    const clock = new VirtualClock(0);
    const transport = {};
    const budget = { perWindow: 2, windowMs: 1000 };
    // Two renderer calls just spent the budget.
    accountPacer(transport, budget).record(0)(0);
    accountPacer(transport, budget).record(0)(0);
    const ran: number[] = [];
    const reply = accountPaced(transport, budget, async () => void ran.push(clock.now()), clock);
    await clock.advance(999);
    expect(ran).toEqual([]);
    await clock.advance(1);
    await reply;
    expect(ran).toEqual([1000]);
    // And without a budget, at once.
    await accountPaced({}, undefined, async () => void ran.push(clock.now()), clock);
    expect(ran).toEqual([1000, 1000]);
  });
});

describe('chatPaced', () => {
  const budgets = { rateBudget: { perChat: 2, windowMs: 1000 } };

  it("waits for the chat's budget, shared with its renderers", async () => {
    const clock = new VirtualClock(0);
    const transport = {};
    chatPacer(transport, 'c', budgets.rateBudget).record(0)(0);
    chatPacer(transport, 'c', budgets.rateBudget).record(0)(0);
    const ran: number[] = [];
    await clock.run(chatPaced(transport, 'c', budgets, async () => void ran.push(clock.now()), clock));
    expect(ran).toEqual([1000]);
  });

  it('waits out a 429 (the chat stays blocked for its renderers too), then tries again', async () => {
    const clock = new VirtualClock(0);
    const transport = {};
    const tries: number[] = [];
    const call = async () => {
      tries.push(clock.now());
      if (tries.length === 1) throw new RateLimitedError(5000);
      return 'sent';
    };
    expect(await clock.run(chatPaced(transport, 'c', budgets, call, clock))).toBe('sent');
    expect(tries).toEqual([0, 5000]);
  });

  it('throws other errors at once, and a 429 that keeps coming after five tries', async () => {
    const clock = new VirtualClock(0);
    await expect(clock.run(chatPaced({}, 'c', budgets, async () => Promise.reject(new Error('chat not found')), clock))).rejects.toThrow('chat not found');
    let tries = 0;
    const limited = chatPaced({}, 'c', budgets, async () => Promise.reject(new RateLimitedError(10, `429 #${++tries}`)), clock);
    await expect(clock.run(limited)).rejects.toThrow('429 #5');
  });
});
