import type { InboundMessageV1, OutputEventV1, Role } from '@patchbay/contracts';

/** What a platform allows; the renderer shapes output to fit. */
export interface ChannelCapabilities {
  /** Longest message text the platform accepts (Telegram 4096, Discord 2000). */
  maxMessageLength: number;
  /** Messages can be edited after sending (output streams into one message). */
  edit: boolean;
  threads: boolean;
  buttons: boolean;
  /** How `**bold**`-style markdown in agent output is sent; plain never fails to parse. */
  formatting: 'markdown' | 'html' | 'plain';
  /** Sends and edits per chat the renderer allows itself within `windowMs`. */
  rateBudget: { perChat: number; windowMs: number };
  /** Sends and edits across all chats of the bot within `windowMs` (Telegram: about 30 a second). */
  accountBudget?: { perWindow: number; windowMs: number };
}

export interface OutboundButton {
  /** Comes back in the inbound message when pressed (e.g. `stop:<session>`). */
  id: string;
  label: string;
}

export interface OutboundMessage {
  text: string;
  /** Shown under the text; an edit without buttons takes the message's buttons away. */
  buttons?: OutboundButton[];
}

/** The platform said to wait (HTTP 429 and its retry_after); only this chat waits. */
export class RateLimitedError extends Error {
  constructor(
    readonly retryAfterMs: number,
    message = `rate limited: retry after ${retryAfterMs} ms`,
  ) {
    super(message);
    this.name = 'RateLimitedError';
  }
}

/** retryAfterMs of a 429, also from a RateLimitedError of another copy of this module; null for any other error. */
export function retryAfterOf(error: unknown): number | null {
  if (error instanceof RateLimitedError) return Math.max(0, error.retryAfterMs);
  if (error instanceof Error && error.name === 'RateLimitedError') {
    const ms = (error as { retryAfterMs?: unknown }).retryAfterMs;
    if (typeof ms === 'number' && Number.isFinite(ms)) return Math.max(0, ms);
  }
  return null;
}

/** The two things the renderer asks of a platform. */
export interface ChannelTransport {
  send(chatId: string, message: OutboundMessage): Promise<{ messageId: string }>;
  edit(chatId: string, messageId: string, message: OutboundMessage): Promise<void>;
}

/** What the gateway gives a plugin when it starts it. */
export interface ChannelContext {
  /** Hands a user's message to the engine; resolves with its answer (or `queued`). */
  submit(message: InboundMessageV1): Promise<{ reply?: string; buttons?: OutboundButton[]; queued?: true }>;
  /**
   * The role the platform user `senderId` has on this channel (null: unknown, a message from
   * them gets a pairing code). For side effects before a message is submitted, like opening
   * a thread; the engine still decides on the message itself. Rejects when the engine is not
   * reachable.
   */
  roleOf(senderId: string): Promise<Role | null>;
}

/**
 * A channel plugin: a package under plugins/ that connects one platform. It declares what
 * the platform can do, turns platform events into InboundMessageV1 (through `submit`), and
 * sends and edits messages for the renderer.
 */
export interface ChannelPlugin extends ChannelTransport {
  readonly id: string;
  readonly capabilities: ChannelCapabilities;
  /** The budget of one chat, where it differs from `capabilities.rateBudget` (Telegram: private chats allow more than groups). */
  rateBudgetOf?(chatId: string): ChannelCapabilities['rateBudget'];
  start(context: ChannelContext): Promise<void>;
  stop(): Promise<void>;
  /**
   * Optional: each output event of a session a chat of this plugin follows, in seq order
   * (repeats possible), beside what the renderer shows; for platform state that follows a
   * run's lifecycle, like GitHub's status labels. Must not throw or block.
   */
  onSessionEvent?(chatId: string, event: OutputEventV1): void;
}
