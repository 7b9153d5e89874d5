import { randomBytes } from 'node:crypto';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { z } from 'zod';
import { closeServer, listenOnLoopback, readBody } from '../http';
import { ActionRowJson, CallbackBody, CommandJson, CommandsBody, MessageBody, ThreadBody } from './discord-bodies';
import * as errors from './discord-errors';
import { DiscordError } from './discord-errors';
import { FakeDiscordGateway, Intent } from './fake-discord-gateway';
import { BucketRule, RateBuckets } from './rate-buckets';

/**
 * A strict local fake of Discord: the REST API (v10, JSON) and the gateway websocket, good
 * enough for the real discord.js client to log in, receive messages and interactions, and
 * send, edit, start threads, register commands and answer interactions against it.
 *
 *   const fake = new FakeDiscord();                         // options: clock, limits, intents …
 *   const { apiUrl } = await fake.start();                  // DISCORD_API_URL (…/api)
 *   const guild = fake.addGuild('team');
 *   const channel = fake.addTextChannel(guild.id, 'general');
 *   new Client({ intents, rest: { api: apiUrl } }).login(FAKE_DISCORD_TOKEN);
 *   fake.userSends({ channelId: channel.id, author: ADA, content: `<@${FAKE_DISCORD_BOT_ID}> hi` });
 *   expect(fake.unexpected()).toEqual([]);
 *
 * REST (under /api/v10): GET /gateway, /gateway/bot (naming the fake's own websocket),
 * /users/@me, /applications/@me, /channels/{id}, /channels/{id}/messages/{id}; POST and
 * PATCH channel messages (content, buttons); POST /channels/{id}/messages/{id}/threads;
 * GET and PUT application commands (global and guild); POST /interactions/{id}/{token}/callback;
 * POST /webhooks/{app}/{token} and PATCH …/messages/{id|@original} (follow-ups, edits of the
 * answer). Errors as Discord words them: 401 `401: Unauthorized` (token checked on every
 * route but the interaction and webhook ones, which use their token), 10003 Unknown Channel,
 * 10008 Unknown Message, 10062 Unknown interaction (also after 3 s unanswered), 40060 already
 * acknowledged, 50001 Missing Access, 50005 editing another author's message, 50006 empty
 * message, 50024 wrong channel type, 160004 thread exists, 50035 Invalid Form Body with its
 * error tree (content over 2000 characters: BASE_TYPE_MAX_LENGTH). Any other route: 404,
 * recorded as unexpected.
 *
 * Rate limits: a bucket per route and channel (RateBuckets), creating messages 5 per 5 s
 * and editing 5 per 5 s per channel as on Discord, everything else 50 per second; every
 * answer has the X-RateLimit-* headers, a 429 also Retry-After and `{message, retry_after,
 * global:false}`. `rateLimitNext` forces one. Windows run on `clock`.
 *
 * Gateway: see FakeDiscordGateway. Without the MESSAGE_CONTENT intent, guild messages that do
 * not mention the bot arrive with empty content, as on Discord.
 *
 * Deliberate gaps: no permissions or roles model, no attachments or embeds beyond storing
 * them, no global rate limit unless forced, no zlib compression (discord.js without
 * zlib-sync does not ask for it).
 */

export { MAX_CONTENT } from './discord-bodies';

export const FAKE_DISCORD_BOT_ID = '1100000000000000001';
/** The token the fake accepts: like Discord's, the bot id in base64 first. */
export const FAKE_DISCORD_TOKEN = `${Buffer.from(FAKE_DISCORD_BOT_ID).toString('base64')}.GfAkE1.patchbay-fake-discord-token-0123456789`;

/** Application flags: the MESSAGE_CONTENT intent enabled (GATEWAY_MESSAGE_CONTENT). */
const GATEWAY_MESSAGE_CONTENT = 1 << 18;
const DISCORD_EPOCH = 1_420_070_400_000n;
const EPHEMERAL = 1 << 6;
const LOADING = 1 << 7;

export const ChannelType = { GuildText: 0, DM: 1, PublicThread: 11 } as const;

export interface FakeDiscordOptions {
  token?: string;
  botName?: string;
  /** The application may use the MESSAGE_CONTENT intent (default true); else IDENTIFY with it closes 4014. */
  messageContentIntent?: boolean;
  /** PUT application commands answers 403 Missing Access (the bot was added without applications.commands). */
  commandsForbidden?: boolean;
  /** Messages created and edited per channel (each its own bucket); default 5 per 5 s. */
  messageLimit?: { limit: number; windowMs: number };
  heartbeatIntervalMs?: number;
  /** The websocket URL GET /gateway/bot names (default: the fake's own; a client with DISCORD_GATEWAY_URL ignores it). */
  advertisedGatewayUrl?: string;
  /** Time source (ms) for rate-limit windows, timestamps and interaction expiry. Default Date.now. */
  clock?: () => number;
}

export interface UserJson {
  id: string;
  username: string;
  global_name: string | null;
  discriminator: string;
  avatar: null;
  bot?: boolean;
}

/** A user as tests describe one. */
export interface UserInput {
  id: string;
  username: string;
  global_name?: string;
  bot?: boolean;
}

export interface FakeGuild {
  id: string;
  name: string;
}

export interface FakeChannel {
  id: string;
  type: number;
  guildId?: string;
  name?: string;
  parentId?: string;
  ownerId?: string;
  recipient?: UserJson;
  archiveDuration?: number;
  createdAt: number;
  messages: FakeMessage[];
}

export interface FakeMessage {
  id: string;
  channelId: string;
  author: UserJson;
  content: string;
  components: ActionRowJson[];
  embeds: Array<Record<string, unknown>>;
  flags: number;
  mentions: UserJson[];
  createdAt: number;
  editedAt?: number;
  /** Earlier contents, oldest first, one per edit. */
  history: string[];
  /** The thread started from this message (its id is the message's). */
  threadId?: string;
  /** Sent as the answer of this interaction (or a follow-up to it). */
  interactionId?: string;
}

export interface FakeInteraction {
  id: string;
  token: string;
  type: 2 | 3;
  channelId: string;
  user: UserJson;
  createdAt: number;
  /** The callback type that answered it, once answered. */
  answeredWith?: number;
  /** The message of the answer (type 4 or 5), edited by PATCH …/messages/@original. */
  original?: FakeMessage;
  followUps: FakeMessage[];
  json: Record<string, unknown>;
}

export interface RecordedCall {
  seq: number;
  /** When it arrived (the fake's clock). */
  at: number;
  method: string;
  /** As requested, without the /api/v10 prefix. */
  path: string;
  /** The route template, e.g. `POST /channels/:id/messages`; undefined for an unknown route. */
  route?: string;
  channelId?: string;
  body: unknown;
  status: number;
  /** The JSON answered (an error body on failure). */
  response?: unknown;
  code?: number;
  /** Provoked on purpose (rateLimitNext, expectError): left out of unexpected(). */
  expected: boolean;
}

export interface ErrorMatcher {
  route?: string;
  code?: number;
  status?: number;
  times?: number;
}

interface Route {
  method: string;
  pattern: RegExp;
  name: string;
  /** Bot token needed (interaction and webhook routes carry their own token instead). */
  auth: boolean;
  bucket: BucketRule;
  handle(params: string[], body: unknown, query: URLSearchParams): unknown;
}

interface Waiter {
  test(call: RecordedCall): boolean;
  resolve(call: RecordedCall): void;
}

export class FakeDiscord {
  readonly token: string;
  readonly bot: UserJson;
  readonly gateway: FakeDiscordGateway;
  private readonly clock: () => number;
  private readonly buckets: RateBuckets;
  private readonly routes: Route[];
  private readonly options: FakeDiscordOptions;
  private readonly guilds = new Map<string, FakeGuild>();
  private readonly channels = new Map<string, FakeChannel>();
  private readonly users = new Map<string, UserJson>();
  private readonly interactions = new Map<string, FakeInteraction>();
  /** Registered commands by scope: '' global, else the guild id. */
  private readonly commandSets = new Map<string, Array<CommandJson & { id: string }>>();
  private readonly recorded: RecordedCall[] = [];
  private readonly expectations: Array<ErrorMatcher & { remaining: number }> = [];
  private readonly waiters: Waiter[] = [];
  private lastId = 0n;
  private server?: Server;
  private baseUrl = '';

  constructor(options: FakeDiscordOptions = {}) {
    this.options = options;
    this.token = options.token ?? FAKE_DISCORD_TOKEN;
    this.clock = options.clock ?? Date.now;
    this.buckets = new RateBuckets(this.clock);
    this.bot = this.addUser({ id: FAKE_DISCORD_BOT_ID, username: options.botName ?? 'patchbay', bot: true });
    this.gateway = new FakeDiscordGateway(
      {
        token: this.token,
        allowedPrivileged: options.messageContentIntent === false ? 0 : Intent.MessageContent,
        ready: (sessionId, resumeUrl) => this.readyPayload(sessionId, resumeUrl),
        guildCreates: () => [...this.guilds.values()].map((g) => this.guildCreate(g)),
      },
      options.heartbeatIntervalMs ?? 41_250,
    );
    this.routes = this.buildRoutes();
  }

  /** Starts REST and gateway on one loopback port. `apiUrl` is what DISCORD_API_URL takes. */
  async start(): Promise<{ apiUrl: string; gatewayUrl: string }> {
    const { server, url } = await listenOnLoopback((req, res) => void this.handle(req, res));
    server.on('upgrade', (req, socket, head) => {
      if (new URL(req.url ?? '/', url).pathname === '/gateway') this.gateway.upgrade(req, socket, head);
      else socket.destroy();
    });
    this.server = server;
    this.baseUrl = url;
    this.gateway.url = `${url.replace(/^http/, 'ws')}/gateway`;
    return { apiUrl: `${url}/api`, gatewayUrl: this.gateway.url };
  }

  async stop(): Promise<void> {
    await this.gateway.stop();
    await closeServer(this.server);
    for (const waiter of this.waiters.splice(0)) waiter.test = () => false;
  }

  get apiUrl(): string {
    return `${this.baseUrl}/api`;
  }

  // ------------------------------------------------------------------ the world, for tests

  addUser(input: UserInput): UserJson {
    const user: UserJson = {
      id: input.id,
      username: input.username,
      global_name: input.global_name ?? null,
      discriminator: '0',
      avatar: null,
      ...(input.bot ? { bot: true } : {}),
    };
    this.users.set(user.id, user);
    return user;
  }

  /** A guild the bot is in (delivered to gateway sessions that identify afterwards). */
  addGuild(name: string): FakeGuild {
    const guild = { id: this.snowflake(), name };
    this.guilds.set(guild.id, guild);
    return guild;
  }

  addTextChannel(guildId: string, name: string): FakeChannel {
    if (!this.guilds.has(guildId)) throw new Error(`FakeDiscord: no guild ${guildId}`);
    return this.newChannel({ type: ChannelType.GuildText, guildId, name });
  }

  /** The DM channel between the bot and `user`. */
  dmWith(user: UserInput): FakeChannel {
    const recipient = this.addUser(user);
    const existing = [...this.channels.values()].find((c) => c.type === ChannelType.DM && c.recipient?.id === recipient.id);
    return existing ?? this.newChannel({ type: ChannelType.DM, recipient });
  }

  channel(id: string): FakeChannel | undefined {
    return this.channels.get(id);
  }

  /** Threads of a channel, oldest first. */
  threadsOf(channelId: string): FakeChannel[] {
    return [...this.channels.values()].filter((c) => c.parentId === channelId);
  }

  /** The bot's messages in a channel as they look now, oldest first (ephemeral answers left out). */
  botMessages(channelId: string): FakeMessage[] {
    return (this.channels.get(channelId)?.messages ?? []).filter((m) => m.author.id === this.bot.id && !(m.flags & EPHEMERAL));
  }

  /** A user posts in a channel (MESSAGE_CREATE); `<@id>` in the content become its mentions. */
  userSends(input: { channelId: string; author: UserInput; content: string }): FakeMessage {
    const channel = this.mustChannel(input.channelId);
    const message = this.post(channel, this.addUser(input.author), { content: input.content, components: [], embeds: [] });
    this.dispatchMessage(channel, message);
    return message;
  }

  /** A user starts a thread of their own in a channel (THREAD_CREATE). */
  userStartsThread(input: { channelId: string; owner: UserInput; name: string }): FakeChannel {
    const parent = this.mustChannel(input.channelId);
    if (parent.type !== ChannelType.GuildText) throw new Error(`FakeDiscord: channel ${parent.id} cannot have threads`);
    return this.openThread(parent, this.snowflake(), input.name, this.addUser(input.owner));
  }

  /** A user runs a registered slash command in a channel (INTERACTION_CREATE type 2). */
  userRunsCommand(input: { channelId: string; user: UserInput; name: string; options?: Record<string, string | number | boolean> }): FakeInteraction {
    const channel = this.mustChannel(input.channelId);
    const command = [...(this.commandSets.get(channel.guildId ?? '') ?? []), ...(this.commandSets.get('') ?? [])].find((c) => c.name === input.name);
    if (!command) throw new Error(`FakeDiscord: no command /${input.name} is registered where channel ${channel.id} could see it`);
    const given = input.options ?? {};
    const options = (command.options ?? []).filter((o) => given[o.name] !== undefined).map((o) => ({ name: o.name, type: o.type, value: given[o.name] }));
    for (const name of Object.keys(given)) {
      if (!command.options?.some((o) => o.name === name)) throw new Error(`FakeDiscord: /${command.name} has no option ${name}`);
    }
    const data = { id: command.id, name: command.name, type: 1, ...(options.length ? { options } : {}), ...(channel.guildId ? { guild_id: channel.guildId } : {}) };
    return this.interact(2, channel, this.addUser(input.user), { data });
  }

  /** A user presses a button of a message (INTERACTION_CREATE type 3). */
  userPresses(input: { messageId: string; channelId: string; user: UserInput; customId: string }): FakeInteraction {
    const channel = this.mustChannel(input.channelId);
    const message = channel.messages.find((m) => m.id === input.messageId);
    if (!message?.components.some((row) => row.components.some((b) => b.custom_id === input.customId))) {
      throw new Error(`FakeDiscord: message ${input.messageId} has no button ${input.customId}`);
    }
    return this.interact(3, channel, this.addUser(input.user), { data: { custom_id: input.customId, component_type: 2 }, message: this.messageJson(message) });
  }

  interaction(id: string): FakeInteraction | undefined {
    return this.interactions.get(id);
  }

  /** Commands registered globally (no argument) or in a guild. */
  commands(guildId = ''): ReadonlyArray<CommandJson & { id: string }> {
    return this.commandSets.get(guildId) ?? [];
  }

  // ------------------------------------------------------------------ calls

  get calls(): readonly RecordedCall[] {
    return this.recorded;
  }

  callsTo(route: string): RecordedCall[] {
    return this.recorded.filter((c) => c.route === route);
  }

  /** Calls to unknown routes and failed calls nobody provoked on purpose. */
  unexpected(): RecordedCall[] {
    return this.recorded.filter((c) => c.status >= 400 && !c.expected);
  }

  /** Declares an error a test provokes on purpose, so unexpected() leaves it out. */
  expectError(matcher: ErrorMatcher): this {
    this.expectations.push({ ...matcher, remaining: matcher.times ?? 1 });
    return this;
  }

  /** The next matching call (`times` calls) gets 429 with this retry_after; counted as expected. */
  rateLimitNext(retryAfterSeconds: number, match: { channelId?: string; route?: string; times?: number } = {}): this {
    this.buckets.force(retryAfterSeconds, match);
    return this;
  }

  /** The most successful calls on one channel's messages within any `windowMs`. */
  peakRate(channelId: string, windowMs = 5_000): number {
    const times = this.recorded.filter((c) => c.channelId === channelId && c.status < 300 && c.route?.includes('/messages')).map((c) => c.at);
    let best = 0;
    for (let start = 0, end = 0; end < times.length; end++) {
      while (times[end] - times[start] >= windowMs) start++;
      best = Math.max(best, end - start + 1);
    }
    return best;
  }

  /** Resolves with the first call (now or later) that matches. */
  waitForCall(test: (call: RecordedCall) => boolean, timeoutMs = 5_000): Promise<RecordedCall> {
    const found = this.recorded.find(test);
    if (found) return Promise.resolve(found);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`FakeDiscord: no matching call within ${timeoutMs} ms`)), timeoutMs);
      this.waiters.push({
        test,
        resolve: (call) => {
          clearTimeout(timer);
          resolve(call);
        },
      });
    });
  }

  // ------------------------------------------------------------------ HTTP

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://fake');
    const path = url.pathname.replace(/^\/api\/v10(?=\/)/, '');
    const raw = (await readBody(req)).toString('utf8');
    const call: RecordedCall = { seq: this.recorded.length + 1, at: this.clock(), method: req.method ?? 'GET', path, body: undefined, status: 0, expected: false };
    this.recorded.push(call);
    let headers: Record<string, string> = {};
    try {
      if (path === url.pathname) throw errors.notFound();
      const found = this.route(call.method, path);
      if (!found) throw errors.notFound();
      const { route, params } = found;
      call.route = route.name;
      call.channelId = path.startsWith('/channels/') ? params[0] : undefined;
      call.body = parseJson(raw, req.headers['content-type']);
      if (route.auth && req.headers.authorization !== `Bot ${this.token}`) throw errors.unauthorized();
      const decision = this.buckets.take(route.bucket, params[0] ?? '', route.name, call.channelId);
      headers = decision.headers;
      if (decision.retryAfter !== undefined) {
        call.expected = decision.forced;
        return this.answer(res, call, 429, { message: 'You are being rate limited.', retry_after: decision.retryAfter, global: false }, headers);
      }
      const result = route.handle(params, call.body, url.searchParams);
      this.answer(res, call, result === undefined ? 204 : 200, result, headers);
    } catch (error) {
      const failure = error instanceof DiscordError ? error : new DiscordError(500, 0, `500: Internal Server Error (${(error as Error).message})`);
      call.code = failure.code;
      this.answer(res, call, failure.status, failure.body(), headers);
    }
  }

  private answer(res: ServerResponse, call: RecordedCall, status: number, body: unknown, headers: Record<string, string>): void {
    call.status = status;
    call.response = body;
    if (status >= 400 && !call.expected) call.expected = this.consumeExpectation(call);
    res.writeHead(status, { ...headers, ...(body === undefined ? {} : { 'Content-Type': 'application/json' }) });
    res.end(body === undefined ? undefined : JSON.stringify(body));
    for (const waiter of [...this.waiters]) {
      if (waiter.test(call)) {
        this.waiters.splice(this.waiters.indexOf(waiter), 1);
        waiter.resolve(call);
      }
    }
  }

  private consumeExpectation(call: RecordedCall): boolean {
    const match = this.expectations.find(
      (e) => e.remaining > 0 && (!e.route || e.route === call.route) && (e.code === undefined || e.code === call.code) && (e.status === undefined || e.status === call.status),
    );
    if (match) match.remaining--;
    return Boolean(match);
  }

  private route(method: string, path: string): { route: Route; params: string[] } | undefined {
    for (const route of this.routes) {
      const match = route.method === method ? route.pattern.exec(path) : null;
      if (match) return { route, params: match.slice(1).map(decodeURIComponent) };
    }
    return undefined;
  }

  private buildRoutes(): Route[] {
    const messages = this.options.messageLimit ?? { limit: 5, windowMs: 5_000 };
    const create: BucketRule = { name: 'channel-messages-create', ...messages };
    const edit: BucketRule = { name: 'channel-messages-edit', ...messages };
    const route = (method: string, template: string, handle: Route['handle'], options: { auth?: boolean; bucket?: BucketRule } = {}): Route => ({
      method,
      name: `${method} ${template}`,
      pattern: new RegExp(`^${template.replace(/:\w+/g, '([^/]+)')}$`),
      auth: options.auth ?? true,
      bucket: options.bucket ?? { name: `${method} ${template}`, limit: 50, windowMs: 1_000 },
      handle,
    });
    return [
      route('GET', '/gateway', () => ({ url: this.options.advertisedGatewayUrl ?? this.gateway.url })),
      route('GET', '/gateway/bot', () => ({
        url: this.options.advertisedGatewayUrl ?? this.gateway.url,
        shards: 1,
        session_start_limit: { total: 1000, remaining: 999, reset_after: 86_400_000, max_concurrency: 1 },
      })),
      route('GET', '/users/@me', () => this.bot),
      route('GET', '/applications/@me', () => this.applicationJson()),
      route('GET', '/channels/:id', ([id]) => this.channelJson(this.mustChannelFor(id))),
      route('GET', '/channels/:id/messages/:id', ([id, messageId]) => this.messageJson(this.mustMessage(this.mustChannelFor(id), messageId))),
      route('POST', '/channels/:id/messages', ([id], body) => this.createMessage(id, body), { bucket: create }),
      route('PATCH', '/channels/:id/messages/:id', ([id, messageId], body) => this.editMessage(id, messageId, body), { bucket: edit }),
      route('POST', '/channels/:id/messages/:id/threads', ([id, messageId], body) => this.startThread(id, messageId, body)),
      route('GET', '/applications/:id/commands', ([app]) => this.commandList(app, '')),
      route('PUT', '/applications/:id/commands', ([app], body) => this.putCommands(app, '', body)),
      route('GET', '/applications/:id/guilds/:id/commands', ([app, guild]) => this.commandList(app, guild)),
      route('PUT', '/applications/:id/guilds/:id/commands', ([app, guild], body) => this.putCommands(app, guild, body)),
      route('POST', '/interactions/:id/:token/callback', ([id, token], body, query) => this.callback(id, token, body, query), { auth: false }),
      route('POST', '/webhooks/:id/:token', ([app, token], body) => this.followUp(app, token, body), { auth: false }),
      route('PATCH', '/webhooks/:id/:token/messages/:id', ([app, token, messageId], body) => this.editAnswer(app, token, messageId, body), { auth: false }),
    ];
  }

  // ------------------------------------------------------------------ REST handlers

  private createMessage(channelId: string, body: unknown): unknown {
    const channel = this.mustChannelFor(channelId);
    const fields = this.messageFields(parse(MessageBody, body));
    return this.messageJson(this.post(channel, this.bot, fields));
  }

  private editMessage(channelId: string, messageId: string, body: unknown): unknown {
    const channel = this.mustChannelFor(channelId);
    const message = this.mustMessage(channel, messageId);
    if (message.author.id !== this.bot.id) throw errors.notTheAuthor();
    this.edit(message, parse(MessageBody, body));
    return this.messageJson(message);
  }

  private startThread(channelId: string, messageId: string, body: unknown): unknown {
    const parent = this.mustChannelFor(channelId);
    const message = this.mustMessage(parent, messageId);
    const { name, auto_archive_duration } = parse(ThreadBody, body);
    if (parent.type !== ChannelType.GuildText) throw errors.wrongChannelType();
    if (message.threadId) throw errors.threadExists();
    // A thread started from a message has the message's id.
    const thread = this.openThread(parent, message.id, name, this.bot, auto_archive_duration);
    message.threadId = thread.id;
    return this.channelJson(thread);
  }

  private openThread(parent: FakeChannel, id: string, name: string, owner: UserJson, archiveDuration = 4320): FakeChannel {
    const thread: FakeChannel = {
      id,
      type: ChannelType.PublicThread,
      guildId: parent.guildId,
      parentId: parent.id,
      ownerId: owner.id,
      name,
      archiveDuration,
      createdAt: this.clock(),
      messages: [],
    };
    this.channels.set(thread.id, thread);
    this.gateway.dispatch({ t: 'THREAD_CREATE', d: { ...this.channelJson(thread), newly_created: true }, intents: Intent.Guilds });
    return thread;
  }

  private commandList(app: string, guildId: string): unknown {
    this.checkCommandScope(app, guildId);
    return this.commands(guildId);
  }

  private putCommands(app: string, guildId: string, body: unknown): unknown {
    this.checkCommandScope(app, guildId);
    const commands = parse(CommandsBody, body).map((c) => ({ ...c, id: this.snowflake(), application_id: this.bot.id, version: this.snowflake(), type: 1 as const }));
    this.commandSets.set(guildId, commands);
    return commands;
  }

  private checkCommandScope(app: string, guildId: string): void {
    if (app !== this.bot.id) throw new DiscordError(404, 10002, 'Unknown Application');
    if (this.options.commandsForbidden || (guildId && !this.guilds.has(guildId))) throw errors.missingAccess();
  }

  private callback(id: string, token: string, body: unknown, query: URLSearchParams): unknown {
    const interaction = this.interactions.get(id);
    // Unanswered for 3 s, an interaction is gone.
    if (!interaction || interaction.token !== token || (!interaction.answeredWith && this.clock() - interaction.createdAt > 3_000)) throw errors.unknownInteraction();
    if (interaction.answeredWith) throw errors.alreadyAcknowledged();
    const { type, data } = parse(CallbackBody, body);
    const channel = this.mustChannel(interaction.channelId);
    if ((type === 6 || type === 7) && interaction.type !== 3) throw errors.invalidForm(['type'], 'INTERACTION_RESPONSE_TYPE_INVALID', 'Interaction response type is invalid.');
    if (type === 4 || type === 5) {
      const fields = type === 4 ? this.messageFields(data ?? {}) : { content: '', components: [], embeds: [] };
      const flags = ((data?.flags ?? 0) & EPHEMERAL) | (type === 5 ? LOADING : 0);
      interaction.original = this.post(channel, this.bot, { ...fields, flags, interactionId: interaction.id });
    } else if (type === 7) {
      this.edit(this.mustMessage(channel, String((interaction.json.message as { id: string }).id)), data ?? {});
    }
    interaction.answeredWith = type;
    if (query.get('with_response') !== 'true') return undefined;
    return {
      interaction: {
        id,
        type: interaction.type,
        response_message_id: interaction.original?.id,
        response_message_loading: type === 5,
        response_message_ephemeral: Boolean((interaction.original?.flags ?? 0) & EPHEMERAL),
      },
      resource: { type, ...(interaction.original ? { message: this.messageJson(interaction.original) } : {}) },
    };
  }

  private followUp(app: string, token: string, body: unknown): unknown {
    const interaction = this.interactionByToken(app, token);
    if (!interaction.answeredWith) throw errors.unknownWebhook();
    const parsed = parse(MessageBody, body);
    const message = this.post(this.mustChannel(interaction.channelId), this.bot, {
      ...this.messageFields(parsed),
      flags: (parsed.flags ?? 0) & EPHEMERAL,
      interactionId: interaction.id,
    });
    interaction.followUps.push(message);
    return this.messageJson(message);
  }

  private editAnswer(app: string, token: string, messageId: string, body: unknown): unknown {
    const interaction = this.interactionByToken(app, token);
    const message = messageId === '@original' ? interaction.original : interaction.followUps.find((m) => m.id === messageId);
    if (!message) throw errors.unknownMessage();
    message.flags &= ~LOADING;
    this.edit(message, parse(MessageBody, body));
    return this.messageJson(message);
  }

  /** An interaction's token works as a webhook for 15 minutes. */
  private interactionByToken(app: string, token: string): FakeInteraction {
    const interaction = [...this.interactions.values()].find((i) => i.token === token);
    if (app !== this.bot.id || !interaction || this.clock() - interaction.createdAt > 15 * 60_000) throw errors.unknownWebhook();
    return interaction;
  }

  // ------------------------------------------------------------------ messages

  /** What a create body makes: content and components checked (50006 when nothing is left). */
  private messageFields(body: MessageBody): Pick<FakeMessage, 'content' | 'components' | 'embeds'> {
    const fields = { content: body.content ?? '', components: body.components ?? [], embeds: body.embeds ?? [] };
    if (isEmpty(fields)) throw errors.emptyMessage();
    return fields;
  }

  private edit(message: FakeMessage, body: MessageBody): void {
    const next = {
      content: body.content === undefined ? message.content : (body.content ?? ''),
      components: body.components ?? message.components,
      embeds: body.embeds ?? message.embeds,
    };
    if (isEmpty(next) && !(message.flags & LOADING)) throw errors.emptyMessage();
    if (next.content !== message.content) message.history.push(message.content);
    Object.assign(message, next, { editedAt: this.clock() });
    const dm = this.channels.get(message.channelId)?.type === ChannelType.DM;
    this.gateway.dispatch({ t: 'MESSAGE_UPDATE', d: this.messageJson(message), intents: dm ? Intent.DirectMessages : Intent.GuildMessages });
  }

  private post(channel: FakeChannel, author: UserJson, fields: Pick<FakeMessage, 'content' | 'components' | 'embeds'> & { flags?: number; interactionId?: string }): FakeMessage {
    const mentions = [...fields.content.matchAll(/<@!?(\d+)>/g)].map((m) => this.users.get(m[1])).filter((u): u is UserJson => Boolean(u));
    const message: FakeMessage = {
      id: this.snowflake(),
      channelId: channel.id,
      author,
      content: fields.content,
      components: fields.components,
      embeds: fields.embeds,
      flags: fields.flags ?? 0,
      mentions: [...new Map(mentions.map((u) => [u.id, u])).values()],
      createdAt: this.clock(),
      history: [],
      ...(fields.interactionId ? { interactionId: fields.interactionId } : {}),
    };
    channel.messages.push(message);
    if (author.id === this.bot.id && !(message.flags & EPHEMERAL)) this.dispatchMessage(channel, message);
    return message;
  }

  /** MESSAGE_CREATE to sessions with the intent; without MESSAGE_CONTENT, content only where Discord gives it. */
  private dispatchMessage(channel: FakeChannel, message: FakeMessage): void {
    const dm = channel.type === ChannelType.DM;
    const d = {
      ...this.messageJson(message),
      channel_type: channel.type,
      ...(channel.guildId ? { guild_id: channel.guildId, member: { roles: [], joined_at: iso(channel.createdAt), deaf: false, mute: false, flags: 0 } } : {}),
    };
    const contentVisible = dm || message.author.id === this.bot.id || message.mentions.some((u) => u.id === this.bot.id);
    this.gateway.dispatch({
      t: 'MESSAGE_CREATE',
      d,
      intents: dm ? Intent.DirectMessages : Intent.GuildMessages,
      view: (payload, intents) => (intents & Intent.MessageContent || contentVisible ? payload : { ...payload, content: '', embeds: [], components: [] }),
    });
  }

  private interact(type: 2 | 3, channel: FakeChannel, user: UserJson, extra: Record<string, unknown>): FakeInteraction {
    const id = this.snowflake();
    const token = `aW50ZXJhY3Rpb246${id}${randomBytes(24).toString('base64url')}`;
    const json: Record<string, unknown> = {
      id,
      application_id: this.bot.id,
      type,
      token,
      version: 1,
      channel_id: channel.id,
      channel: this.channelJson(channel),
      app_permissions: '2248473465835073',
      locale: 'en-US',
      entitlements: [],
      attachment_size_limit: 10_485_760,
      ...(channel.guildId
        ? {
            guild_id: channel.guildId,
            guild_locale: 'en-US',
            member: { user, roles: [], permissions: '2248473465835073', joined_at: iso(channel.createdAt), deaf: false, mute: false, flags: 0 },
            authorizing_integration_owners: { '0': channel.guildId },
            context: 0,
          }
        : { user, authorizing_integration_owners: { '1': user.id }, context: 1 }),
      ...extra,
    };
    const interaction: FakeInteraction = { id, token, type, channelId: channel.id, user, createdAt: this.clock(), followUps: [], json };
    this.interactions.set(id, interaction);
    this.gateway.dispatch({ t: 'INTERACTION_CREATE', d: json });
    return interaction;
  }

  // ------------------------------------------------------------------ JSON shapes

  private readyPayload(sessionId: string, resumeUrl: string): Record<string, unknown> {
    return {
      v: 10,
      user: { ...this.bot, verified: true, mfa_enabled: false, flags: 0 },
      guilds: [...this.guilds.keys()].map((id) => ({ id, unavailable: true })),
      session_id: sessionId,
      session_type: 'normal',
      resume_gateway_url: resumeUrl,
      shard: [0, 1],
      application: { id: this.bot.id, flags: this.applicationFlags() },
      private_channels: [],
      presences: [],
      relationships: [],
      guild_join_requests: [],
      user_settings: {},
      geo_ordered_rtc_regions: [],
    };
  }

  private guildCreate(guild: FakeGuild): Record<string, unknown> {
    const channels = [...this.channels.values()].filter((c) => c.guildId === guild.id);
    return {
      id: guild.id,
      name: guild.name,
      icon: null,
      owner_id: '1',
      unavailable: false,
      large: false,
      member_count: 2,
      joined_at: iso(this.clock()),
      features: [],
      roles: [{ id: guild.id, name: '@everyone', permissions: '2248473465835073', position: 0, color: 0, hoist: false, managed: false, mentionable: false, flags: 0 }],
      emojis: [],
      stickers: [],
      members: [{ user: this.bot, roles: [], joined_at: iso(this.clock()), deaf: false, mute: false, flags: 0 }],
      channels: channels.filter((c) => c.type !== ChannelType.PublicThread).map((c) => this.channelJson(c)),
      threads: channels.filter((c) => c.type === ChannelType.PublicThread).map((c) => this.channelJson(c)),
      voice_states: [],
      presences: [],
      stage_instances: [],
      guild_scheduled_events: [],
      soundboard_sounds: [],
    };
  }

  private applicationFlags(): number {
    return this.options.messageContentIntent === false ? 0 : GATEWAY_MESSAGE_CONTENT;
  }

  private applicationJson(): Record<string, unknown> {
    return {
      id: this.bot.id,
      name: this.bot.username,
      icon: null,
      description: '',
      bot_public: false,
      bot_require_code_grant: false,
      verify_key: '0'.repeat(64),
      flags: this.applicationFlags(),
      bot: this.bot,
      owner: { id: '1', username: 'owner', global_name: null, discriminator: '0', avatar: null },
      team: null,
    };
  }

  private channelJson(channel: FakeChannel): Record<string, unknown> {
    const last = channel.messages.at(-1)?.id ?? null;
    if (channel.type === ChannelType.DM) return { id: channel.id, type: 1, last_message_id: last, flags: 0, recipients: [channel.recipient] };
    const base = { id: channel.id, type: channel.type, guild_id: channel.guildId, name: channel.name, last_message_id: last, rate_limit_per_user: 0, flags: 0 };
    if (channel.type === ChannelType.GuildText) return { ...base, position: 0, permission_overwrites: [], nsfw: false, topic: null, parent_id: null };
    return {
      ...base,
      parent_id: channel.parentId,
      owner_id: channel.ownerId,
      message_count: channel.messages.length,
      total_message_sent: channel.messages.length,
      member_count: 1,
      thread_metadata: {
        archived: false,
        auto_archive_duration: channel.archiveDuration,
        archive_timestamp: iso(channel.createdAt),
        locked: false,
        create_timestamp: iso(channel.createdAt),
      },
    };
  }

  private messageJson(message: FakeMessage): Record<string, unknown> {
    const thread = message.threadId ? this.channels.get(message.threadId) : undefined;
    return {
      id: message.id,
      type: 0,
      channel_id: message.channelId,
      author: message.author,
      content: message.content,
      timestamp: iso(message.createdAt),
      edited_timestamp: message.editedAt === undefined ? null : iso(message.editedAt),
      tts: false,
      mention_everyone: false,
      mentions: message.mentions,
      mention_roles: [],
      attachments: [],
      embeds: message.embeds,
      components: message.components,
      pinned: false,
      flags: message.flags,
      ...(thread ? { thread: this.channelJson(thread) } : {}),
      ...(message.interactionId ? { webhook_id: this.bot.id, application_id: this.bot.id } : {}),
    };
  }

  // ------------------------------------------------------------------ lookups

  private newChannel(fields: Omit<FakeChannel, 'id' | 'messages' | 'createdAt'>): FakeChannel {
    const channel: FakeChannel = { id: this.snowflake(), createdAt: this.clock(), messages: [], ...fields };
    this.channels.set(channel.id, channel);
    return channel;
  }

  private mustChannel(id: string): FakeChannel {
    const channel = this.channels.get(id);
    if (!channel) throw new Error(`FakeDiscord: no channel ${id}`);
    return channel;
  }

  /** A channel as a REST call names it: 10003 when unknown. */
  private mustChannelFor(id: string): FakeChannel {
    const channel = this.channels.get(id);
    if (!channel) throw errors.unknownChannel();
    return channel;
  }

  private mustMessage(channel: FakeChannel, id: string): FakeMessage {
    const message = channel.messages.find((m) => m.id === id);
    if (!message) throw errors.unknownMessage();
    return message;
  }

  /** Snowflakes from the clock, strictly increasing. */
  private snowflake(): string {
    const fromClock = (BigInt(Math.floor(this.clock())) - DISCORD_EPOCH) << 22n;
    this.lastId = fromClock > this.lastId ? fromClock : this.lastId + 1n;
    return String(this.lastId);
  }
}

function isEmpty(fields: { content: string; components: unknown[]; embeds: unknown[] }): boolean {
  return !fields.content.trim() && fields.components.length === 0 && fields.embeds.length === 0;
}

function parse<T>(schema: z.ZodType<T>, body: unknown): T {
  const result = schema.safeParse(body);
  if (!result.success) throw errors.formError(result.error);
  return result.data;
}

function parseJson(raw: string, contentType: string | undefined): unknown {
  if (!raw) return undefined;
  if (!contentType?.startsWith('application/json')) throw new DiscordError(400, 50035, 'Invalid Form Body (the fake takes JSON bodies only)');
  try {
    return JSON.parse(raw);
  } catch {
    throw new DiscordError(400, 50109, 'The request body contains invalid JSON.');
  }
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}
