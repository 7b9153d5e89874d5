import { ActionRowBuilder, ButtonBuilder, ButtonStyle, ChannelType, Client, DiscordAPIError, Events, GatewayIntentBits, Message, RateLimitError, TextChannel } from 'discord.js';
import { WebSocket } from 'ws';
import { FAKE_DISCORD_BOT_ID, FAKE_DISCORD_TOKEN, FakeDiscord, FakeDiscordOptions } from './fake-discord-api';

/**
 * The real discord.js client (REST and gateway) against FakeDiscord; a raw websocket where
 * the gateway's own rules are the point. Every test starts its own fake.
 */

jest.setTimeout(30_000);

const ADA = { id: '2100000000000000001', username: 'ada', global_name: 'Ada' };
const INTENTS = [GatewayIntentBits.Guilds, GatewayIntentBits.GuildMessages, GatewayIntentBits.DirectMessages, GatewayIntentBits.MessageContent];

let fake: FakeDiscord;
let apiUrl: string;
let gatewayUrl: string;
const clients: Client[] = [];

async function startFake(options: FakeDiscordOptions = {}): Promise<void> {
  fake = new FakeDiscord(options);
  ({ apiUrl, gatewayUrl } = await fake.start());
}

function client(options: { rejectOnRateLimit?: boolean; intents?: number[] } = {}): Client {
  const c = new Client({
    intents: options.intents ?? INTENTS,
    rest: { api: apiUrl, ...(options.rejectOnRateLimit ? { rejectOnRateLimit: () => true } : {}) },
  });
  clients.push(c);
  return c;
}

async function login(c: Client): Promise<void> {
  const ready = new Promise<void>((resolve) => c.once(Events.ClientReady, () => resolve()));
  await c.login(FAKE_DISCORD_TOKEN);
  await ready;
}

afterEach(async () => {
  for (const c of clients.splice(0)) await c.destroy();
  await fake.stop();
});

describe('FakeDiscord with discord.js', () => {
  let channelId: string;

  beforeEach(async () => {
    await startFake();
    const guild = fake.addGuild('team');
    channelId = fake.addTextChannel(guild.id, 'general').id;
  });

  it('logs in: GET /gateway/bot names its websocket, IDENTIFY, READY, then the guild with its channels', async () => {
    const c = client();
    await login(c);
    expect(c.user?.id).toBe(FAKE_DISCORD_BOT_ID);
    expect(c.application?.id).toBe(FAKE_DISCORD_BOT_ID);
    expect(c.channels.cache.get(channelId)?.type).toBe(ChannelType.GuildText);
    expect(fake.gateway.identifies[0]).toMatchObject({ token: FAKE_DISCORD_TOKEN, intents: INTENTS.reduce((a, b) => a | b, 0) });
    expect(fake.callsTo('GET /gateway/bot')).toHaveLength(1);
    expect(fake.unexpected()).toEqual([]);
  });

  it('sends, edits (with buttons) and delivers users’ messages with their mentions', async () => {
    const c = client();
    await login(c);
    const received = new Promise<Message>((resolve) => c.on(Events.MessageCreate, (m) => m.author.id === ADA.id && resolve(m)));
    fake.userSends({ channelId, author: ADA, content: `<@${FAKE_DISCORD_BOT_ID}> hello` });
    const message = await received;
    expect(message.mentions.users.has(FAKE_DISCORD_BOT_ID)).toBe(true);
    expect(message.content).toBe(`<@${FAKE_DISCORD_BOT_ID}> hello`);

    const channel = (await c.channels.fetch(channelId)) as TextChannel;
    const button = new ButtonBuilder().setCustomId('stop:s1').setLabel('Stop').setStyle(ButtonStyle.Secondary);
    const sent = await channel.send({ content: 'working', components: [new ActionRowBuilder<ButtonBuilder>().addComponents(button)] });
    await channel.messages.edit(sent.id, { content: 'done', components: [] });
    const shown = fake.botMessages(channelId);
    expect(shown).toHaveLength(1);
    expect(shown[0]).toMatchObject({ content: 'done', components: [], history: ['working'] });
    expect(fake.unexpected()).toEqual([]);
  });

  it('refuses what Discord refuses, in Discord’s words', async () => {
    const c = client();
    await login(c);
    const channel = (await c.channels.fetch(channelId)) as TextChannel;
    fake.expectError({ code: 50035 }).expectError({ code: 50006 }).expectError({ code: 10008 }).expectError({ code: 50005 }).expectError({ code: 10003 });

    const tooLong = await channel.send('x'.repeat(2001)).catch((e: unknown) => e);
    expect(tooLong).toBeInstanceOf(DiscordAPIError);
    expect((tooLong as DiscordAPIError).rawError).toEqual({
      code: 50035,
      message: 'Invalid Form Body',
      errors: { content: { _errors: [{ code: 'BASE_TYPE_MAX_LENGTH', message: 'Must be 2000 or fewer in length.' }] } },
    });
    await expect(channel.send({ content: '   ' })).rejects.toMatchObject({ code: 50006, message: 'Cannot send an empty message' });
    await expect(channel.messages.edit('1234', 'x')).rejects.toMatchObject({ code: 10008, status: 404 });
    const theirs = fake.userSends({ channelId, author: ADA, content: 'mine' });
    await expect(channel.messages.edit(theirs.id, 'x')).rejects.toMatchObject({ code: 50005, status: 403 });
    await expect(c.rest.post('/channels/999/messages', { body: { content: 'x' } })).rejects.toMatchObject({ code: 10003 });
    expect(fake.unexpected()).toEqual([]);
  });

  it('answers a wrong token with 401 and an unknown route with 404, recorded as unexpected', async () => {
    const c = client();
    await expect(c.login('bm9wZQ.wrong.token')).rejects.toThrow();
    expect(fake.calls[0]).toMatchObject({ route: 'GET /gateway/bot', status: 401, response: { message: '401: Unauthorized', code: 0 } });
    const res = await fetch(`${apiUrl}/v10/guilds/1/roles`, { headers: { authorization: `Bot ${FAKE_DISCORD_TOKEN}` } });
    expect(res.status).toBe(404);
    expect(fake.unexpected().map((call) => call.path)).toEqual(['/gateway/bot', '/guilds/1/roles']);
  });

  it('limits messages per channel with the real headers', async () => {
    // A short window: discord.js leaves its own sleep timer running after it refuses a call.
    await fake.stop();
    await startFake({ messageLimit: { limit: 5, windowMs: 1_500 } });
    channelId = fake.addTextChannel(fake.addGuild('team').id, 'general').id;
    const c = client({ rejectOnRateLimit: true });
    await login(c);
    const channel = (await c.channels.fetch(channelId)) as TextChannel;
    for (let i = 0; i < 5; i++) await channel.send(`message ${i}`);
    const last = fake.callsTo('POST /channels/:id/messages').at(-1)!;
    expect(last.status).toBe(200);
    // discord.js read X-RateLimit-Remaining: 0 and now refuses locally, before the fake sees a 6th call.
    const refused = await channel.send('one too many').catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(RateLimitError);
    expect((refused as RateLimitError).timeToReset).toBeGreaterThan(1_000);
    expect(fake.callsTo('POST /channels/:id/messages')).toHaveLength(5);

    const raw = await fetch(`${apiUrl}/v10/channels/${channelId}/messages`, {
      method: 'POST',
      headers: { authorization: `Bot ${FAKE_DISCORD_TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ content: 'again' }),
    });
    expect(raw.status).toBe(429);
    expect(raw.headers.get('x-ratelimit-limit')).toBe('5');
    expect(raw.headers.get('x-ratelimit-remaining')).toBe('0');
    expect(Number(raw.headers.get('x-ratelimit-reset-after'))).toBeGreaterThan(1);
    expect(raw.headers.get('x-ratelimit-bucket')).toMatch(/^[0-9a-f]{32}$/);
    expect(Number(raw.headers.get('retry-after'))).toBe(2);
    const body = (await raw.json()) as { message: string; retry_after: number; global: boolean };
    expect(body).toMatchObject({ message: 'You are being rate limited.', global: false });
    expect(body.retry_after).toBeGreaterThan(1);
    expect(fake.unexpected()).toHaveLength(1);
    await new Promise((resolve) => setTimeout(resolve, (refused as RateLimitError).timeToReset));
  });

  it('forces a 429 on the next call (rateLimitNext), counted as expected', async () => {
    const c = client({ rejectOnRateLimit: true });
    await login(c);
    const channel = (await c.channels.fetch(channelId)) as TextChannel;
    fake.rateLimitNext(2.5, { channelId });
    const refused = await channel.send('hello').catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(RateLimitError);
    expect((refused as RateLimitError).retryAfter).toBeGreaterThanOrEqual(2_500);
    expect(fake.callsTo('POST /channels/:id/messages')[0]).toMatchObject({ status: 429, response: { retry_after: 2.5, global: false }, expected: true });
    expect(fake.unexpected()).toEqual([]);
  });

  it('starts a thread from a message: a type-11 channel with the message’s id, THREAD_CREATE dispatched', async () => {
    const c = client();
    await login(c);
    const created = new Promise<string>((resolve) => c.on(Events.ThreadCreate, (t, newly) => newly && resolve(t.id)));
    const from = fake.userSends({ channelId, author: ADA, content: 'start here' });
    const channel = (await c.channels.fetch(channelId)) as TextChannel;
    const thread = await (await channel.messages.fetch(from.id)).startThread({ name: 'session' });
    expect(thread.id).toBe(from.id);
    expect(thread.type).toBe(ChannelType.PublicThread);
    expect(await created).toBe(from.id);
    await thread.send('in the thread');
    expect(fake.botMessages(thread.id).map((m) => m.content)).toEqual(['in the thread']);
    fake.expectError({ code: 160004 });
    await expect(c.rest.post(`/channels/${channelId}/messages/${from.id}/threads`, { body: { name: 'again' } })).rejects.toMatchObject({ code: 160004 });
    expect(fake.unexpected()).toEqual([]);
  });

  it('registers slash commands and delivers a command run and a button press; answers go through the callback', async () => {
    const c = client();
    await login(c);
    const guildId = fake.channel(channelId)!.guildId!;
    await c.application!.commands.set(
      [{ name: 'attach', description: 'watch a session', options: [{ type: 3, name: 'session', description: 'its id', required: true }] }],
      guildId,
    );
    expect(fake.commands(guildId).map((cmd) => cmd.name)).toEqual(['attach']);

    const seen: string[] = [];
    c.on(Events.InteractionCreate, async (interaction) => {
      if (interaction.isChatInputCommand()) {
        seen.push(`/${interaction.commandName} ${interaction.options.getString('session')}`);
        await interaction.deferReply();
        await interaction.editReply('attached');
      } else if (interaction.isButton()) {
        seen.push(`button ${interaction.customId}`);
        await interaction.reply({ content: 'stopping', flags: 64 });
      }
    });
    const run = fake.userRunsCommand({ channelId, user: ADA, name: 'attach', options: { session: 's-42' } });
    await fake.waitForCall((call) => call.route === 'PATCH /webhooks/:id/:token/messages/:id');
    expect(fake.interaction(run.id)?.original?.content).toBe('attached');

    const channel = (await c.channels.fetch(channelId)) as TextChannel;
    const withButton = await channel.send({
      content: 'run',
      components: [new ActionRowBuilder<ButtonBuilder>().addComponents(new ButtonBuilder().setCustomId('stop:s-42').setLabel('Stop').setStyle(ButtonStyle.Danger))],
    });
    const press = fake.userPresses({ channelId, messageId: withButton.id, user: ADA, customId: 'stop:s-42' });
    await fake.waitForCall((call) => call.path.startsWith(`/interactions/${press.id}/`));
    expect(fake.interaction(press.id)).toMatchObject({ answeredWith: 4, original: { content: 'stopping', flags: 64 } });
    expect(seen).toEqual(['/attach s-42', 'button stop:s-42']);

    fake.expectError({ code: 40060 });
    await expect(c.rest.post(`/interactions/${press.id}/${press.token}/callback`, { body: { type: 4, data: { content: 'again' } }, auth: false })).rejects.toMatchObject({
      code: 40060,
    });
    expect(fake.unexpected()).toEqual([]);
  });

  it('answers 403 Missing Access to command registration when the app may not register them', async () => {
    await fake.stop();
    await startFake({ commandsForbidden: true });
    const c = client();
    await login(c);
    fake.expectError({ code: 50001 });
    await expect(c.application!.commands.set([{ name: 'help', description: 'help' }])).rejects.toMatchObject({ code: 50001, status: 403 });
    expect(fake.unexpected()).toEqual([]);
  });

  it('hides message content in guilds without the MESSAGE_CONTENT intent, but not when the bot is mentioned', async () => {
    const c = client({ intents: [GatewayIntentBits.Guilds, GatewayIntentBits.GuildMessages] });
    await login(c);
    const contents: string[] = [];
    c.on(Events.MessageCreate, (m) => void (m.author.id === ADA.id && contents.push(m.content)));
    fake.userSends({ channelId, author: ADA, content: 'secret' });
    fake.userSends({ channelId, author: ADA, content: `<@${FAKE_DISCORD_BOT_ID}> visible` });
    await waitFor(() => contents.length === 2);
    expect(contents).toEqual(['', `<@${FAKE_DISCORD_BOT_ID}> visible`]);
  });

  it('resumes after the connection drops, replaying what was missed', async () => {
    const c = client();
    await login(c);
    const contents: string[] = [];
    c.on(Events.MessageCreate, (m) => void (m.author.id === ADA.id && contents.push(m.content)));
    fake.gateway.drop(4000);
    fake.userSends({ channelId, author: ADA, content: 'while away' });
    await waitFor(() => contents.length === 1);
    expect(contents).toEqual(['while away']);
    expect(fake.gateway.identifies).toHaveLength(1);
  });
});

describe('FakeDiscord gateway rules (raw websocket)', () => {
  beforeEach(() => startFake({ messageContentIntent: false }));

  it('says HELLO, ACKs heartbeats, and closes 4004 on a bad token, 4014 on a disallowed intent, 4003 before identifying', async () => {
    const hello = await session((ws, next) => next().then((m) => (ws.send(JSON.stringify({ op: 1, d: null })), m)));
    expect(hello).toMatchObject({ op: 10, d: { heartbeat_interval: 41_250 } });
    expect(await closeAfter({ op: 2, d: identify('bad', 1) })).toBe(4004);
    expect(await closeAfter({ op: 2, d: identify(FAKE_DISCORD_TOKEN, GatewayIntentBits.Guilds | GatewayIntentBits.MessageContent) })).toBe(4014);
    expect(await closeAfter({ op: 3, d: {} })).toBe(4003);
    const ack = await session(async (ws, next) => {
      await next();
      ws.send(JSON.stringify({ op: 1, d: null }));
      return next();
    });
    expect(ack).toMatchObject({ op: 11 });
  });

  it('answers RESUME of an unknown session with INVALID_SESSION', async () => {
    const answer = await session(async (ws, next) => {
      await next();
      ws.send(JSON.stringify({ op: 6, d: { token: FAKE_DISCORD_TOKEN, session_id: 'nope', seq: 3 } }));
      return next();
    });
    expect(answer).toMatchObject({ op: 9, d: false });
  });
});

function identify(token: string, intents: number) {
  return { token, intents, properties: { os: 'linux', browser: 'test', device: 'test' } };
}

/** Opens a raw gateway connection and runs `script` with a way to read the next payload. */
async function session<T>(script: (ws: WebSocket, next: () => Promise<unknown>) => Promise<T>): Promise<T> {
  const ws = new WebSocket(`${gatewayUrl}?v=10&encoding=json`);
  const queue: unknown[] = [];
  const waiting: Array<(m: unknown) => void> = [];
  ws.on('message', (raw) => {
    const payload = JSON.parse(raw.toString());
    const waiter = waiting.shift();
    if (waiter) waiter(payload);
    else queue.push(payload);
  });
  const next = () => (queue.length ? Promise.resolve(queue.shift()) : new Promise<unknown>((resolve) => waiting.push(resolve)));
  try {
    return await script(ws, next);
  } finally {
    ws.close();
  }
}

/** Sends `payload` after HELLO; resolves with the close code the server answers with. */
function closeAfter(payload: unknown): Promise<number> {
  return new Promise((resolve) => {
    const ws = new WebSocket(`${gatewayUrl}?v=10&encoding=json`);
    ws.once('message', () => ws.send(JSON.stringify(payload)));
    ws.on('close', (code) => resolve(code));
  });
}

async function waitFor(condition: () => boolean, timeoutMs = 5_000): Promise<void> {
  for (const deadline = Date.now() + timeoutMs; !condition();) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
