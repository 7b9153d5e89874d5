import { Logger } from '@nestjs/common';
import { timingSafeEqual } from 'node:crypto';
import { Bot, Context, GrammyError, HttpError } from 'grammy';
import type { Update } from 'grammy/types';
import { InboundMessageV1 } from '@patchbay/contracts';
import { ChannelCapabilities, chatPaced, ChannelContext, ChannelPlugin, commandOfButton, OutboundMessage, RateLimitedError } from '@patchbay/plugin-sdk';
import { describeTelegramError } from './telegram-errors';
import { toTelegramHtml } from './telegram-format';

export interface TelegramOptions {
  token: string;
  /** A local Bot API server (TELEGRAM_API_ROOT); Telegram's own by default. */
  apiRoot?: string;
  mode: 'polling' | 'webhook';
  webhookUrl?: string;
  webhookSecret?: string;
  /** html (default): markdown shown formatted; plain: text as the agent wrote it. */
  format?: 'html' | 'plain';
}

/** Thrown for a webhook call without the configured secret. */
export class WebhookSecretError extends Error {}

/** Thrown for a webhook call with the right secret whose body is not a Telegram update. */
export class InvalidUpdateError extends Error {}

/** Thrown (already logged, on one line without the token) for a webhook update whose handling failed. */
export class UpdateFailedError extends Error {}

/**
 * Telegram through grammy: long polling (or a webhook), private chats, groups and forum
 * topics (a topic is its own chat: `<chat id>:<topic id>`), HTML formatting with a plain
 * fallback, a Stop button. Updates are deduplicated by update_id.
 */
export class TelegramPlugin implements ChannelPlugin {
  readonly id = 'telegram';
  readonly capabilities: ChannelCapabilities;
  private readonly logger = new Logger(TelegramPlugin.name);
  private readonly bot: Bot;
  private polling?: Promise<void>;

  constructor(private readonly options: TelegramOptions) {
    this.bot = new Bot(options.token, { client: options.apiRoot ? { apiRoot: options.apiRoot } : {} });
    this.capabilities = {
      maxMessageLength: 4096,
      edit: true,
      threads: true,
      buttons: true,
      formatting: options.format ?? 'html',
      // Telegram allows about 20 messages a minute in a group (edits count too) and short
      // bursts of a few a second: 3 per 9 s keeps within both.
      rateBudget: { perChat: 3, windowMs: 9_000 },
      // A bot may send about 30 messages a second in all; the rest for replies and buttons.
      accountBudget: { perWindow: 25, windowMs: 1_000 },
    };
  }

  /** A private chat (a positive chat id) allows about one message a second: 3 per 3.5 s. */
  rateBudgetOf(chatId: string): ChannelCapabilities['rateBudget'] {
    return parseChat(chatId).chat > 0 ? PRIVATE_CHAT_BUDGET : this.capabilities.rateBudget;
  }

  async start(context: ChannelContext): Promise<void> {
    this.bot.on('message:text', (ctx) => this.onText(ctx, context));
    this.bot.on('callback_query:data', (ctx) => this.onButton(ctx, context));
    this.bot.catch((error) => this.logger.error(describeTelegramError(error, this.options.token)));
    await this.bot.init();
    this.logger.log(`Telegram bot @${this.bot.botInfo.username} (${this.options.mode})`);
    if (this.options.mode === 'webhook') {
      if (!this.options.webhookUrl || !this.options.webhookSecret) throw new Error('telegram.webhookUrl and telegram.webhookSecret are needed in webhook mode');
      await this.bot.api.setWebhook(this.options.webhookUrl, { secret_token: this.options.webhookSecret, allowed_updates: ['message', 'callback_query'] });
      return;
    }
    await this.bot.api.deleteWebhook();
    // Updates are confirmed only after they were handled: a crash gets them again, and
    // the engine's dedup (update_id) makes that harmless.
    this.polling = this.bot.start({ allowed_updates: ['message', 'callback_query'] });
  }

  /**
   * Webhook mode: the bytes POSTed to /webhooks/telegram, with their secret header. The
   * secret is checked before the body is parsed. A failure is logged here on one line
   * without the bot token and leaves as UpdateFailedError (Telegram delivers it again).
   */
  async handleWebhook(body: Buffer, secret: string | undefined): Promise<void> {
    const expected = Buffer.from(this.options.webhookSecret ?? '');
    const given = Buffer.from(secret ?? '');
    if (!expected.length || given.length !== expected.length || !timingSafeEqual(given, expected)) {
      throw new WebhookSecretError('wrong or missing X-Telegram-Bot-Api-Secret-Token');
    }
    const update = parseUpdate(body);
    try {
      await this.bot.handleUpdate(update);
    } catch (error) {
      const described = describeTelegramError(error, this.options.token);
      this.logger.error(described);
      throw new UpdateFailedError(described);
    }
  }

  async stop(): Promise<void> {
    if (this.polling) {
      await this.bot.stop();
      await this.polling;
    }
  }

  async send(chatId: string, message: OutboundMessage): Promise<{ messageId: string }> {
    const { chat, thread } = parseChat(chatId);
    const sent = await this.withFallback(message, (text, html) =>
      this.bot.api.sendMessage(chat, text, {
        ...(html ? { parse_mode: 'HTML' as const } : {}),
        ...(thread ? { message_thread_id: thread } : {}),
        ...markup(message),
      }),
    );
    return { messageId: String(sent.message_id) };
  }

  async edit(chatId: string, messageId: string, message: OutboundMessage): Promise<void> {
    const { chat } = parseChat(chatId);
    try {
      await this.withFallback(message, (text, html) =>
        this.bot.api.editMessageText(chat, Number(messageId), text, { ...(html ? { parse_mode: 'HTML' as const } : {}), ...markup(message) }),
      );
    } catch (error) {
      // The chat already shows exactly this: nothing to do.
      if (error instanceof GrammyError && error.description.includes('message is not modified')) return;
      throw error;
    }
  }

  /** Sends as HTML; markup Telegram cannot parse goes again as plain text. 429 → RateLimitedError. */
  private async withFallback<T>(message: OutboundMessage, call: (text: string, html: boolean) => Promise<T>): Promise<T> {
    if (this.capabilities.formatting === 'plain') return rateLimited(() => call(message.text, false));
    try {
      return await call(toTelegramHtml(message.text), true);
    } catch (error) {
      if (error instanceof GrammyError && error.description.includes("can't parse entities")) {
        return rateLimited(() => call(message.text, false));
      }
      throw asRateLimited(error);
    }
  }

  private async onText(ctx: Context, context: ChannelContext): Promise<void> {
    const msg = ctx.message!;
    // A message without a sender (Telegram leaves `from` out for some chats): nobody to
    // identify or answer, so it is ignored; answering it 200 keeps Telegram from retrying.
    if (!ctx.from) {
      this.logger.log(`update ${ctx.update.update_id} in chat ${msg.chat.id} has no sender: ignored`);
      return;
    }
    const thread = msg.is_topic_message ? msg.message_thread_id : undefined;
    const answer = await context.submit(this.inbound(ctx.update.update_id, msg.chat.id, thread, ctx.from, msg.text!, msg.date));
    const reply = answer.queued ? 'Got it. Patchbay is busy or restarting; your message runs as soon as it is back.' : answer.reply;
    if (!reply) return;
    // Counted with the renderers' sends, in the chat's own budget (a group takes a few a second)
    // and the bot's; a 429 is waited out, so an answer is never lost to a busy chat.
    const chatId = thread ? `${msg.chat.id}:${thread}` : String(msg.chat.id);
    await chatPaced(this, chatId, { rateBudget: this.rateBudgetOf(chatId), accountBudget: this.capabilities.accountBudget }, () =>
      ctx.reply(reply, { ...(thread ? { message_thread_id: thread } : {}), ...markup({ text: reply, buttons: answer.buttons }) }),
    );
  }

  /** Buttons carry commands (Stop, approve a pairing): pressed, they act as that command from the chat. */
  private async onButton(ctx: Context, context: ChannelContext): Promise<void> {
    const query = ctx.callbackQuery!;
    const message = query.message;
    const command = commandOfButton(query.data!);
    if (!message || !command) {
      await ctx.answerCallbackQuery({ text: 'This button no longer works.' });
      return;
    }
    const thread = 'is_topic_message' in message && message.is_topic_message ? message.message_thread_id : undefined;
    const answer = await context.submit(this.inbound(ctx.update.update_id, message.chat.id, thread, query.from, command, Math.floor(Date.now() / 1000)));
    await ctx.answerCallbackQuery({ text: (answer.reply ?? 'Done.').slice(0, 190) });
  }

  private inbound(
    updateId: number,
    chat: number,
    thread: number | undefined,
    from: { id: number; first_name: string; last_name?: string; username?: string },
    text: string,
    date: number,
  ): InboundMessageV1 {
    return {
      channel: 'telegram',
      accountId: String(this.bot.botInfo.id),
      messageId: String(updateId),
      chatId: thread ? `${chat}:${thread}` : String(chat),
      sender: { id: String(from.id), name: [from.first_name, from.last_name].filter(Boolean).join(' ') || from.username },
      text,
      receivedAt: new Date(date * 1000).toISOString(),
    };
  }
}

/** A webhook body as an update: JSON with a numeric update_id, else InvalidUpdateError naming what is wrong. */
function parseUpdate(body: Buffer): Update {
  let update: unknown;
  try {
    update = JSON.parse(body.toString('utf8'));
  } catch {
    throw new InvalidUpdateError('the body is not JSON');
  }
  if (typeof update !== 'object' || update === null || !Number.isInteger((update as { update_id?: unknown }).update_id)) {
    throw new InvalidUpdateError('the body is not a Telegram update (no numeric update_id)');
  }
  return update as Update;
}

const PRIVATE_CHAT_BUDGET = { perChat: 3, windowMs: 3_500 };

/** One button a row: labels like "Approve Mallory Smith" stay readable on a phone. */
function markup(message: OutboundMessage) {
  if (!message.buttons?.length) return {};
  return { reply_markup: { inline_keyboard: message.buttons.map((b) => [{ text: b.label, callback_data: b.id }]) } };
}

function parseChat(chatId: string): { chat: number; thread?: number } {
  const [chat, thread] = chatId.split(':');
  return { chat: Number(chat), ...(thread ? { thread: Number(thread) } : {}) };
}

function asRateLimited(error: unknown): unknown {
  if (error instanceof GrammyError && error.error_code === 429) {
    return new RateLimitedError((error.parameters.retry_after ?? 1) * 1000, error.description);
  }
  if (error instanceof HttpError) return new Error(`Telegram unreachable: ${error.message}`);
  return error;
}

async function rateLimited<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw asRateLimited(error);
  }
}
