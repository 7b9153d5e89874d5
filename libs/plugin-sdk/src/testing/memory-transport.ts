import { ChannelCapabilities, ChannelTransport, OutboundButton, OutboundMessage, RateLimitedError } from '../channel/channel';

/** A message as the chat shows it: its text and the buttons under it (none: an empty list). */
export interface MemoryMessage {
  id: string;
  text: string;
  buttons: OutboundButton[];
}
import type { RendererClock } from '../render/clock';

/** Capabilities of a Telegram-like platform; override what a spec needs. */
export const MEMORY_CAPABILITIES: ChannelCapabilities = {
  maxMessageLength: 4096,
  edit: true,
  threads: false,
  buttons: false,
  formatting: 'markdown',
  rateBudget: { perChat: 20, windowMs: 60_000 },
};

/** One call the transport received, whatever became of it. */
export interface MemoryCall {
  at: number;
  kind: 'send' | 'edit';
  chatId: string;
  /** The message edited, or the one a send created; null for a refused send. */
  messageId: string | null;
  text: string;
  outcome: 'ok' | 'rate_limited' | 'refused' | 'failed';
  /** Why it was not ok: "forced", "over budget", "too early" (before retry_after ran out), or the platform's error. */
  reason?: string;
}

export interface MemoryTransportOptions {
  capabilities?: Partial<ChannelCapabilities>;
  /** Timestamps (and latency) come from here; real time by default. */
  clock?: Pick<RendererClock, 'now'> & Partial<Pick<RendererClock, 'setTimer'>>;
  /** Answer 429 to calls over the rate budget, like a real platform (default true). */
  enforceRateBudget?: boolean;
  /**
   * Each call reaches the platform this long after it is made (needs a clock with setTimer):
   * a number, or a function of the call's number (0, 1, …) for jitter; 0 by default.
   */
  latencyMs?: number | ((call: number) => number);
}

/**
 * A strict chat platform in memory, for renderer and plugin specs: chats with messages
 * that can be sent and edited, refusing what a real platform refuses — text over the limit
 * ("message is too long"), empty text ("message text is empty"), an edit that changes
 * nothing ("message is not modified"), an unknown message — and answering 429 with a
 * retry_after to a chat that goes over its budget or comes back too early, or when told
 * to (`rateLimitNext`). Every call is recorded with its time, so specs can check the
 * budget (`maxCallsPerWindow`) and that nothing was refused (`violations`).
 */
export class MemoryTransport implements ChannelTransport {
  readonly capabilities: ChannelCapabilities;
  readonly calls: MemoryCall[] = [];
  private readonly chats = new Map<string, MemoryMessage[]>();
  private readonly blockedUntil = new Map<string, number>();
  private readonly scripted: Array<{ chatId?: string; kind: 'rate_limit'; retryAfterMs: number } | { chatId?: string; kind: 'fail'; message: string }> = [];
  private readonly clock: NonNullable<MemoryTransportOptions['clock']>;
  private readonly enforce: boolean;
  private readonly latencyMs: (call: number) => number;
  private made = 0;
  private nextId = 1;

  constructor(options: MemoryTransportOptions = {}) {
    this.capabilities = {
      ...MEMORY_CAPABILITIES,
      ...options.capabilities,
      rateBudget: { ...MEMORY_CAPABILITIES.rateBudget, ...options.capabilities?.rateBudget },
    };
    this.clock = options.clock ?? { now: () => Date.now() };
    this.enforce = options.enforceRateBudget ?? true;
    const latency = options.latencyMs ?? 0;
    this.latencyMs = typeof latency === 'number' ? () => latency : latency;
  }

  async send(chatId: string, message: OutboundMessage): Promise<{ messageId: string }> {
    await this.latency();
    const call = this.begin('send', chatId, null, message.text);
    const id = String(this.nextId++);
    this.check(call, message.text, message.buttons);
    this.chat(chatId).push({ id, text: message.text, buttons: message.buttons ?? [] });
    call.messageId = id;
    return { messageId: id };
  }

  async edit(chatId: string, messageId: string, message: OutboundMessage): Promise<void> {
    await this.latency();
    const call = this.begin('edit', chatId, messageId, message.text);
    const shown = this.chat(chatId).find((m) => m.id === messageId);
    if (!shown) this.refuse(call, 'message to edit not found');
    const buttons = message.buttons ?? [];
    this.check(call, message.text, buttons);
    // Like Telegram: an edit that changes neither the text nor the buttons is refused.
    if (shown.text === message.text && JSON.stringify(shown.buttons) === JSON.stringify(buttons)) this.refuse(call, 'message is not modified');
    Object.assign(shown, { text: message.text, buttons });
  }

  /** What the chat shows, oldest first. */
  messages(chatId: string): MemoryMessage[] {
    return this.chat(chatId).map((m) => ({ ...m }));
  }

  /** The next call (to `chatId`, or to any chat) is answered 429 with this retry_after. */
  rateLimitNext(retryAfterMs: number, chatId?: string): void {
    this.scripted.push({ kind: 'rate_limit', retryAfterMs, ...(chatId !== undefined && { chatId }) });
  }

  /** The next `times` calls (to `chatId`, or to any chat) fail with a plain error (a 500, a network error). */
  failNext(message = 'internal server error', chatId?: string, times = 1): void {
    for (let i = 0; i < times; i++) this.scripted.push({ kind: 'fail', message, ...(chatId !== undefined && { chatId }) });
  }

  /** Calls to `chatId` (or all), oldest first. */
  callsTo(chatId?: string): MemoryCall[] {
    return this.calls.filter((c) => chatId === undefined || c.chatId === chatId);
  }

  /** The most calls to `chatId` that fell in any one budget window ((t - windowMs, t]). */
  maxCallsPerWindow(chatId: string): number {
    return maxPerWindow(
      this.callsTo(chatId).map((c) => c.at),
      this.capabilities.rateBudget.windowMs,
    );
  }

  /** Calls a careful client never makes: refused ones, and 429s it caused itself. */
  violations(chatId?: string): MemoryCall[] {
    return this.callsTo(chatId).filter((c) => c.outcome === 'refused' || (c.outcome === 'rate_limited' && c.reason !== 'forced'));
  }

  private chat(chatId: string): MemoryMessage[] {
    let chat = this.chats.get(chatId);
    if (!chat) this.chats.set(chatId, (chat = []));
    return chat;
  }

  /** Records the call and answers 429 or fails it when it should. */
  private begin(kind: MemoryCall['kind'], chatId: string, messageId: string | null, text: string): MemoryCall {
    const now = this.clock.now();
    const earlier = this.callsTo(chatId).map((c) => c.at);
    const call: MemoryCall = { at: now, kind, chatId, messageId, text, outcome: 'ok' };
    this.calls.push(call);
    const blocked = this.blockedUntil.get(chatId) ?? Number.NEGATIVE_INFINITY;
    if (now < blocked) this.rateLimit(call, blocked - now, 'too early');
    const scripted = this.scripted.findIndex((s) => s.chatId === undefined || s.chatId === chatId);
    if (scripted !== -1) {
      const [next] = this.scripted.splice(scripted, 1);
      if (next.kind === 'rate_limit') this.rateLimit(call, next.retryAfterMs, 'forced');
      call.outcome = 'failed';
      call.reason = next.message;
      throw new Error(next.message);
    }
    const { perChat, windowMs } = this.capabilities.rateBudget;
    const inWindow = earlier.filter((at) => at > now - windowMs);
    if (this.enforce && inWindow.length >= perChat) this.rateLimit(call, inWindow[inWindow.length - perChat] + windowMs - now, 'over budget');
    return call;
  }

  private rateLimit(call: MemoryCall, retryAfterMs: number, reason: string): never {
    call.outcome = 'rate_limited';
    call.reason = reason;
    const until = call.at + retryAfterMs;
    this.blockedUntil.set(call.chatId, Math.max(until, this.blockedUntil.get(call.chatId) ?? 0));
    throw new RateLimitedError(retryAfterMs, `Too Many Requests: retry after ${retryAfterMs} ms (${reason})`);
  }

  private check(call: MemoryCall, text: string, buttons: OutboundButton[] = []): void {
    if (!text.trim()) this.refuse(call, 'message text is empty');
    if (text.length > this.capabilities.maxMessageLength) this.refuse(call, 'message is too long');
    if (buttons.length > 0 && !this.capabilities.buttons) this.refuse(call, 'this platform has no buttons');
  }

  private refuse(call: MemoryCall, reason: string): never {
    call.outcome = 'refused';
    call.reason = reason;
    throw new Error(`Bad Request: ${reason}`);
  }

  private latency(): Promise<void> {
    const { setTimer } = this.clock;
    const ms = this.latencyMs(this.made++);
    if (ms > 0 && setTimer) return new Promise((resolve) => setTimer.call(this.clock, ms, resolve));
    return Promise.resolve();
  }
}

/** The most of `times` (ms) that fall in any one window (t - windowMs, t]. */
export function maxPerWindow(times: readonly number[], windowMs: number): number {
  const sorted = [...times].sort((a, b) => a - b);
  let most = 0;
  for (let end = 0, start = 0; end < sorted.length; end++) {
    while (sorted[start] <= sorted[end] - windowMs) start++;
    most = Math.max(most, end - start + 1);
  }
  return most;
}
