import { ClientRequest, IncomingMessage, request as httpRequest, Server, ServerResponse } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { isIP } from 'node:net';
import { closeServer, listenOnLoopback, readBody } from '../http';
import { codePointLength, detectEntities, EntityParseError, fixFormattedText, FormattedText, MessageEntity, parseFormattedText, toInteger } from './telegram-text';

export type { MessageEntity } from './telegram-text';

/**
 * A strict local fake of the Telegram Bot API (https://core.telegram.org/bots/api), good enough
 * for the real `grammy` client to run against it with `new Bot(token, { client: { apiRoot } })`
 * (our env name: TELEGRAM_API_ROOT).
 *
 * Wire protocol, as the real server (tdlib/telegram-bot-api) does it
 *   - `POST|GET <apiRoot>/bot<token>/<method>`; method names are case-insensitive; an empty
 *     method name is taken from the `method` parameter.
 *   - Parameters from the query string and from the body: `application/json` (any other or
 *     missing content type is read as JSON too, like the real server),
 *     `application/x-www-form-urlencoded` or `multipart/form-data`. As in the real server every
 *     parameter becomes a string first: JSON strings are taken as is, other JSON values as
 *     their JSON text, so `reply_markup` may be an object (JSON body) or a JSON-serialised
 *     string (form/multipart). A body that is not valid JSON is ignored (the server only logs it).
 *   - Answers `{"ok":true,"result":…}` (plus `description` where the real API adds one, e.g.
 *     "Webhook was set"), errors `{"ok":false,"error_code":N,"description":"…"}` with HTTP status
 *     N, and 429 with `"parameters":{"retry_after":N}`.
 *   - The configured token works; a well-formed other token (`<digits>:<chars>`) gets
 *     401 "Unauthorized", a malformed one or a path not starting with /bot 404 "Not Found",
 *     the test environment (`/bot<token>/test/<method>`) 401; an unknown method 404 "Not Found"
 *     (api.telegram.org's wording; the open-source server says "Not Found: method not found").
 *
 * Methods: getMe, getUpdates, sendMessage, editMessageText, deleteMessage, answerCallbackQuery,
 * setWebhook, deleteWebhook, getWebhookInfo, setMyCommands, getMyCommands, deleteMyCommands,
 * sendChatAction. Any other method, real or not, is 404 "Not Found".
 *
 * Errors are worded exactly as the real API words them (messages taken from the tdlib /
 * telegram-bot-api sources), in the order the real server checks them. See the spec
 * (fake-telegram-api.int-spec.ts) for the full list; the main ones:
 *   "Bad Request: message text is empty", "Bad Request: text must be non-empty" (only spaces /
 *   newlines after parsing), "Bad Request: message is too long" (more than 4096 characters after
 *   entity parsing: tdlib counts Unicode code points, so an emoji counts 1, not 2),
 *   "Bad Request: text is too long" (raw text over 32768 UTF-8 bytes), "Bad Request: can't parse
 *   entities: …" (tdlib's MarkdownV2/HTML parsers, ported in telegram-text.ts),
 *   "Bad Request: unsupported parse_mode", "Bad Request: chat not found", "Bad Request: chat_id
 *   is empty", "Bad Request: message thread not found", "Bad Request: message to be replied not
 *   found", "Bad Request: message to edit not found", "Bad Request: message can't be edited",
 *   "Bad Request: message is not modified: …", "Bad Request: BUTTON_DATA_INVALID",
 *   "Bad Request: query is too old and response timeout expired or query ID is invalid",
 *   "Forbidden: bot was blocked by the user", 409 "Conflict: can't use getUpdates method while
 *   webhook is active; use deleteWebhook to delete the webhook first", 409 "Conflict:
 *   terminated by other getUpdates request; make sure that only one bot instance is running",
 *   429 "Too Many Requests: retry after N".
 *
 * Behaviour worth knowing (all as the real API):
 *   - editMessageText without `reply_markup` removes the message's inline keyboard.
 *   - getUpdates `offset` forgets every update below it; a negative offset keeps the last -offset
 *     updates; `timeout` is capped at 50 s; `limit` is clamped to 1..100; `allowed_updates` is
 *     remembered (`[]` = the default set) and applies to updates created afterwards.
 *   - A long poll is answered ~1 ms after the first update arrives; a second long poll ends the
 *     first with 409 "terminated by other getUpdates request"; setWebhook ends it with 409
 *     "Conflict: terminated by setWebhook request".
 *   - Webhook: updates are POSTed one at a time, in order, with `Content-Type: application/json`
 *     and `X-Telegram-Bot-Api-Secret-Token` when a secret is set. A non-2xx answer or a network
 *     error is kept as last_error_date / last_error_message ("Wrong response from the webhook:
 *     401 Unauthorized", "Connection refused", "Read timeout expired") and retried: first at
 *     once, then after 2, 4, 8 … × `webhookRetryBaseMs` (max 60 s), or after the answer's
 *     Retry-After. A 2xx answer whose JSON body has a `method` is executed as an API call
 *     (webhook reply; not for get*, setWebhook, deleteWebhook, close, logOut).
 *     setWebhook more than once a second gets 429 retry after 1. A setWebhook that fails
 *     validation (bad URL or secret) still removes the previous webhook, as the real server does.
 *
 * Deliberate differences from the real API (for a local test double):
 *   - http:// webhook URLs on any port are accepted unless `requireHttpsWebhook` is set (then
 *     "Bad Request: bad webhook: An HTTPS URL must be provided for webhook"); setWebhook does not
 *     probe the URL.
 *   - The real server holds a repeated getUpdates (same offset, timeout < 3, within 3 s of the
 *     previous one) for 3 s; off unless `emulatePollThrottle`. It also delays a 409 conflict
 *     answer by 3 s when conflicts repeat; the fake answers at once.
 *   - Per-chat flood limits are a model (see RateLimitOptions), not Telegram's secret algorithm.
 *   - Inline messages (inline_message_id), rich messages, media and legacy Markdown parsing are
 *     not supported (legacy Markdown is accepted as plain text).
 *
 * Usage
 *   const fake = new FakeTelegramApi();               // options: rateLimit, clock, webhook timings …
 *   const apiRoot = await fake.start();               // e.g. http://127.0.0.1:40123
 *   fake.addChat({ id: 111, type: 'private', first_name: 'Alice' });
 *   const bot = new Bot(FAKE_BOT_TOKEN, { client: { apiRoot } });
 *   fake.userSends({ chatId: 111, from: { id: 111, first_name: 'Alice' }, text: '/start' });
 *   const reply = await fake.waitForCall((c) => c.method === 'sendMessage');
 *   expect(fake.unexpected()).toEqual([]);
 *   await fake.stop();
 *
 * Test side: `chats` (messages as they look now, with edit history), `addChat`, `addTopic`,
 * `userSends`, `userPresses`, `userBlocksBot`, `calls` (every request with its parameters,
 * status and timestamps), `unexpected()`, `expectError()`, `rateLimitNext()`,
 * `webhookDeliveries`, `waitForCall()`, `waitForDelivery()`, `peakRate()`.
 */

/** Token the fake accepts by default. The bot id is the part before ':'. */
export const FAKE_BOT_TOKEN = '7000000001:AAF4keT0kenForPatchbayTests_abcdefg';

export type ChatType = 'private' | 'group' | 'supergroup';

export interface TelegramUser {
  id: number;
  is_bot: boolean;
  first_name: string;
  last_name?: string;
  username?: string;
  language_code?: string;
}

/** A user as tests describe them (is_bot defaults to false). */
export interface UserInput {
  id: number;
  first_name: string;
  last_name?: string;
  username?: string;
  language_code?: string;
}

export interface InlineKeyboardButton {
  text: string;
  callback_data?: string;
  url?: string;
  [field: string]: unknown;
}

export interface InlineKeyboardMarkup {
  inline_keyboard: InlineKeyboardButton[][];
}

export interface MessageVersion {
  text: string;
  entities: MessageEntity[];
  reply_markup?: InlineKeyboardMarkup;
  /** When this version was replaced (ms). */
  replacedAt: number;
}

/** A message as it is now (after edits). */
export interface FakeMessage {
  message_id: number;
  chat_id: number;
  from: TelegramUser;
  /** Unix seconds. */
  date: number;
  text: string;
  entities: MessageEntity[];
  reply_markup?: InlineKeyboardMarkup;
  message_thread_id?: number;
  reply_to_message_id?: number;
  edit_date?: number;
  sentByBot: boolean;
  /** The parse_mode the bot used last (sendMessage / editMessageText), '' for none. */
  parse_mode?: string;
  /** Earlier versions, oldest first, one per successful edit. */
  history: MessageVersion[];
  deleted: boolean;
}

export interface FakeChat {
  id: number;
  type: ChatType;
  title?: string;
  username?: string;
  first_name?: string;
  last_name?: string;
  is_forum: boolean;
  /** Forum topics: message_thread_id → name (the General topic, id 1, is implicit). */
  topics: Map<number, string>;
  /** Every message, in order, as shown now (deleted ones have `deleted: true`). */
  messages: FakeMessage[];
  /** Private chats: the user blocked the bot (sendMessage → 403). */
  blocked: boolean;
  chat_instance: string;
  nextMessageId: number;
}

export interface AddChatInput {
  id: number;
  type: ChatType;
  title?: string;
  username?: string;
  first_name?: string;
  last_name?: string;
  is_forum?: boolean;
}

export interface RecordedCall {
  seq: number;
  /** When the request arrived (ms since epoch, from the fake's clock). */
  at: number;
  /** When it was answered; undefined while pending (a held long poll). */
  finishedAt?: number;
  /** The method as requested (path casing kept), e.g. `sendMessage`. */
  method: string;
  httpMethod: string;
  /** The Content-Type header ('' when none). grammy sends `application/json` for everything without files. */
  contentType: string;
  bodyKind: 'json' | 'form' | 'multipart' | 'none';
  /**
   * Decoded parameters: the JSON body as sent, or for form/multipart/query the string values,
   * with the JSON-valued fields (reply_markup, reply_parameters, entities, allowed_updates,
   * commands, scope, link_preview_options) parsed when they are valid JSON.
   */
  params: Record<string, unknown>;
  files: Array<{ field: string; filename: string; size: number }>;
  /** The chat the call names, resolved to its numeric id when the fake knows it. */
  chatId?: number;
  /** HTTP status; 0 while pending or when the client went away first. */
  status: number;
  ok?: boolean;
  result?: unknown;
  errorCode?: number;
  description?: string;
  retryAfter?: number;
  /** The error was provoked on purpose (rateLimitNext, or matched an expectError). */
  expected: boolean;
  /** The client closed the connection before the answer (e.g. grammy aborting a long poll on bot.stop()). */
  aborted: boolean;
  /** Executed from a webhook response body rather than an HTTP request. */
  viaWebhookReply: boolean;
}

export interface WebhookDelivery {
  seq: number;
  update_id: number;
  url: string;
  at: number;
  finishedAt?: number;
  /** The X-Telegram-Bot-Api-Secret-Token header sent, if any. */
  secretToken?: string;
  /** HTTP status of the webhook's answer; 0 when there was none (network error, timeout). */
  status: number;
  /** As shown in getWebhookInfo.last_error_message, when the delivery failed. */
  error?: string;
  /** The method of a webhook reply found in the answer body, if any. */
  replyMethod?: string;
}

export interface CallbackAnswer {
  callback_query_id: string;
  text?: string;
  show_alert: boolean;
  url?: string;
  cache_time?: number;
  at: number;
}

export interface RateWindow {
  /** More than `limit` accepted calls within `windowMs` → 429. */
  limit: number;
  windowMs: number;
}

export interface RateLimitOptions {
  /** Windows for private chats. Default bursts of 3/s, sustained 1/s: [{3, 1000}, {60, 60000}]. */
  private?: RateWindow[];
  /** Windows for groups and supergroups. Default [{3, 1000}, {20, 60000}] (Telegram's 20 per minute). */
  group?: RateWindow[];
  /** Across all chats. Default [{30, 1000}]. */
  global?: RateWindow[];
  /** Methods that count (case-insensitive). Default sendMessage, editMessageText. */
  methods?: string[];
}

export interface FakeTelegramApiOptions {
  token?: string;
  bot?: { first_name?: string; username?: string };
  /** Automatic flood limits; `false` turns them off. Default on (see RateLimitOptions). */
  rateLimit?: false | RateLimitOptions;
  /** update_id of the first update. Default 10000. */
  firstUpdateId?: number;
  /** How long a callback query can be answered. Default 15000 ms. */
  callbackQueryTimeoutMs?: number;
  /** Base of the webhook retry backoff (the 2nd retry waits 2×, then 4×, … capped at 60 s). Default 1000. */
  webhookRetryBaseMs?: number;
  /** How long to wait for the webhook's answer. Default 10000 ms. */
  webhookTimeoutMs?: number;
  /** Refuse http:// webhooks and ports other than 80/88/443/8443, as the real API. Default false. */
  requireHttpsWebhook?: boolean;
  /** The real server's 3 s hold of repeated short getUpdates calls. Default false. */
  emulatePollThrottle?: boolean;
  /** Minimum time between two setWebhook calls with a URL (429 retry after 1). Default 1000 ms. */
  setWebhookCooldownMs?: number;
  /** Time source (ms). Default Date.now. */
  clock?: () => number;
}

export interface ErrorMatcher {
  method?: string;
  errorCode?: number;
  description?: string | RegExp;
  /** How many matching errors this covers. Default 1; Infinity for all. */
  times?: number;
}

interface HandlerResult {
  result: unknown;
  description?: string;
}

class ApiError extends Error {
  constructor(
    readonly code: number,
    readonly description: string,
    readonly retryAfter?: number,
  ) {
    super(description);
  }
}

const badRequest = (message: string): ApiError => new ApiError(400, `Bad Request: ${message}`);
const tooManyRequests = (seconds: number): ApiError => new ApiError(429, `Too Many Requests: retry after ${seconds}`, seconds);

const NOT_MODIFIED = 'message is not modified: specified new message content and reply markup are exactly the same as a current content and reply markup of the message';
const CONFLICT_WEBHOOK_ACTIVE = "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first";
const CONFLICT_OTHER_GET_UPDATES = 'Conflict: terminated by other getUpdates request; make sure that only one bot instance is running';
const CONFLICT_SET_WEBHOOK = 'Conflict: terminated by setWebhook request';
const QUERY_INVALID = 'query is too old and response timeout expired or query ID is invalid';

/** Update types known to the Bot API (for allowed_updates). */
const UPDATE_TYPES = [
  'message',
  'edited_message',
  'channel_post',
  'edited_channel_post',
  'business_connection',
  'business_message',
  'edited_business_message',
  'deleted_business_messages',
  'message_reaction',
  'message_reaction_count',
  'inline_query',
  'chosen_inline_result',
  'callback_query',
  'shipping_query',
  'pre_checkout_query',
  'purchased_paid_media',
  'poll',
  'poll_answer',
  'my_chat_member',
  'chat_member',
  'chat_join_request',
  'chat_boost',
  'removed_chat_boost',
];
const NOT_DEFAULT_UPDATE_TYPES = new Set(['chat_member', 'message_reaction', 'message_reaction_count']);
const DEFAULT_ALLOWED_UPDATES = UPDATE_TYPES.filter((t) => !NOT_DEFAULT_UPDATE_TYPES.has(t));

const CHAT_ACTIONS = new Set([
  'cancel',
  'typing',
  'record_video',
  'upload_video',
  'record_audio',
  'record_voice',
  'upload_audio',
  'upload_voice',
  'upload_photo',
  'upload_document',
  'choose_sticker',
  'pick_up_location',
  'find_location',
  'record_video_note',
  'upload_video_note',
]);

const JSON_FIELDS = new Set(['reply_markup', 'reply_parameters', 'entities', 'allowed_updates', 'commands', 'scope', 'link_preview_options']);

const INLINE_BUTTON_TYPES = [
  'url',
  'callback_data',
  'callback_game',
  'pay',
  'switch_inline_query',
  'switch_inline_query_chosen_chat',
  'switch_inline_query_current_chat',
  'login_url',
  'web_app',
  'copy_text',
];

/** Request parameters as the real server sees them: every value a string; first occurrence wins. */
class Args {
  constructor(private readonly entries: Array<[string, string]>) {}

  str(name: string): string {
    const entry = this.entries.find(([key]) => key === name);
    return entry ? entry[1] : '';
  }

  has(name: string): boolean {
    return this.entries.some(([key]) => key === name);
  }

  /** Client::to_bool */
  bool(name: string): boolean {
    const value = this.str(name).trim().toLowerCase();
    return value === 'true' || value === 'yes' || value === '1';
  }

  /** Client::get_integer_arg */
  int(name: string, defaultValue: number, min = -2147483648, max = 2147483647): number {
    const raw = this.str(name);
    const value = raw === '' ? defaultValue : toInteger(raw);
    return Math.min(max, Math.max(min, value));
  }

  /** Client::get_message_id / get_forum_topic_id: a non-negative integer, 0 when absent. */
  id(name: string): number {
    const raw = this.str(name);
    if (raw === '') return 0;
    const value = toInteger(raw);
    return value < 0 ? 0 : value;
  }
}

interface ParsedRequest {
  args: Args;
  params: Record<string, unknown>;
  files: RecordedCall['files'];
  bodyKind: RecordedCall['bodyKind'];
}

interface QueuedUpdate {
  update_id: number;
  type: string;
  payload: unknown;
  /** Webhook retry state. */
  failCount: number;
  delayUnits: number;
  retryAt: number;
}

interface WebhookState {
  /** As given to setWebhook (and shown by getWebhookInfo). */
  url: string;
  /** Where updates are POSTed (the URL parsed; https:// assumed when no scheme was given). */
  target: string;
  secretToken: string;
  maxConnections: number;
  ipAddress: string;
  lastErrorDate?: number;
  lastErrorMessage?: string;
}

interface LongPoll {
  offset: number;
  limit: number;
  resolve: (result: HandlerResult) => void;
  reject: (error: ApiError) => void;
  timer?: NodeJS.Timeout;
  wakeTimer?: NodeJS.Timeout;
}

interface CallbackQueryState {
  id: string;
  chatId: number;
  messageId: number;
  data: string;
  createdAt: number;
  answered: boolean;
}

interface CallContext {
  call: RecordedCall;
  args: Args;
  /** Registers a callback for when the client goes away before the answer. */
  onClose: (callback: () => void) => void;
}

type Handler = (ctx: CallContext) => HandlerResult | Promise<HandlerResult>;

interface ForcedLimit {
  seconds: number;
  method?: string;
  chatId?: number;
  remaining: number;
}

interface Waiter<T> {
  predicate: (item: T) => boolean;
  resolve: (item: T) => void;
}

export class FakeTelegramApi {
  readonly token: string;
  readonly botUser: TelegramUser;
  private readonly clock: () => number;
  private readonly rateLimit: false | Required<RateLimitOptions>;
  private readonly options: Required<Omit<FakeTelegramApiOptions, 'token' | 'bot' | 'rateLimit' | 'clock'>>;
  private readonly handlers: Map<string, Handler>;

  private server?: Server;
  private url?: string;
  private stopped = false;

  private readonly chatMap = new Map<number, FakeChat>();
  private readonly users = new Map<number, TelegramUser>();
  private readonly recorded: RecordedCall[] = [];
  private readonly deliveries: WebhookDelivery[] = [];
  private readonly answers: CallbackAnswer[] = [];
  private readonly callbackQueries = new Map<string, CallbackQueryState>();
  private readonly commands = new Map<string, Array<{ command: string; description: string }>>();
  private readonly expectations: Array<ErrorMatcher & { remaining: number }> = [];
  private readonly forced: ForcedLimit[] = [];
  private readonly acceptedPerChat = new Map<number, number[]>();
  private readonly acceptedGlobal: number[] = [];
  private readonly callWaiters: Array<Waiter<RecordedCall>> = [];
  private readonly deliveryWaiters: Array<Waiter<WebhookDelivery>> = [];

  private queue: QueuedUpdate[] = [];
  private nextUpdateId: number;
  private allowedUpdates: Set<string> = new Set(DEFAULT_ALLOWED_UPDATES);
  private longPoll?: LongPoll;
  private previousGetUpdates?: { offset: number; at: number };
  private webhook?: WebhookState;
  private webhookBusy = false;
  private webhookTimer?: NodeJS.Timeout;
  private readonly inflight = new Set<ClientRequest>();
  private nextAllowedSetWebhook = 0;
  private nextCallbackQuery = 1;
  private nextDeliverySeq = 1;
  private readonly pendingTimers = new Set<NodeJS.Timeout>();

  constructor(options: FakeTelegramApiOptions = {}) {
    this.token = options.token ?? FAKE_BOT_TOKEN;
    const botId = Number(this.token.split(':')[0]);
    if (!/^\d+:[\w-]+$/.test(this.token) || !Number.isSafeInteger(botId)) throw new Error(`FakeTelegramApi: malformed token ${this.token}`);
    this.botUser = {
      id: botId,
      is_bot: true,
      first_name: options.bot?.first_name ?? 'Patchbay Test Bot',
      username: options.bot?.username ?? 'patchbay_test_bot',
    };
    this.clock = options.clock ?? Date.now;
    this.rateLimit =
      options.rateLimit === false
        ? false
        : {
            private: options.rateLimit?.private ?? [
              { limit: 3, windowMs: 1000 },
              { limit: 60, windowMs: 60_000 },
            ],
            group: options.rateLimit?.group ?? [
              { limit: 3, windowMs: 1000 },
              { limit: 20, windowMs: 60_000 },
            ],
            global: options.rateLimit?.global ?? [{ limit: 30, windowMs: 1000 }],
            methods: (options.rateLimit?.methods ?? ['sendMessage', 'editMessageText']).map((m) => m.toLowerCase()),
          };
    this.options = {
      firstUpdateId: options.firstUpdateId ?? 10_000,
      callbackQueryTimeoutMs: options.callbackQueryTimeoutMs ?? 15_000,
      webhookRetryBaseMs: options.webhookRetryBaseMs ?? 1000,
      webhookTimeoutMs: options.webhookTimeoutMs ?? 10_000,
      requireHttpsWebhook: options.requireHttpsWebhook ?? false,
      emulatePollThrottle: options.emulatePollThrottle ?? false,
      setWebhookCooldownMs: options.setWebhookCooldownMs ?? 1000,
    };
    this.nextUpdateId = this.options.firstUpdateId;
    this.handlers = new Map<string, Handler>([
      ['getme', () => ({ result: this.getMeResult() })],
      ['getupdates', (ctx) => this.getUpdates(ctx)],
      ['sendmessage', (ctx) => this.sendMessage(ctx)],
      ['editmessagetext', (ctx) => this.editMessageText(ctx)],
      ['deletemessage', (ctx) => this.deleteMessage(ctx)],
      ['answercallbackquery', (ctx) => this.answerCallbackQuery(ctx)],
      ['setwebhook', (ctx) => this.setWebhook(ctx, true)],
      ['deletewebhook', (ctx) => this.setWebhook(ctx, false)],
      ['getwebhookinfo', () => ({ result: this.webhookInfo() })],
      ['setmycommands', (ctx) => this.setMyCommands(ctx)],
      ['getmycommands', (ctx) => ({ result: this.commands.get(this.commandsKey(ctx.args)) ?? [] })],
      ['deletemycommands', (ctx) => this.deleteMyCommands(ctx)],
      ['sendchataction', (ctx) => this.sendChatAction(ctx)],
    ]);
  }

  // ---------------------------------------------------------------- lifecycle

  /** Listens on 127.0.0.1 on a free port; resolves with the apiRoot (no trailing slash). */
  async start(): Promise<string> {
    if (this.url) return this.url;
    this.stopped = false;
    const { server, url } = await listenOnLoopback((req, res) => void this.handle(req, res));
    this.server = server;
    this.url = url;
    return this.url;
  }

  /** Ends held long polls, webhook deliveries and timers, and closes the server. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.longPoll) this.clearLongPoll(this.longPoll);
    this.longPoll = undefined;
    if (this.webhookTimer) clearTimeout(this.webhookTimer);
    this.webhookTimer = undefined;
    for (const timer of this.pendingTimers) clearTimeout(timer);
    this.pendingTimers.clear();
    for (const req of this.inflight) req.destroy();
    this.inflight.clear();
    const server = this.server;
    this.server = undefined;
    this.url = undefined;
    await closeServer(server);
  }

  /** The apiRoot to give grammy (`client: { apiRoot }`). */
  get apiRoot(): string {
    if (!this.url) throw new Error('FakeTelegramApi is not started');
    return this.url;
  }

  // ---------------------------------------------------------------- test-side controls

  /** Chats by id, with their messages as shown now. */
  get chats(): ReadonlyMap<number, FakeChat> {
    return this.chatMap;
  }

  chat(chatId: number): FakeChat {
    const chat = this.chatMap.get(chatId);
    if (!chat) throw new Error(`FakeTelegramApi: unknown chat ${chatId}`);
    return chat;
  }

  /** Messages of a chat as shown now (deleted ones left out). */
  messages(chatId: number): FakeMessage[] {
    return this.chat(chatId).messages.filter((m) => !m.deleted);
  }

  /** Messages the bot sent in a chat, as shown now. */
  botMessages(chatId: number): FakeMessage[] {
    return this.messages(chatId).filter((m) => m.sentByBot);
  }

  /**
   * Makes a chat known to the fake (the bot can only talk in known chats). Private chats have
   * the user's id (> 0), groups and supergroups a negative id (supergroups usually -100…).
   */
  addChat(input: AddChatInput): FakeChat {
    if (this.chatMap.has(input.id)) throw new Error(`FakeTelegramApi.addChat: chat ${input.id} exists`);
    if (input.type === 'private' ? input.id <= 0 : input.id >= 0) {
      throw new Error(`FakeTelegramApi.addChat: a ${input.type} chat needs a ${input.type === 'private' ? 'positive' : 'negative'} id`);
    }
    if (input.is_forum && input.type !== 'supergroup') throw new Error('FakeTelegramApi.addChat: only supergroups can be forums');
    const chat: FakeChat = {
      id: input.id,
      type: input.type,
      title: input.type === 'private' ? undefined : (input.title ?? `Test ${input.type} ${input.id}`),
      username: input.username,
      first_name: input.type === 'private' ? (input.first_name ?? `User ${input.id}`) : undefined,
      last_name: input.type === 'private' ? input.last_name : undefined,
      is_forum: input.is_forum ?? false,
      topics: new Map(),
      messages: [],
      blocked: false,
      chat_instance: String(-(BigInt(input.id < 0 ? -input.id : input.id) * 7919n + 4_000_000_000_000_000n)),
      // in forums message 1 is the General topic
      nextMessageId: input.is_forum ? 2 : 1,
    };
    this.chatMap.set(chat.id, chat);
    if (chat.type === 'private') {
      this.rememberUser({ id: chat.id, first_name: chat.first_name!, last_name: chat.last_name, username: chat.username });
    }
    return chat;
  }

  /** Creates a forum topic; returns its message_thread_id (the id of the topic's first message). */
  addTopic(chatId: number, name: string): number {
    const chat = this.chat(chatId);
    if (!chat.is_forum) throw new Error(`FakeTelegramApi.addTopic: chat ${chatId} is not a forum`);
    const threadId = chat.nextMessageId++;
    chat.topics.set(threadId, name);
    return threadId;
  }

  /** The user of a private chat blocks the bot: sendMessage there gets 403. */
  userBlocksBot(chatId: number): void {
    const chat = this.chat(chatId);
    if (chat.type !== 'private') throw new Error('FakeTelegramApi.userBlocksBot: private chats only');
    chat.blocked = true;
  }

  /**
   * A user writes in a chat: stores the message and queues a `message` update (delivered by
   * getUpdates or to the webhook). Entities: `entities` if given, else detected (bot_command,
   * mention, hashtag, url) as Telegram clients do. A private chat with the sender is added
   * automatically; other chats must be added first. Returns the update_id (undefined when
   * allowed_updates excludes messages, as the real API then creates no update).
   */
  userSends(input: { chatId: number; from: UserInput; text: string; threadId?: number; replyTo?: number; entities?: MessageEntity[] }): {
    message: FakeMessage;
    update_id?: number;
  } {
    let chat = this.chatMap.get(input.chatId);
    if (!chat) {
      if (input.chatId !== input.from.id) throw new Error(`FakeTelegramApi.userSends: unknown chat ${input.chatId}; addChat it first`);
      chat = this.addChat({ id: input.chatId, type: 'private', first_name: input.from.first_name, last_name: input.from.last_name, username: input.from.username });
    }
    if (chat.blocked) throw new Error(`FakeTelegramApi.userSends: the user blocked the bot in chat ${chat.id}`);
    const from = this.rememberUser(input.from);
    if (input.threadId !== undefined && input.threadId !== 1 && !chat.topics.has(input.threadId)) {
      throw new Error(`FakeTelegramApi.userSends: chat ${chat.id} has no topic ${input.threadId}`);
    }
    if (input.replyTo !== undefined && !this.findMessage(chat, input.replyTo)) {
      throw new Error(`FakeTelegramApi.userSends: chat ${chat.id} has no message ${input.replyTo}`);
    }
    if (input.text === '') throw new Error('FakeTelegramApi.userSends: empty text');
    const message: FakeMessage = {
      message_id: chat.nextMessageId++,
      chat_id: chat.id,
      from,
      date: this.unixNow(),
      text: input.text,
      entities: input.entities ?? detectEntities(input.text, [], { botCommands: true }),
      message_thread_id: input.threadId !== undefined && input.threadId !== 1 ? input.threadId : undefined,
      reply_to_message_id: input.replyTo,
      sentByBot: false,
      history: [],
      deleted: false,
    };
    chat.messages.push(message);
    const update_id = this.enqueue('message', this.messageJson(chat, message));
    return { message, update_id };
  }

  /**
   * A user presses an inline keyboard button: the message must show a button with this
   * callback_data. Queues a `callback_query` update; returns the query id and update_id.
   */
  userPresses(input: { chatId: number; messageId: number; from: UserInput; data: string }): { callbackQueryId: string; update_id?: number } {
    const chat = this.chat(input.chatId);
    const message = this.findMessage(chat, input.messageId);
    if (!message) throw new Error(`FakeTelegramApi.userPresses: chat ${chat.id} has no message ${input.messageId}`);
    const buttons = (message.reply_markup?.inline_keyboard ?? []).flat();
    if (!buttons.some((b) => b.callback_data === input.data)) {
      throw new Error(
        `FakeTelegramApi.userPresses: message ${input.messageId} has no button with callback_data ${JSON.stringify(input.data)} (has ${JSON.stringify(buttons.map((b) => b.callback_data))})`,
      );
    }
    const from = this.rememberUser(input.from);
    const id = String(5_000_000_000_000_000_000n + BigInt(this.nextCallbackQuery++) * 1_000_003n);
    this.callbackQueries.set(id, { id, chatId: chat.id, messageId: message.message_id, data: input.data, createdAt: this.clock(), answered: false });
    const update_id = this.enqueue('callback_query', {
      id,
      from,
      message: this.messageJson(chat, message),
      chat_instance: chat.chat_instance,
      data: input.data,
    });
    return { callbackQueryId: id, update_id };
  }

  /** Every request, in arrival order. */
  get calls(): readonly RecordedCall[] {
    return this.recorded;
  }

  callsTo(method: string): RecordedCall[] {
    const m = method.toLowerCase();
    return this.recorded.filter((c) => c.method.toLowerCase() === m);
  }

  /** Answered calls that failed without being provoked on purpose (see expectError / rateLimitNext). */
  unexpected(): RecordedCall[] {
    return this.recorded.filter((c) => c.finishedAt !== undefined && !c.aborted && c.ok === false && !c.expected);
  }

  /** Declares an error the test provokes on purpose, so unexpected() leaves it out. */
  expectError(matcher: ErrorMatcher): this {
    this.expectations.push({ ...matcher, remaining: matcher.times ?? 1 });
    return this;
  }

  /**
   * The next call (`times` calls) gets 429 "Too Many Requests: retry after N". By default any
   * method but getUpdates; narrow with `method` / `chatId`. Such errors count as expected.
   */
  rateLimitNext(retryAfterSeconds: number, options: { method?: string; chatId?: number; times?: number } = {}): this {
    this.forced.push({ seconds: retryAfterSeconds, method: options.method?.toLowerCase(), chatId: options.chatId, remaining: options.times ?? 1 });
    return this;
  }

  /** Webhook POSTs made, one per attempt. */
  get webhookDeliveries(): readonly WebhookDelivery[] {
    return this.deliveries;
  }

  get callbackAnswers(): readonly CallbackAnswer[] {
    return this.answers;
  }

  /** Commands set with setMyCommands, by `JSON(scope)|language_code` (default scope: `{"type":"default"}|`). */
  get myCommands(): ReadonlyMap<string, Array<{ command: string; description: string }>> {
    return this.commands;
  }

  /** Updates not confirmed yet (not fetched past with an offset, not delivered to the webhook). */
  pendingUpdates(): unknown[] {
    return this.queue.map((u) => this.updateJson(u));
  }

  /** A getUpdates long poll is being held (the bot is waiting for updates). */
  get isPollHeld(): boolean {
    return this.longPoll !== undefined;
  }

  get currentWebhook(): { url: string; secretToken: string } | undefined {
    return this.webhook ? { url: this.webhook.url, secretToken: this.webhook.secretToken } : undefined;
  }

  /**
   * The most calls naming `chatId` within any `windowMs` (default 1000) — "calls per second"
   * for that chat. `methods` narrows (default all); `okOnly` counts only successful calls.
   */
  peakRate(chatId: number, options: { windowMs?: number; methods?: string[]; okOnly?: boolean } = {}): number {
    const windowMs = options.windowMs ?? 1000;
    const methods = options.methods?.map((m) => m.toLowerCase());
    const times = this.recorded
      .filter((c) => c.chatId === chatId && (!methods || methods.includes(c.method.toLowerCase())) && (!options.okOnly || c.ok === true))
      .map((c) => c.at)
      .sort((a, b) => a - b);
    let best = 0;
    let start = 0;
    for (let end = 0; end < times.length; end++) {
      while (times[end] - times[start] >= windowMs) start++;
      best = Math.max(best, end - start + 1);
    }
    return best;
  }

  /** Resolves with the first answered call (seq > `after`) matching the predicate. */
  waitForCall(predicate: (call: RecordedCall) => boolean, options: { timeoutMs?: number; after?: number } = {}): Promise<RecordedCall> {
    const after = options.after ?? 0;
    const test = (c: RecordedCall): boolean => c.seq > after && c.finishedAt !== undefined && predicate(c);
    return this.waitFor(this.recorded, this.callWaiters, test, options.timeoutMs ?? 5000, 'call');
  }

  /** Resolves with the first finished webhook delivery (seq > `after`) matching the predicate. */
  waitForDelivery(predicate: (d: WebhookDelivery) => boolean, options: { timeoutMs?: number; after?: number } = {}): Promise<WebhookDelivery> {
    const after = options.after ?? 0;
    const test = (d: WebhookDelivery): boolean => d.seq > after && d.finishedAt !== undefined && predicate(d);
    return this.waitFor(this.deliveries, this.deliveryWaiters, test, options.timeoutMs ?? 5000, 'webhook delivery');
  }

  // ---------------------------------------------------------------- HTTP

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let closed = false;
    const closeCallbacks: Array<() => void> = [];
    res.on('close', () => {
      if (res.writableFinished) return;
      closed = true;
      for (const callback of closeCallbacks) callback();
    });
    let body: Buffer;
    try {
      body = await readBody(req);
    } catch {
      return; // client went away mid-request
    }
    const url = new URL(req.url ?? '/', 'http://fake.invalid');
    const contentType = String(req.headers['content-type'] ?? '');
    const parsed = parseRequest(url, contentType, body);
    const match = /^\/bot([^/]*)\/(.*)$/s.exec(url.pathname);
    const call = this.newCall(match ? match[2] : url.pathname, req.method ?? 'GET', contentType, parsed, false);
    let outcome: HandlerResult | ApiError;
    try {
      if (!match) throw new ApiError(404, 'Not Found');
      const token = decodeURIComponent(match[1]);
      let method = match[2];
      if (method.startsWith('test/')) throw new ApiError(401, 'Unauthorized');
      if (token !== this.token) {
        const wellFormed = /^[1-9]\d*:[\w-]+$/.test(token) && token.length <= 80;
        throw wellFormed ? new ApiError(401, 'Unauthorized') : new ApiError(404, 'Not Found');
      }
      if (method === '') {
        method = parsed.args.str('method');
        call.method = method;
      }
      outcome = await this.dispatch(method, { call, args: parsed.args, onClose: (cb) => closeCallbacks.push(cb) });
    } catch (error) {
      outcome = toApiError(error);
    }
    if (closed || res.destroyed) {
      call.aborted = true;
      call.finishedAt = this.clock();
      this.notifyCall(call);
      return;
    }
    const payload = this.finishCall(call, outcome);
    res.writeHead(call.status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(payload));
  }

  private newCall(method: string, httpMethod: string, contentType: string, parsed: ParsedRequest, viaWebhookReply: boolean): RecordedCall {
    const call: RecordedCall = {
      seq: this.recorded.length + 1,
      at: this.clock(),
      method,
      httpMethod,
      contentType,
      bodyKind: parsed.bodyKind,
      params: parsed.params,
      files: parsed.files,
      status: 0,
      expected: false,
      aborted: false,
      viaWebhookReply,
    };
    const chatArg = parsed.args.str('chat_id');
    const chatId = chatArg === '' ? undefined : this.resolveChatId(chatArg);
    if (chatId) call.chatId = chatId;
    this.recorded.push(call);
    return call;
  }

  private finishCall(call: RecordedCall, outcome: HandlerResult | ApiError): unknown {
    call.finishedAt = this.clock();
    let payload: Record<string, unknown>;
    if (outcome instanceof ApiError) {
      call.status = outcome.code;
      call.ok = false;
      call.errorCode = outcome.code;
      call.description = outcome.description;
      payload = { ok: false, error_code: outcome.code, description: outcome.description };
      if (outcome.retryAfter !== undefined) {
        call.retryAfter = outcome.retryAfter;
        payload.parameters = { retry_after: outcome.retryAfter };
      }
      if (!call.expected) call.expected = this.consumeExpectation(call);
    } else {
      call.status = 200;
      call.ok = true;
      call.result = outcome.result;
      payload = { ok: true, result: outcome.result };
      if (outcome.description !== undefined) payload.description = outcome.description;
    }
    this.notifyCall(call);
    return payload;
  }

  private consumeExpectation(call: RecordedCall): boolean {
    for (const e of this.expectations) {
      if (e.remaining <= 0) continue;
      if (e.method && e.method.toLowerCase() !== call.method.toLowerCase()) continue;
      if (e.errorCode !== undefined && e.errorCode !== call.errorCode) continue;
      if (typeof e.description === 'string' && e.description !== call.description) continue;
      if (e.description instanceof RegExp && !e.description.test(call.description ?? '')) continue;
      e.remaining--;
      return true;
    }
    return false;
  }

  private async dispatch(method: string, ctx: CallContext): Promise<HandlerResult> {
    const name = method.toLowerCase();
    const handler = this.handlers.get(name);
    if (!handler) throw new ApiError(404, 'Not Found');
    const forced = this.forced.find((f) => f.remaining > 0 && (f.method ? f.method === name : name !== 'getupdates') && (f.chatId === undefined || f.chatId === ctx.call.chatId));
    if (forced) {
      forced.remaining--;
      if (forced.remaining === 0) this.forced.splice(this.forced.indexOf(forced), 1);
      ctx.call.expected = true;
      throw tooManyRequests(forced.seconds);
    }
    return handler(ctx);
  }

  // ---------------------------------------------------------------- methods

  private getMeResult(): Record<string, unknown> {
    return {
      ...this.botUser,
      can_join_groups: true,
      can_read_all_group_messages: false,
      supports_inline_queries: false,
      can_connect_to_business: false,
      has_main_web_app: false,
    };
  }

  private getUpdates(ctx: CallContext): HandlerResult | Promise<HandlerResult> {
    const { args } = ctx;
    if (this.webhook) throw new ApiError(409, CONFLICT_WEBHOOK_ACTIVE);
    const offset = args.int('offset', 0);
    let limit = args.int('limit', 100, 1, 100);
    let timeout = args.int('timeout', 0, 0, 50);
    this.updateAllowedUpdates(args);
    if (this.options.emulatePollThrottle) {
      const now = this.clock();
      const previous = this.previousGetUpdates;
      if (previous && previous.offset === offset && timeout < 3 && now < previous.at + 3000) timeout = 3;
      if (previous && previous.offset === offset && now < previous.at + 500) limit = 1;
      this.previousGetUpdates = { offset, at: now };
    }
    const from = this.applyOffset(offset);
    const updates = this.takeUpdates(from, limit);
    if (timeout === 0 || updates.length > 0) return { result: updates };

    return new Promise<HandlerResult>((resolve, reject) => {
      if (this.longPoll) this.terminateLongPoll(CONFLICT_OTHER_GET_UPDATES);
      const poll: LongPoll = { offset: from, limit, resolve, reject };
      poll.timer = setTimeout(() => this.finishLongPoll(poll), timeout * 1000);
      this.longPoll = poll;
      ctx.onClose(() => {
        if (this.longPoll === poll) this.longPoll = undefined;
        this.clearLongPoll(poll);
        resolve({ result: [] }); // not written: the client is gone
      });
    });
  }

  private sendMessage(ctx: CallContext): HandlerResult {
    const { args } = ctx;
    const formatted = this.inputMessageText(args);
    const reply = this.replyParameters(args);
    const markup = this.replyMarkup(args);
    const chat = this.checkChat(args);
    if (chat.blocked) throw new ApiError(403, 'Forbidden: bot was blocked by the user');
    const threadId = this.checkTopic(chat, args.id('message_thread_id'));
    let replyTo: FakeMessage | undefined;
    if (reply.messageId > 0) {
      const replyChat = reply.chatId === '' ? chat : this.checkChatString(reply.chatId);
      replyTo = this.findMessage(replyChat, reply.messageId);
      if (!replyTo && !reply.allowWithout) throw badRequest('message to be replied not found');
      if (replyChat !== chat) replyTo = undefined; // cross-chat replies are not modelled
    }
    const content = this.messageContent(formatted);
    const inlineMarkup = markup?.inline;
    if (inlineMarkup) this.checkCallbackData(inlineMarkup);
    this.checkRateLimit(ctx.call.method, chat);
    const message: FakeMessage = {
      message_id: chat.nextMessageId++,
      chat_id: chat.id,
      from: this.botUser,
      date: this.unixNow(),
      text: content.text,
      entities: content.entities,
      reply_markup: inlineMarkup,
      message_thread_id: threadId || undefined,
      reply_to_message_id: replyTo?.message_id,
      sentByBot: true,
      parse_mode: args.str('parse_mode'),
      history: [],
      deleted: false,
    };
    chat.messages.push(message);
    return { result: this.messageJson(chat, message) };
  }

  private editMessageText(ctx: CallContext): HandlerResult {
    const { args } = ctx;
    const formatted = this.inputMessageText(args);
    const messageId = args.id('message_id');
    const markup = this.replyMarkup(args);
    if (args.str('chat_id') === '' && messageId === 0) {
      if (args.str('inline_message_id') === '') throw badRequest('message identifier is not specified');
      throw badRequest('MESSAGE_ID_INVALID'); // inline messages are not modelled
    }
    const chat = this.checkChat(args);
    const message = messageId > 0 ? this.findMessage(chat, messageId) : undefined;
    if (!message) throw badRequest('message to edit not found');
    if (markup && !markup.inline && !markup.empty) throw badRequest('inline keyboard expected');
    if (!message.sentByBot) throw badRequest("message can't be edited");
    const content = this.messageContent(formatted);
    const inlineMarkup = markup?.inline;
    if (inlineMarkup) this.checkCallbackData(inlineMarkup);
    const same =
      content.text === message.text &&
      JSON.stringify(content.entities) === JSON.stringify(message.entities) &&
      JSON.stringify(inlineMarkup ?? null) === JSON.stringify(message.reply_markup ?? null);
    if (same) throw badRequest(NOT_MODIFIED);
    this.checkRateLimit(ctx.call.method, chat);
    message.history.push({ text: message.text, entities: message.entities, reply_markup: message.reply_markup, replacedAt: this.clock() });
    message.text = content.text;
    message.entities = content.entities;
    message.reply_markup = inlineMarkup;
    message.parse_mode = args.str('parse_mode');
    message.edit_date = this.unixNow();
    return { result: this.messageJson(chat, message) };
  }

  private deleteMessage(ctx: CallContext): HandlerResult {
    const chat = this.checkChat(ctx.args);
    const messageId = ctx.args.id('message_id');
    const message = messageId > 0 ? this.findMessage(chat, messageId) : undefined;
    if (!message) throw badRequest('message to delete not found');
    message.deleted = true;
    return { result: true };
  }

  private answerCallbackQuery(ctx: CallContext): HandlerResult {
    const { args } = ctx;
    const id = args.str('callback_query_id').trim();
    const query = this.callbackQueries.get(id);
    const expired = query !== undefined && this.clock() - query.createdAt > this.options.callbackQueryTimeoutMs;
    if (!query || query.answered || expired) throw badRequest(QUERY_INVALID);
    query.answered = true;
    const answer: CallbackAnswer = { callback_query_id: id, show_alert: args.bool('show_alert'), at: this.clock() };
    if (args.str('text') !== '') answer.text = args.str('text');
    if (args.str('url') !== '') answer.url = args.str('url');
    if (args.has('cache_time')) answer.cache_time = args.int('cache_time', 0, 0, 24 * 30 * 60 * 60);
    this.answers.push(answer);
    return { result: true };
  }

  private sendChatAction(ctx: CallContext): HandlerResult {
    const { args } = ctx;
    if (!CHAT_ACTIONS.has(args.str('action').toLowerCase())) throw badRequest('wrong parameter action in request');
    const chat = this.checkChat(args);
    if (chat.blocked) throw new ApiError(403, 'Forbidden: bot was blocked by the user');
    this.checkTopic(chat, args.id('message_thread_id'));
    return { result: true };
  }

  private setMyCommands(ctx: CallContext): HandlerResult {
    const { args } = ctx;
    const raw = args.str('commands');
    let list: unknown[] = [];
    if (raw !== '') {
      let value: unknown;
      try {
        value = JSON.parse(raw);
      } catch {
        throw badRequest("can't parse commands JSON object");
      }
      if (!Array.isArray(value)) throw badRequest('expected an Array of BotCommand');
      list = value;
    }
    const commands = list.map((item) => {
      if (typeof item !== 'object' || item === null || Array.isArray(item)) throw badRequest("can't parse BotCommand: expected an Object");
      const object = item as Record<string, unknown>;
      const command = requiredString(object, 'command', "can't parse BotCommand: ");
      const description = requiredString(object, 'description', "can't parse BotCommand: ");
      return { command, description };
    });
    const key = this.commandsKey(args);
    const cleaned = commands.map(({ command, description }) => {
      let name = command.trim();
      if (name.startsWith('/')) name = name.slice(1);
      if (name === '') throw badRequest('command must be non-empty');
      if (codePointLength(name) > 32) throw badRequest('command length must not exceed 32');
      const text = description.trim();
      if (text === '') throw badRequest('command description must be non-empty');
      if (codePointLength(text) > 256) throw badRequest('command description length must not exceed 256');
      if (!/^[a-z0-9_]+$/.test(name)) throw badRequest('BOT_COMMAND_INVALID');
      return { command: name, description: text };
    });
    if (cleaned.length > 100) throw badRequest('BOT_COMMANDS_TOO_MUCH');
    if (cleaned.length === 0) this.commands.delete(key);
    else this.commands.set(key, cleaned);
    return { result: true };
  }

  private deleteMyCommands(ctx: CallContext): HandlerResult {
    this.commands.delete(this.commandsKey(ctx.args));
    return { result: true };
  }

  private commandsKey(args: Args): string {
    let scope: unknown = { type: 'default' };
    const raw = args.str('scope');
    if (raw !== '') {
      try {
        scope = JSON.parse(raw);
      } catch {
        throw badRequest("can't parse BotCommandScope JSON object");
      }
    }
    return `${JSON.stringify(scope)}|${args.str('language_code')}`;
  }

  /** setWebhook (set = true) and deleteWebhook (set = false), as Client::process_set_webhook_query. */
  private setWebhook(ctx: CallContext, set: boolean): HandlerResult {
    const { args } = ctx;
    const newUrl = set ? args.str('url') : '';
    const now = this.clock();
    if (newUrl !== '') {
      if (now < this.nextAllowedSetWebhook) throw tooManyRequests(1);
      this.nextAllowedSetWebhook = now + this.options.setWebhookCooldownMs;
    }
    const drop = args.bool('drop_pending_updates');
    const secretToken = newUrl === '' ? '' : args.str('secret_token');
    const maxConnections = newUrl === '' ? 0 : args.int('max_connections', 40, 1, 100);
    const ipAddress = newUrl === '' ? '' : args.str('ip_address');
    const current = this.webhook;
    if (
      (current?.url ?? '') === newUrl &&
      (current?.secretToken ?? '') === secretToken &&
      (current?.maxConnections ?? 0) === maxConnections &&
      (current?.ipAddress ?? '') === ipAddress &&
      !drop
    ) {
      this.updateAllowedUpdates(args);
      return { result: true, description: newUrl === '' ? 'Webhook is already deleted' : 'Webhook is already set' };
    }
    if (newUrl !== '' && this.longPoll) this.terminateLongPoll(CONFLICT_SET_WEBHOOK);
    const wasSet = current !== undefined;
    if (current) {
      this.webhook = undefined;
      if (this.webhookTimer) clearTimeout(this.webhookTimer);
      this.webhookTimer = undefined;
    }
    if (drop) this.queue = [];
    if (newUrl === '') return { result: true, description: wasSet ? 'Webhook was deleted' : 'Webhook is already deleted' };

    let parsedUrl: URL;
    try {
      parsedUrl = new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(newUrl) ? newUrl : `https://${newUrl}`);
      if ((parsedUrl.protocol !== 'https:' && parsedUrl.protocol !== 'http:') || !parsedUrl.hostname) throw new Error('scheme');
    } catch {
      throw badRequest('invalid webhook URL specified');
    }
    if (secretToken.length > 256) throw badRequest('secret token is too long');
    if (!/^[A-Za-z0-9_-]*$/.test(secretToken)) throw badRequest('secret token contains unallowed characters');
    if (this.options.requireHttpsWebhook) {
      if (parsedUrl.protocol !== 'https:') throw badRequest('bad webhook: An HTTPS URL must be provided for webhook');
      const port = parsedUrl.port === '' ? 443 : Number(parsedUrl.port);
      if (![443, 88, 80, 8443].includes(port)) throw badRequest('bad webhook: Webhook can be set up only on ports 80, 88, 443 or 8443');
    }
    this.webhook = { url: newUrl, target: parsedUrl.href, secretToken, maxConnections, ipAddress };
    this.updateAllowedUpdates(args);
    for (const u of this.queue) {
      u.failCount = 0;
      u.delayUnits = 1;
      u.retryAt = 0;
    }
    this.later(() => this.pumpWebhook(), 0);
    return { result: true, description: 'Webhook was set' };
  }

  private webhookInfo(): Record<string, unknown> {
    const hook = this.webhook;
    const info: Record<string, unknown> = {
      url: hook?.url ?? '',
      has_custom_certificate: false,
      pending_update_count: this.queue.length,
    };
    if (hook?.lastErrorDate !== undefined) {
      info.last_error_date = hook.lastErrorDate;
      info.last_error_message = hook.lastErrorMessage;
    }
    if (hook) {
      info.max_connections = hook.maxConnections;
      const host = new URL(hook.target).hostname.replace(/^\[|\]$/g, '');
      info.ip_address = hook.ipAddress !== '' ? hook.ipAddress : isIP(host) ? host : host === 'localhost' ? '127.0.0.1' : '<unknown>';
    }
    const allowed = [...this.allowedUpdates];
    if (allowed.length !== DEFAULT_ALLOWED_UPDATES.length || allowed.some((t) => NOT_DEFAULT_UPDATE_TYPES.has(t))) {
      info.allowed_updates = UPDATE_TYPES.filter((t) => this.allowedUpdates.has(t));
    }
    return info;
  }

  // ---------------------------------------------------------------- validation helpers

  /** Client::get_input_message_text + get_formatted_text. */
  private inputMessageText(args: Args): FormattedText {
    const text = args.str('text');
    if (text === '') throw badRequest('message text is empty');
    if (Buffer.byteLength(text, 'utf8') > 1 << 15) throw badRequest('text is too long');
    const parseMode = args.str('parse_mode');
    try {
      const formatted = parseFormattedText(text, parseMode, (id) => this.users.get(id));
      if (formatted.entities.length === 0 && (parseMode === '' || parseMode.toLowerCase() === 'none')) {
        formatted.entities = parseEntitiesArg(args.str('entities'));
      }
      return formatted;
    } catch (error) {
      if (error instanceof EntityParseError) throw badRequest(`can't parse entities: ${error.message}`);
      if (error instanceof Error && error.message === 'Unsupported parse_mode') throw badRequest('unsupported parse_mode');
      throw error;
    }
  }

  /** tdlib's content checks: trimmed text must be non-empty and at most 4096 characters (code points). */
  private messageContent(formatted: FormattedText): FormattedText {
    const fixed = fixFormattedText(formatted);
    if (!fixed) throw badRequest('text must be non-empty');
    if (codePointLength(fixed.text) > 4096) throw badRequest('message is too long');
    return { text: fixed.text, entities: detectEntities(fixed.text, fixed.entities, { botCommands: false }) };
  }

  /** Client::get_reply_parameters. */
  private replyParameters(args: Args): { chatId: string; messageId: number; allowWithout: boolean } {
    if (!args.has('reply_parameters')) {
      return { chatId: '', messageId: args.id('reply_to_message_id'), allowWithout: args.bool('allow_sending_without_reply') };
    }
    const raw = args.str('reply_parameters');
    if (raw === '') return { chatId: '', messageId: 0, allowWithout: false };
    const object = jsonObject(raw, 'reply parameters');
    if (Object.keys(object).length === 0) return { chatId: '', messageId: 0, allowWithout: false };
    const chatId = object.chat_id === undefined ? '' : typeof object.chat_id === 'string' ? object.chat_id : String(object.chat_id);
    if (!('message_id' in object)) throw badRequest(`can't find field "message_id"`);
    const messageId = object.message_id;
    if (typeof messageId !== 'number' && !(typeof messageId === 'string' && /^-?\d+$/.test(messageId))) {
      throw badRequest(`field "message_id" must be a Number`);
    }
    const allow = object.allow_sending_without_reply;
    if (allow !== undefined && typeof allow !== 'boolean') throw badRequest(`field "allow_sending_without_reply" must be of type Boolean`);
    return { chatId, messageId: Math.max(Number(messageId), 0), allowWithout: allow === true };
  }

  /** Client::get_reply_markup + tdlib get_reply_markup; `inline` is the markup stored on the message. */
  private replyMarkup(args: Args): { inline?: InlineKeyboardMarkup; empty: boolean } | undefined {
    const raw = args.str('reply_markup');
    if (raw === '') return undefined;
    const object = jsonObject(raw, 'reply keyboard markup', 'reply markup');
    if (object.keyboard !== undefined) {
      if (!Array.isArray(object.keyboard)) throw badRequest('field "keyboard" must be of type Array');
      if (object.keyboard.some((row) => !Array.isArray(row))) throw badRequest('field "keyboard" must be an Array of Arrays');
      return { empty: false }; // reply keyboards are not part of the Message object
    }
    if (object.inline_keyboard === undefined) {
      const other = object.remove_keyboard ?? object.hide_keyboard ?? object.force_reply ?? object.force_reply_keyboard;
      return { empty: other === undefined };
    }
    if (!Array.isArray(object.inline_keyboard)) throw badRequest('field "inline_keyboard" must be of type Array');
    const rows: InlineKeyboardButton[][] = [];
    let total = 0;
    for (const row of object.inline_keyboard) {
      if (!Array.isArray(row)) throw badRequest('field "inline_keyboard" of the InlineKeyboardMarkup must be an Array of Arrays');
      const buttons: InlineKeyboardButton[] = [];
      for (const button of row) {
        const parsed = parseInlineButton(button);
        if (parsed.text === '') continue; // tdlib skips buttons without text
        if (buttons.length >= 12 || total >= 300) break;
        buttons.push(parsed);
        total++;
      }
      if (buttons.length > 0) rows.push(buttons);
    }
    return rows.length > 0 ? { inline: { inline_keyboard: rows }, empty: false } : { empty: true };
  }

  private checkCallbackData(markup: InlineKeyboardMarkup): void {
    for (const button of markup.inline_keyboard.flat()) {
      if (button.callback_data !== undefined && Buffer.byteLength(button.callback_data, 'utf8') > 64) throw badRequest('BUTTON_DATA_INVALID');
    }
  }

  /** Client::check_chat. */
  private checkChat(args: Args): FakeChat {
    return this.checkChatString(args.str('chat_id'));
  }

  private checkChatString(chatId: string): FakeChat {
    if (chatId === '') throw badRequest('chat_id is empty');
    const id = this.resolveChatId(chatId);
    const chat = id === undefined ? undefined : this.chatMap.get(id);
    if (!chat) throw badRequest('chat not found');
    return chat;
  }

  private resolveChatId(chatId: string): number | undefined {
    if (chatId.startsWith('@')) {
      const username = chatId.slice(1).toLowerCase();
      for (const chat of this.chatMap.values()) {
        // only public supergroups (and channels) resolve by username
        if (chat.type === 'supergroup' && chat.username?.toLowerCase() === username) return chat.id;
      }
      return undefined;
    }
    return toInteger(chatId);
  }

  /** Client::check_message_topic (forum topics). Returns the thread id to use (0 = none). */
  private checkTopic(chat: FakeChat, threadId: number): number {
    if (threadId === 0) return 0;
    if (chat.type === 'supergroup' && chat.is_forum) {
      if (threadId === 1 || !chat.topics.has(threadId)) throw badRequest('message thread not found');
      return threadId;
    }
    if (chat.type === 'private') throw badRequest('message thread not found');
    return 0; // ignored elsewhere
  }

  private checkRateLimit(method: string, chat: FakeChat): void {
    if (!this.rateLimit) return;
    if (!this.rateLimit.methods.includes(method.toLowerCase())) return;
    const now = this.clock();
    const perChat = this.acceptedPerChat.get(chat.id) ?? [];
    const windows = chat.type === 'private' ? this.rateLimit.private : this.rateLimit.group;
    const wait = Math.max(retryAfter(perChat, windows, now), retryAfter(this.acceptedGlobal, this.rateLimit.global, now));
    if (wait > 0) throw tooManyRequests(wait);
    perChat.push(now);
    this.acceptedPerChat.set(chat.id, perChat);
    this.acceptedGlobal.push(now);
  }

  // ---------------------------------------------------------------- updates, long polling

  private enqueue(type: string, payload: unknown): number | undefined {
    if (!this.allowedUpdates.has(type)) return undefined;
    const update: QueuedUpdate = { update_id: this.nextUpdateId++, type, payload, failCount: 0, delayUnits: 1, retryAt: 0 };
    this.queue.push(update);
    const poll = this.longPoll;
    if (poll && !poll.wakeTimer) {
      // LONG_POLL_WAIT_AFTER: answer a millisecond later, batching updates created together
      poll.wakeTimer = setTimeout(() => this.finishLongPoll(poll), 1);
    }
    if (this.webhook) this.later(() => this.pumpWebhook(), 0);
    return update.update_id;
  }

  private updateJson(update: QueuedUpdate): Record<string, unknown> {
    return { update_id: update.update_id, [update.type]: update.payload };
  }

  /** TQueue semantics of getUpdates' offset; returns the first update_id to return. */
  private applyOffset(offset: number): number {
    if (offset < 0) this.queue = this.queue.slice(Math.max(0, this.queue.length + offset));
    const head = this.queue[0]?.update_id ?? this.nextUpdateId;
    if (offset <= 0) return head;
    if (offset > this.nextUpdateId + 10) return head; // "in the future": served from the head, nothing forgotten
    this.queue = this.queue.filter((u) => u.update_id >= offset);
    return offset;
  }

  private takeUpdates(from: number, limit: number): unknown[] {
    return this.queue
      .filter((u) => u.update_id >= from)
      .slice(0, limit)
      .map((u) => this.updateJson(u));
  }

  private finishLongPoll(poll: LongPoll): void {
    if (this.longPoll !== poll) return;
    this.longPoll = undefined;
    this.clearLongPoll(poll);
    poll.resolve({ result: this.takeUpdates(poll.offset, poll.limit) });
  }

  private clearLongPoll(poll: LongPoll): void {
    if (poll.timer) clearTimeout(poll.timer);
    if (poll.wakeTimer) clearTimeout(poll.wakeTimer);
    poll.timer = undefined;
    poll.wakeTimer = undefined;
  }

  /**
   * Ends the held long poll with 409. The answer goes out 20 ms later so that a client which
   * already aborted it (grammy's bot.stop()) is seen as gone rather than as a conflict.
   */
  private terminateLongPoll(message: string): void {
    const poll = this.longPoll;
    if (!poll) return;
    this.longPoll = undefined;
    this.clearLongPoll(poll);
    this.later(() => poll.reject(new ApiError(409, message)), 20);
  }

  private updateAllowedUpdates(args: Args): void {
    const raw = args.str('allowed_updates');
    if (raw === '') return;
    let value: unknown;
    try {
      value = JSON.parse(raw);
    } catch {
      return;
    }
    if (!Array.isArray(value) || value.some((v) => typeof v !== 'string')) return;
    const names = new Set((value as string[]).map((v) => v.toLowerCase()).filter((v) => UPDATE_TYPES.includes(v)));
    this.allowedUpdates = names.size === 0 ? new Set(DEFAULT_ALLOWED_UPDATES) : names;
  }

  // ---------------------------------------------------------------- webhook delivery

  private pumpWebhook(): void {
    const hook = this.webhook;
    if (!hook || this.webhookBusy || this.stopped) return;
    const update = this.queue[0];
    if (!update) return;
    const wait = update.retryAt - this.clock();
    if (wait > 0) {
      if (this.webhookTimer) clearTimeout(this.webhookTimer);
      this.webhookTimer = setTimeout(() => {
        this.webhookTimer = undefined;
        this.pumpWebhook();
      }, wait);
      return;
    }
    this.webhookBusy = true;
    void this.deliver(update, hook).finally(() => {
      this.webhookBusy = false;
      this.pumpWebhook();
    });
  }

  private async deliver(update: QueuedUpdate, hook: WebhookState): Promise<void> {
    const delivery: WebhookDelivery = {
      seq: this.nextDeliverySeq++,
      update_id: update.update_id,
      url: hook.url,
      at: this.clock(),
      status: 0,
      secretToken: hook.secretToken === '' ? undefined : hook.secretToken,
    };
    this.deliveries.push(delivery);
    const headers: Record<string, string> = { 'content-type': 'application/json', 'accept-encoding': 'gzip, deflate' };
    if (hook.secretToken !== '') headers['x-telegram-bot-api-secret-token'] = hook.secretToken;
    let error: string | undefined;
    let retryAfterSeconds = 0;
    let replyBody: Buffer | undefined;
    try {
      const response = await this.post(hook.target, JSON.stringify(this.updateJson(update)), headers);
      delivery.status = response.status;
      if (response.status >= 200 && response.status <= 299) {
        replyBody = response.body;
      } else {
        error = `Wrong response from the webhook: ${response.status} ${response.statusMessage}`;
        retryAfterSeconds = Math.min(3600, Math.max(0, toInteger(response.retryAfter ?? '')));
      }
    } catch (err) {
      error = webhookNetworkError(err);
    }
    delivery.finishedAt = this.clock();
    if (this.stopped) return;
    if (error === undefined) {
      this.queue = this.queue.filter((u) => u !== update);
      if (replyBody && replyBody.length > 0) await this.webhookReply(replyBody, delivery);
    } else {
      if (this.webhook === hook) {
        hook.lastErrorDate = this.unixNow();
        hook.lastErrorMessage = error;
      }
      delivery.error = error;
      // WebhookActor::on_update_error: first retry at once (or after Retry-After), then 2, 4, 8 … units, max 60 s
      let delayMs = retryAfterSeconds * 1000;
      if (retryAfterSeconds === 0 && update.failCount > 0) {
        update.delayUnits = Math.min(60, update.delayUnits * 2);
        delayMs = update.delayUnits * this.options.webhookRetryBaseMs;
      }
      update.failCount++;
      update.retryAt = this.clock() + delayMs;
    }
    this.notifyDelivery(delivery);
  }

  private async webhookReply(body: Buffer, delivery: WebhookDelivery): Promise<void> {
    const parsed = parseRequest(new URL('http://fake.invalid/'), 'application/json', body);
    const method = parsed.args.str('method');
    const name = method.toLowerCase();
    if (name === '' || ['deletewebhook', 'setwebhook', 'close', 'logout'].includes(name) || name.startsWith('get')) return;
    delivery.replyMethod = method;
    const call = this.newCall(method, 'WEBHOOK-REPLY', 'application/json', parsed, true);
    let outcome: HandlerResult | ApiError;
    try {
      outcome = await this.dispatch(method, { call, args: parsed.args, onClose: () => undefined });
    } catch (error) {
      outcome = toApiError(error);
    }
    this.finishCall(call, outcome);
  }

  private post(url: string, body: string, headers: Record<string, string>): Promise<{ status: number; statusMessage: string; body: Buffer; retryAfter?: string }> {
    return new Promise((resolve, reject) => {
      const target = new URL(url);
      const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
      const req = send(target, { method: 'POST', headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) }, agent: false }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          this.inflight.delete(req);
          const retry = res.headers['retry-after'];
          resolve({ status: res.statusCode ?? 0, statusMessage: res.statusMessage ?? '', body: Buffer.concat(chunks), retryAfter: Array.isArray(retry) ? retry[0] : retry });
        });
        res.on('error', (err) => {
          this.inflight.delete(req);
          reject(err);
        });
      });
      this.inflight.add(req);
      req.setTimeout(this.options.webhookTimeoutMs, () => req.destroy(Object.assign(new Error('timeout'), { code: 'ETIMEDOUT' })));
      req.on('error', (err) => {
        this.inflight.delete(req);
        reject(err);
      });
      req.end(body);
    });
  }

  // ---------------------------------------------------------------- misc helpers

  private findMessage(chat: FakeChat, messageId: number): FakeMessage | undefined {
    return chat.messages.find((m) => m.message_id === messageId && !m.deleted);
  }

  private rememberUser(input: UserInput): TelegramUser {
    const user: TelegramUser = { id: input.id, is_bot: false, first_name: input.first_name };
    if (input.last_name !== undefined) user.last_name = input.last_name;
    if (input.username !== undefined) user.username = input.username;
    if (input.language_code !== undefined) user.language_code = input.language_code;
    this.users.set(user.id, user);
    return user;
  }

  private chatJson(chat: FakeChat): Record<string, unknown> {
    if (chat.type === 'private') {
      return dropUndefined({ id: chat.id, first_name: chat.first_name, last_name: chat.last_name, username: chat.username, type: 'private' });
    }
    return dropUndefined({ id: chat.id, title: chat.title, username: chat.username, type: chat.type, is_forum: chat.is_forum ? true : undefined });
  }

  /** A Bot API Message object for a stored message, as it is now. */
  private messageJson(chat: FakeChat, message: FakeMessage, withReply = true): Record<string, unknown> {
    const json: Record<string, unknown> = { message_id: message.message_id };
    if (message.message_thread_id !== undefined) json.message_thread_id = message.message_thread_id;
    json.from = message.from;
    json.chat = this.chatJson(chat);
    json.date = message.date;
    if (message.message_thread_id !== undefined) json.is_topic_message = true;
    if (withReply && message.reply_to_message_id !== undefined) {
      const replied = this.findMessage(chat, message.reply_to_message_id);
      if (replied) json.reply_to_message = this.messageJson(chat, replied, false);
    }
    if (message.edit_date !== undefined) json.edit_date = message.edit_date;
    json.text = message.text;
    if (message.entities.length > 0) json.entities = message.entities;
    if (message.reply_markup) json.reply_markup = message.reply_markup;
    return json;
  }

  private unixNow(): number {
    return Math.floor(this.clock() / 1000);
  }

  private later(fn: () => void, ms: number): void {
    const timer = setTimeout(() => {
      this.pendingTimers.delete(timer);
      fn();
    }, ms);
    this.pendingTimers.add(timer);
  }

  private notifyCall(call: RecordedCall): void {
    notify(this.callWaiters, call);
  }

  private notifyDelivery(delivery: WebhookDelivery): void {
    notify(this.deliveryWaiters, delivery);
  }

  private waitFor<T>(items: readonly T[], waiters: Array<Waiter<T>>, test: (item: T) => boolean, timeoutMs: number, what: string): Promise<T> {
    const found = items.find(test);
    if (found) return Promise.resolve(found);
    return new Promise<T>((resolve, reject) => {
      const waiter: Waiter<T> = {
        predicate: test,
        resolve: (item) => {
          clearTimeout(timer);
          resolve(item);
        },
      };
      const timer = setTimeout(() => {
        waiters.splice(waiters.indexOf(waiter), 1);
        reject(new Error(`FakeTelegramApi: no matching ${what} within ${timeoutMs} ms`));
      }, timeoutMs);
      waiters.push(waiter);
    });
  }
}

// ------------------------------------------------------------------ module helpers

function notify<T>(waiters: Array<Waiter<T>>, item: T): void {
  for (const waiter of [...waiters]) {
    if (waiter.predicate(item)) {
      waiters.splice(waiters.indexOf(waiter), 1);
      waiter.resolve(item);
    }
  }
}

function toApiError(error: unknown): ApiError {
  if (error instanceof ApiError) return error;
  const message = error instanceof Error ? error.message : String(error);
  return new ApiError(500, `Internal Server Error: ${message}`);
}

/** The seconds to wait before another call fits every window (0 = allowed now). */
function retryAfter(accepted: number[], windows: RateWindow[], now: number): number {
  let waitMs = 0;
  for (const { limit, windowMs } of windows) {
    const inWindow = accepted.filter((t) => t > now - windowMs);
    if (inWindow.length >= limit) {
      const oldestThatMustExpire = inWindow[inWindow.length - limit];
      waitMs = Math.max(waitMs, oldestThatMustExpire + windowMs - now);
    }
  }
  return waitMs > 0 ? Math.max(1, Math.ceil(waitMs / 1000)) : 0;
}

function webhookNetworkError(error: unknown): string {
  const code = (error as { code?: string }).code;
  if (code === 'ECONNREFUSED') return 'Connection refused';
  if (code === 'ETIMEDOUT') return 'Read timeout expired';
  if (code === 'ECONNRESET' || code === 'EPIPE') return 'Webhook connection closed';
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return 'Failed to resolve host: Name or service not known';
  return error instanceof Error ? error.message : String(error);
}

function requiredString(object: Record<string, unknown>, field: string, prefix: string): string {
  if (!(field in object)) throw badRequest(`${prefix}Can't find field "${field}"`);
  const value = object[field];
  if (typeof value !== 'string') throw badRequest(`${prefix}Field "${field}" must be of type String`);
  return value;
}

function parseInlineButton(button: unknown): InlineKeyboardButton {
  const prefix = "can't parse inline keyboard button: ";
  if (typeof button !== 'object' || button === null || Array.isArray(button)) throw badRequest(`${prefix}InlineKeyboardButton must be an Object`);
  const object = button as Record<string, unknown>;
  const text = requiredString(object, 'text', prefix);
  const result: InlineKeyboardButton = { text };
  for (const type of INLINE_BUTTON_TYPES) {
    const value = object[type];
    if (value === undefined) continue;
    if ((type === 'url' || type === 'callback_data') && typeof value !== 'string') throw badRequest(`${prefix}Field "${type}" must be of type String`);
    if ((type === 'url' || type === 'callback_data') && value === '') continue;
    result[type] = value;
    if (object.style !== undefined) result.style = object.style;
    if (object.icon_custom_emoji_id !== undefined) result.icon_custom_emoji_id = object.icon_custom_emoji_id;
    return result;
  }
  throw badRequest(`${prefix}Text buttons are unallowed in the inline keyboard`);
}

/** `entities` given explicitly (no parse_mode); invalid JSON is ignored like the real server. */
function parseEntitiesArg(raw: string): MessageEntity[] {
  if (raw === '') return [];
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    return [];
  }
  if (!Array.isArray(value)) return [];
  return value
    .filter((e): e is MessageEntity => typeof e === 'object' && e !== null && typeof e.type === 'string' && typeof e.offset === 'number' && typeof e.length === 'number')
    .map((e) => ({ ...e }));
}

function dropUndefined(object: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(object).filter(([, v]) => v !== undefined));
}

/** Turns a request into the server's string arguments (query string first, then the body). */
function parseRequest(url: URL, contentType: string, body: Buffer): ParsedRequest {
  const entries: Array<[string, string]> = [...url.searchParams.entries()];
  const params: Record<string, unknown> = {};
  const files: RecordedCall['files'] = [];
  const lower = contentType.toLowerCase();
  let bodyKind: RecordedCall['bodyKind'] = 'none';
  const addString = (key: string, value: string): void => {
    entries.push([key, value]);
    if (key in params) return;
    if (JSON_FIELDS.has(key)) {
      try {
        params[key] = JSON.parse(value);
        return;
      } catch {
        // keep the string
      }
    }
    params[key] = value;
  };
  for (const [key, value] of url.searchParams.entries()) if (!(key in params)) params[key] = value;

  if (lower.includes('application/x-www-form-urlencoded')) {
    bodyKind = 'form';
    for (const [key, value] of new URLSearchParams(body.toString('utf8')).entries()) addString(key, value);
  } else if (lower.includes('multipart/form-data')) {
    bodyKind = 'multipart';
    const boundary = /boundary=(?:"([^"]+)"|([^;\s]+))/i.exec(contentType);
    if (boundary) {
      for (const part of parseMultipart(body, boundary[1] ?? boundary[2])) {
        if (part.filename !== undefined) files.push({ field: part.name, filename: part.filename, size: part.data.length });
        else addString(part.name, part.data.toString('utf8'));
      }
    }
  } else if (body.length > 0) {
    bodyKind = 'json';
    try {
      const value: unknown = JSON.parse(body.toString('utf8'));
      if (typeof value === 'string') {
        entries.push(['content', value]);
        params.content = value;
      } else if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
        for (const [key, v] of Object.entries(value)) {
          entries.push([key, typeof v === 'string' ? v : JSON.stringify(v)]);
          if (!(key in params)) params[key] = v;
        }
      }
    } catch {
      // the real server only logs a JSON body it cannot parse
    }
  }
  return { args: new Args(entries), params, files, bodyKind };
}

function parseMultipart(body: Buffer, boundary: string): Array<{ name: string; filename?: string; data: Buffer }> {
  const delimiter = Buffer.from(`--${boundary}`);
  const parts: Array<{ name: string; filename?: string; data: Buffer }> = [];
  let position = body.indexOf(delimiter);
  while (position !== -1) {
    let start = position + delimiter.length;
    if (body.subarray(start, start + 2).toString() === '--') break;
    if (body.subarray(start, start + 2).toString() === '\r\n') start += 2;
    const next = body.indexOf(delimiter, start);
    if (next === -1) break;
    let end = next;
    if (body.subarray(end - 2, end).toString() === '\r\n') end -= 2;
    const part = body.subarray(start, end);
    const headerEnd = part.indexOf('\r\n\r\n');
    if (headerEnd !== -1) {
      const headers = part.subarray(0, headerEnd).toString('utf8');
      const disposition = headers.split('\r\n').find((line) => /^content-disposition\s*:/i.test(line)) ?? '';
      const name = /(?:^|[;:])\s*name="([^"]*)"/i.exec(disposition)?.[1] ?? /(?:^|[;:])\s*name=([^;\s]+)/i.exec(disposition)?.[1];
      const filename = /filename="([^"]*)"/i.exec(disposition)?.[1] ?? /filename=([^;\r\n]+)/i.exec(disposition)?.[1];
      if (name !== undefined) parts.push({ name, filename, data: part.subarray(headerEnd + 4) });
    }
    position = next;
  }
  return parts;
}

/** A JSON object parameter, refused in the real server's words ("can't parse <what> JSON object"). */
function jsonObject(raw: string, what: string, expected = what): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    throw badRequest(`can't parse ${what} JSON object`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw badRequest(`object expected as ${expected}`);
  return value as Record<string, unknown>;
}
