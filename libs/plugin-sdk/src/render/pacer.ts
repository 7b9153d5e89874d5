import { ChannelCapabilities, retryAfterOf } from '../channel/channel';
import { RendererClock, systemClock } from './clock';

/**
 * The sends and edits one chat allows: at most `perChat` calls in any `windowMs` (a sliding
 * window, every attempt counted), nothing while the platform said to wait (429 retry_after),
 * and, for output still streaming, calls spread evenly over three quarters of the budget
 * (`spacingMs` apart), so a run's end finds a quarter free and its final answer goes out
 * at once. Shared by every renderer writing to the same chat of
 * the same transport (two sessions bound to one chat share its budget); other chats have
 * their own, so a 429 stalls only the chat it was for. The same sliding window serves a
 * bot's budget across chats (accountPacer) and GitHub's per-account limits (ContentPacer).
 */
export class ChatPacer {
  /**
   * The latest `perChat` calls: when each started, moved to when its answer came. The
   * platform counted it somewhere in between, so the window is measured from the answer:
   * network latency can never squeeze more calls into one of the platform's windows.
   */
  private readonly calls: Array<{ at: number }> = [];
  private lastCall = Number.NEGATIVE_INFINITY;
  private blockedUntil = Number.NEGATIVE_INFINITY;

  constructor(
    readonly perChat: number,
    readonly windowMs: number,
  ) {
    if (!(perChat >= 1) || !(windowMs >= 0)) throw new RangeError(`invalid rate budget: ${perChat} per ${windowMs} ms`);
  }

  /** The least time between two paced calls (whole milliseconds: no float drift into a window). */
  get spacingMs(): number {
    return Math.ceil(this.windowMs / (this.perChat - Math.floor(this.perChat / 4)));
  }

  /** The earliest time (≥ now) a call may start; `paced` calls also keep the even spacing. */
  readyAt(now: number, paced: boolean): number {
    let at = Math.max(now, this.blockedUntil);
    if (this.calls.length >= this.perChat) {
      const times = this.calls.map((c) => c.at).sort((a, b) => a - b);
      at = Math.max(at, times[times.length - this.perChat] + this.windowMs);
    }
    if (paced) at = Math.max(at, this.lastCall + this.spacingMs);
    return at;
  }

  /** A call starts now; call the function it returns when its answer (or error) comes. */
  record(now: number): (answeredAt: number) => void {
    const call = { at: now };
    this.calls.push(call);
    if (this.calls.length > this.perChat) this.calls.splice(0, this.calls.length - this.perChat);
    this.lastCall = Math.max(this.lastCall, now);
    return (answeredAt) => {
      call.at = Math.max(call.at, answeredAt);
      this.lastCall = Math.max(this.lastCall, answeredAt);
    };
  }

  /** The platform said to wait until `until`. */
  block(until: number): void {
    this.blockedUntil = Math.max(this.blockedUntil, until);
  }
}

const pacers = new WeakMap<object, Map<string, ChatPacer>>();
const accountPacers = new WeakMap<object, ChatPacer>();

/** The pacer of `chatId` on `transport` (created with `budget` the first time). */
export function chatPacer(transport: object, chatId: string, budget: ChannelCapabilities['rateBudget']): ChatPacer {
  let chats = pacers.get(transport);
  if (!chats) pacers.set(transport, (chats = new Map()));
  let pacer = chats.get(chatId);
  if (!pacer) chats.set(chatId, (pacer = new ChatPacer(budget.perChat, budget.windowMs)));
  return pacer;
}

/**
 * The budget all chats of `transport` share (a bot's overall limit): one window, no spacing
 * of its own. Created with `budget` the first time.
 */
export function accountPacer(transport: object, budget: NonNullable<ChannelCapabilities['accountBudget']>): ChatPacer {
  let pacer = accountPacers.get(transport);
  if (!pacer) accountPacers.set(transport, (pacer = new ChatPacer(budget.perWindow, budget.windowMs)));
  return pacer;
}

/**
 * Resolves once `readyAt(now)` is now or earlier. Asked again after every wait: another
 * caller may have taken the room meanwhile. Record the call at once after it resolves.
 */
export async function untilReady(readyAt: (now: number) => number, clock: RendererClock): Promise<void> {
  for (let now = clock.now(), at = readyAt(now); at > now; now = clock.now(), at = readyAt(now)) {
    await new Promise<void>((resolve) => clock.setTimer(at - now, resolve));
  }
}

/**
 * Runs `call` (a plugin's own message, outside any renderer: the answer to a command) once
 * the bot-wide budget of `transport` allows, counted with the renderers' calls.
 */
export async function accountPaced<T>(transport: object, budget: ChannelCapabilities['accountBudget'], call: () => Promise<T>, clock: RendererClock = systemClock): Promise<T> {
  if (!budget) return call();
  const pacer = accountPacer(transport, budget);
  await untilReady((now) => pacer.readyAt(now, false), clock);
  const answered = pacer.record(clock.now());
  try {
    return await call();
  } finally {
    answered(clock.now());
  }
}

/** How often a paced call is tried again after a 429 before its error is thrown. */
const PACED_TRIES = 5;

/**
 * Runs `call` (a message outside any renderer: an approval request, a command's answer)
 * within the chat's and the bot's budgets, counted with the renderers' calls. A 429 makes
 * this chat wait its retry_after (renderers of the chat wait too) and the call is tried
 * again; after PACED_TRIES of them, or on any other error, the error is thrown.
 */
export async function chatPaced<T>(
  transport: object,
  chatId: string,
  budgets: Pick<ChannelCapabilities, 'rateBudget' | 'accountBudget'>,
  call: () => Promise<T>,
  clock: RendererClock = systemClock,
): Promise<T> {
  const chat = chatPacer(transport, chatId, budgets.rateBudget);
  for (let attempt = 1; ; attempt++) {
    await untilReady((now) => chat.readyAt(now, false), clock);
    const answered = chat.record(clock.now());
    try {
      return await accountPaced(transport, budgets.accountBudget, call, clock);
    } catch (error) {
      const retryAfter = retryAfterOf(error);
      if (retryAfter === null || attempt >= PACED_TRIES) throw error;
      chat.block(clock.now() + retryAfter);
    } finally {
      answered(clock.now());
    }
  }
}
