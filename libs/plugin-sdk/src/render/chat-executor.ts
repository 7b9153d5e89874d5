import { ChannelCapabilities, ChannelTransport, retryAfterOf } from '../channel/channel';
import { RendererClock } from './clock';
import { accountPacer, ChatPacer, chatPacer } from './pacer';
import type { Op } from './render-run';

export interface ExecutorLogger {
  warn(message: string): void;
  error(message: string): void;
}

/** How one send or edit went: done, refused with a 429, or failed otherwise. */
export type RendererCallResult = 'ok' | 'rate_limited' | 'error';

export interface ChatExecutorOptions {
  transport: ChannelTransport;
  chatId: string;
  budgets: Pick<ChannelCapabilities, 'rateBudget' | 'accountBudget'>;
  clock: RendererClock;
  logger: ExecutorLogger;
  /** Wait after the first failure; doubles with each, at most 30 s. */
  backoffMs: number;
  onCall?: (operation: 'send' | 'edit', result: RendererCallResult) => void;
}

/** 429s in a row after which an operation is given up. */
const MAX_RATE_LIMITED = 20;
const MAX_BACKOFF_MS = 30_000;

interface Failure {
  key: string;
  errors: number;
  limited: number;
  retryAt: number;
}

/**
 * Performs one chat's sends and edits within its budgets: the chat's pacer (shared with
 * every renderer of that chat) and the bot's. A 429 makes this chat, and only this chat,
 * wait retryAfterMs; the planner then offers the operation again. Other errors are tried
 * again with backoff up to the operation's `attempts`, then it is given up (logged).
 */
export class ChatExecutor {
  private readonly pacer: ChatPacer;
  /** The bot's budget across chats, where the platform has one. */
  private readonly account: ChatPacer | null;
  private failure: Failure | null = null;

  constructor(private readonly options: ChatExecutorOptions) {
    this.pacer = chatPacer(options.transport, options.chatId, options.budgets.rateBudget);
    this.account = options.budgets.accountBudget ? accountPacer(options.transport, options.budgets.accountBudget) : null;
  }

  /** The earliest time `op` may start. */
  readyAt(op: Op, now: number): number {
    const retryAt = this.failure?.key === op.key ? this.failure.retryAt : 0;
    return Math.max(this.pacer.readyAt(now, op.paced), this.account?.readyAt(now, false) ?? now, retryAt);
  }

  async perform(op: Op): Promise<void> {
    const { transport, chatId, clock, logger, onCall } = this.options;
    const startedAt = clock.now();
    const answeredChat = this.pacer.record(startedAt);
    const answeredAccount = this.account?.record(startedAt);
    try {
      let messageId: string | undefined;
      try {
        const message = { text: op.text, ...(op.buttons ? { buttons: op.buttons } : {}) };
        if (op.kind === 'send') messageId = (await transport.send(chatId, message)).messageId;
        else await transport.edit(chatId, op.messageId!, message);
      } finally {
        const at = clock.now();
        answeredChat(at);
        answeredAccount?.(at);
      }
      this.failure = null;
      onCall?.(op.kind, 'ok');
      op.done(messageId);
      return;
    } catch (error) {
      const failure = this.failure?.key === op.key ? this.failure : (this.failure = { key: op.key, errors: 0, limited: 0, retryAt: 0 });
      const now = clock.now();
      const retryAfter = retryAfterOf(error);
      onCall?.(op.kind, retryAfter === null ? 'error' : 'rate_limited');
      if (retryAfter !== null) {
        failure.limited++;
        this.pacer.block(now + retryAfter);
        if (failure.limited < MAX_RATE_LIMITED) {
          logger.warn(`chat ${chatId}: rate limited ${op.what}; waiting ${retryAfter} ms`);
          return;
        }
      } else {
        failure.errors++;
        if (failure.errors < op.attempts) {
          const wait = Math.min(this.options.backoffMs * 2 ** (failure.errors - 1), MAX_BACKOFF_MS);
          failure.retryAt = now + wait;
          logger.warn(`chat ${chatId}: ${op.what} failed (${describe(error)}); trying again in ${wait} ms`);
          return;
        }
      }
      this.failure = null;
      logger.error(`chat ${chatId}: gave up ${op.what} after ${failure.errors + failure.limited} tries: ${describe(error)}`);
      op.giveUp();
    }
  }
}

export function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
