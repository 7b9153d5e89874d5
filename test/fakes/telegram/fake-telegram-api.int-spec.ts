import { createServer, IncomingHttpHeaders, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { Bot, GrammyError, InlineKeyboard, webhookCallback } from 'grammy';
import { FAKE_BOT_TOKEN, FakeTelegramApi, FakeTelegramApiOptions, RecordedCall } from './fake-telegram-api';

/**
 * The real grammy client (Bot, bot.api, bot.start() long polling, webhookCallback) against
 * FakeTelegramApi. Every test starts its own fake and stops its bots / servers.
 */

jest.setTimeout(30_000);

const ALICE = { id: 111_111_111, first_name: 'Alice', username: 'alice_test' };
const BOB = { id: 222_222_222, first_name: 'Bob' };
const GROUP_ID = -1_001_234_567_890;
const FORUM_ID = -1_009_876_543_210;

const CONFLICT_WEBHOOK_ACTIVE = "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first";
const NOT_MODIFIED =
  'Bad Request: message is not modified: specified new message content and reply markup are exactly the same as a current content and reply markup of the message';

let fake: FakeTelegramApi;
let apiRoot: string;
const cleanups: Array<() => Promise<unknown> | unknown> = [];

/** Replaces the fake beforeEach started (tests that need options). */
async function startFake(options: FakeTelegramApiOptions = {}): Promise<void> {
  if (fake) await fake.stop();
  fake = new FakeTelegramApi(options);
  apiRoot = await fake.start();
}

beforeEach(async () => {
  await startFake();
});

afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
  await fake.stop();
});

function newBot(token = FAKE_BOT_TOKEN, client: Record<string, unknown> = {}): Bot {
  return new Bot(token, { client: { apiRoot, ...client } });
}

/**
 * Starts long polling and registers a clean stop. grammy quirk: bot.stop() while bot.start() is
 * still in its setup (getMe / deleteWebhook in flight) makes bot.start() reject with "Aborted
 * delay" (its retry loop sees the aborted fetch), so the cleanup waits for onStart first.
 */
function startPolling(bot: Bot, options: Parameters<Bot['start']>[0] = {}): Promise<void> {
  let started!: () => void;
  const ready = new Promise<void>((resolve) => (started = resolve));
  const running = bot.start({
    ...options,
    onStart: async (info) => {
      started();
      await options.onStart?.(info);
    },
  });
  running.catch(() => undefined); // tests that care await the returned promise
  cleanups.push(async () => {
    await Promise.race([ready, running.catch(() => undefined)]);
    if (bot.isRunning()) await bot.stop();
    await running.catch(() => undefined);
  });
  return running;
}

async function until(condition: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}

async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  cleanups.push(() => {
    server.closeAllConnections();
    return new Promise((resolve) => server.close(() => resolve(undefined)));
  });
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/telegram/webhook`;
}

async function grammyError(promise: Promise<unknown>): Promise<GrammyError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof GrammyError) return error;
    throw error;
  }
  throw new Error('expected the call to fail with a GrammyError');
}

async function expectApiError(promise: Promise<unknown>, errorCode: number, description: string): Promise<GrammyError> {
  const error = await grammyError(promise);
  expect({ error_code: error.error_code, description: error.description }).toEqual({ error_code: errorCode, description });
  return error;
}

function messageId(call: RecordedCall): number {
  return (call.result as { message_id: number }).message_id;
}

describe('FakeTelegramApi with the real grammy client', () => {
  describe('wire protocol', () => {
    it('bot.init() gets the bot with getMe; grammy POSTs JSON', async () => {
      const bot = newBot();
      await bot.init();
      expect(bot.botInfo).toMatchObject({ id: 7_000_000_001, is_bot: true, username: 'patchbay_test_bot', can_join_groups: true });

      const [call] = fake.callsTo('getMe');
      expect(call).toMatchObject({ httpMethod: 'POST', contentType: 'application/json', bodyKind: 'json', params: {}, status: 200, ok: true });
      expect(fake.unexpected()).toEqual([]);
    });

    it('answers a wrong token with 401 Unauthorized, a malformed one and unknown methods with 404 Not Found', async () => {
      fake.expectError({ errorCode: 401, times: Infinity }).expectError({ errorCode: 404, times: Infinity });

      await expectApiError(newBot('7000000001:AAwrongwrongwrongwrongwrongwrongwrong').api.getMe(), 401, 'Unauthorized');
      await expectApiError(newBot('not-a-token').api.getMe(), 404, 'Not Found');
      const raw = newBot().api.raw as unknown as Record<string, (payload: object) => Promise<unknown>>;
      await expectApiError(raw.notAMethod({}), 404, 'Not Found');

      // the raw wire shape, and method names are case-insensitive as in the real API
      const unauthorized = await fetch(`${apiRoot}/bot123:abc/getMe`, { method: 'POST' });
      expect(unauthorized.status).toBe(401);
      expect(await unauthorized.json()).toEqual({ ok: false, error_code: 401, description: 'Unauthorized' });
      const upper = await fetch(`${apiRoot}/bot${FAKE_BOT_TOKEN}/GETME`);
      expect(await upper.json()).toMatchObject({ ok: true, result: { username: 'patchbay_test_bot' } });
      expect(fake.unexpected()).toEqual([]);
    });

    it('accepts form-urlencoded, multipart and query-string parameters (reply_markup as a JSON string)', async () => {
      await startFake({ rateLimit: false }); // four messages to one chat within a second
      fake.addChat({ id: ALICE.id, type: 'private', first_name: 'Alice' });
      const keyboard = JSON.stringify({ inline_keyboard: [[{ text: 'Go', callback_data: 'go' }]] });

      const form = await fetch(`${apiRoot}/bot${FAKE_BOT_TOKEN}/sendMessage`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ chat_id: String(ALICE.id), text: 'form *body*', parse_mode: 'MarkdownV2', reply_markup: keyboard }).toString(),
      });
      expect(await form.json()).toMatchObject({
        ok: true,
        result: { text: 'form body', entities: [{ type: 'bold', offset: 5, length: 4 }], reply_markup: { inline_keyboard: [[{ text: 'Go', callback_data: 'go' }]] } },
      });

      const multipart = new FormData();
      multipart.append('chat_id', String(ALICE.id));
      multipart.append('text', 'multipart body');
      multipart.append('reply_markup', keyboard);
      const mp = await fetch(`${apiRoot}/bot${FAKE_BOT_TOKEN}/sendMessage`, { method: 'POST', body: multipart });
      expect(await mp.json()).toMatchObject({ ok: true, result: { text: 'multipart body', reply_markup: { inline_keyboard: [[{ callback_data: 'go' }]] } } });

      const query = await fetch(`${apiRoot}/bot${FAKE_BOT_TOKEN}/sendMessage?chat_id=${ALICE.id}&text=query%20string`);
      expect(await query.json()).toMatchObject({ ok: true, result: { text: 'query string' } });

      const jsonWithStringMarkup = await fetch(`${apiRoot}/bot${FAKE_BOT_TOKEN}/sendMessage`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ chat_id: ALICE.id, text: 'json body', reply_markup: keyboard }),
      });
      expect(await jsonWithStringMarkup.json()).toMatchObject({ ok: true, result: { reply_markup: { inline_keyboard: [[{ text: 'Go' }]] } } });

      const kinds = fake.callsTo('sendMessage').map((c) => c.bodyKind);
      expect(kinds).toEqual(['form', 'multipart', 'none', 'json']);
      expect(fake.callsTo('sendMessage')[0].params.reply_markup).toEqual(JSON.parse(keyboard)); // decoded for the record
      expect(fake.botMessages(ALICE.id).map((m) => m.text)).toEqual(['form body', 'multipart body', 'query string', 'json body']);
    });
  });

  describe('long polling with bot.start()', () => {
    it('receives a message and a callback query; replies with a keyboard, answers and edits', async () => {
      fake.addChat({ id: ALICE.id, type: 'private', first_name: 'Alice', username: 'alice_test' });
      const bot = newBot();
      const errors: unknown[] = [];
      bot.catch((err) => void errors.push(err.error));
      bot.command('start', (ctx) => ctx.reply('Pick one', { reply_markup: new InlineKeyboard().text('Yes', 'pick:yes').text('No', 'pick:no') }));
      bot.callbackQuery(/^pick:/, async (ctx) => {
        await ctx.answerCallbackQuery({ text: 'Noted' });
        await ctx.editMessageText(`You picked *${ctx.callbackQuery.data.slice(5)}*`, { parse_mode: 'MarkdownV2' });
      });
      const running = startPolling(bot);

      const { update_id } = fake.userSends({ chatId: ALICE.id, from: ALICE, text: '/start' });
      const sent = await fake.waitForCall((c) => c.method === 'sendMessage' && c.ok === true);
      expect(sent.params).toEqual({
        chat_id: ALICE.id,
        text: 'Pick one',
        reply_markup: {
          inline_keyboard: [
            [
              { text: 'Yes', callback_data: 'pick:yes' },
              { text: 'No', callback_data: 'pick:no' },
            ],
          ],
        },
      });

      const press = fake.userPresses({ chatId: ALICE.id, messageId: messageId(sent), from: ALICE, data: 'pick:yes' });
      await fake.waitForCall((c) => c.method === 'editMessageText' && c.ok === true);
      await bot.stop();
      await running;

      expect(errors).toEqual([]);
      const [message] = fake.botMessages(ALICE.id);
      // editMessageText without reply_markup removes the keyboard, as on Telegram
      expect(message).toMatchObject({ text: 'You picked yes', entities: [{ type: 'bold', offset: 11, length: 3 }], reply_markup: undefined });
      expect(message.history).toEqual([expect.objectContaining({ text: 'Pick one', reply_markup: expect.objectContaining({ inline_keyboard: expect.any(Array) }) })]);
      expect(fake.callbackAnswers).toEqual([expect.objectContaining({ callback_query_id: press.callbackQueryId, text: 'Noted', show_alert: false })]);

      // grammy: deleteWebhook before polling; getUpdates with allowed_updates [] and timeout 30 first
      expect(fake.calls[0].method === 'deleteWebhook' || fake.calls[1].method === 'deleteWebhook').toBe(true);
      const polls = fake.callsTo('getUpdates');
      expect(polls[0].params).toEqual({ offset: 1, timeout: 30, allowed_updates: [] });
      expect(polls[1].params).toEqual({ offset: update_id! + 1, timeout: 30 });
      // bot.stop() confirms the offset with one short getUpdates
      expect(polls.at(-1)).toMatchObject({ params: { offset: press.update_id! + 1, limit: 1 }, status: 200 });
      expect(fake.pendingUpdates()).toEqual([]);
      expect(fake.calls.every((c) => c.contentType === 'application/json' || c.bodyKind === 'none')).toBe(true);
      expect(fake.unexpected()).toEqual([]);
    });

    it('bot.stop() aborts the held long poll (recorded as aborted) and confirms the offset', async () => {
      fake.addChat({ id: ALICE.id, type: 'private' });
      const bot = newBot();
      bot.on('message', () => undefined);
      const running = startPolling(bot);
      const { update_id } = fake.userSends({ chatId: ALICE.id, from: ALICE, text: 'one' });
      // the update was handled and the next poll (offset update_id + 1) is held
      await until(() => fake.isPollHeld && fake.callsTo('getUpdates').length >= 2);
      await bot.stop();
      await running;
      const aborted = await fake.waitForCall((c) => c.aborted);
      expect(aborted).toMatchObject({ method: 'getUpdates', status: 0, params: { offset: update_id! + 1, timeout: 30 } });
      expect(fake.callsTo('getUpdates').at(-1)).toMatchObject({ params: { offset: update_id! + 1, limit: 1 }, status: 200, result: [] });
      expect(fake.pendingUpdates()).toEqual([]);
      expect(fake.isPollHeld).toBe(false);
      expect(fake.unexpected()).toEqual([]);
    });

    it('replies in the forum topic the user wrote in', async () => {
      fake.addChat({ id: FORUM_ID, type: 'supergroup', title: 'Agents', is_forum: true });
      const topic = fake.addTopic(FORUM_ID, 'build');
      const bot = newBot();
      bot.on('message:text', (ctx) => ctx.reply(`ack ${ctx.message.text}`));
      startPolling(bot);

      fake.userSends({ chatId: FORUM_ID, from: BOB, text: 'hello', threadId: topic });
      const sent = await fake.waitForCall((c) => c.method === 'sendMessage');
      expect(sent).toMatchObject({ ok: true, params: { chat_id: FORUM_ID, message_thread_id: topic, text: 'ack hello' } });
      expect(sent.result).toMatchObject({ message_thread_id: topic, is_topic_message: true, chat: { id: FORUM_ID, type: 'supergroup', is_forum: true } });
    });

    it('ends a held long poll with 409 when a second poller starts', async () => {
      fake.expectError({ errorCode: 409 });
      const first = newBot().api.getUpdates({ timeout: 20 });
      await until(() => fake.isPollHeld);
      const second = newBot().api.getUpdates({ timeout: 20 });
      await expectApiError(first, 409, 'Conflict: terminated by other getUpdates request; make sure that only one bot instance is running');
      fake.addChat({ id: ALICE.id, type: 'private' });
      fake.userSends({ chatId: ALICE.id, from: ALICE, text: 'wake up' });
      expect(await second).toEqual([expect.objectContaining({ message: expect.objectContaining({ text: 'wake up' }) })]);
      expect(fake.unexpected()).toEqual([]);
    });
  });

  describe('getUpdates', () => {
    it('honours offset (confirming), limit, negative offsets and timeout', async () => {
      const api = newBot().api;
      fake.addChat({ id: ALICE.id, type: 'private' });
      const ids = ['one', 'two', 'three'].map((text) => fake.userSends({ chatId: ALICE.id, from: ALICE, text }).update_id!);
      expect(ids).toEqual([10_000, 10_001, 10_002]);

      expect((await api.getUpdates({ limit: 2 })).map((u) => u.update_id)).toEqual([10_000, 10_001]);
      expect((await api.getUpdates()).map((u) => u.update_id)).toEqual(ids); // nothing confirmed yet
      expect((await api.getUpdates({ offset: 10_001 })).map((u) => u.message?.text)).toEqual(['two', 'three']);
      expect(fake.pendingUpdates()).toHaveLength(2); // 10000 is forgotten
      expect((await api.getUpdates({ offset: -1 })).map((u) => u.update_id)).toEqual([10_002]);
      expect(fake.pendingUpdates()).toHaveLength(1);

      const started = Date.now();
      expect(await api.getUpdates({ offset: 10_003, timeout: 1 })).toEqual([]);
      expect(Date.now() - started).toBeGreaterThanOrEqual(950);

      // a held poll is answered as soon as an update arrives
      const held = api.getUpdates({ offset: 10_003, timeout: 20 });
      setTimeout(() => fake.userSends({ chatId: ALICE.id, from: ALICE, text: 'four' }), 100);
      const heldStarted = Date.now();
      expect((await held).map((u) => u.message?.text)).toEqual(['four']);
      expect(Date.now() - heldStarted).toBeLessThan(2000);
    });

    it('allowed_updates is remembered and filters updates created afterwards; [] restores the default', async () => {
      const api = newBot().api;
      fake.addChat({ id: ALICE.id, type: 'private' });
      const first = fake.userSends({ chatId: ALICE.id, from: ALICE, text: 'menu' });
      const menu = await api.sendMessage(ALICE.id, 'Menu', { reply_markup: new InlineKeyboard().text('A', 'a') });

      await api.getUpdates({ offset: first.update_id! + 1, allowed_updates: ['callback_query'] });
      expect(fake.userSends({ chatId: ALICE.id, from: ALICE, text: 'ignored' }).update_id).toBeUndefined();
      const press = fake.userPresses({ chatId: ALICE.id, messageId: menu.message_id, from: ALICE, data: 'a' });
      const updates = await api.getUpdates();
      expect(updates).toEqual([
        { update_id: press.update_id, callback_query: expect.objectContaining({ id: press.callbackQueryId, data: 'a', chat_instance: expect.any(String) }) },
      ]);
      expect((await api.getWebhookInfo()).allowed_updates).toEqual(['callback_query']);

      await api.getUpdates({ offset: press.update_id! + 1, allowed_updates: [] });
      expect(fake.userSends({ chatId: ALICE.id, from: ALICE, text: 'seen' }).update_id).toBe(press.update_id! + 1);
      expect((await api.getWebhookInfo()).allowed_updates).toBeUndefined();
    });
  });

  describe('sendMessage and editMessageText', () => {
    it('round-trips MarkdownV2 and HTML into text + entities, edits, replies and keyboards', async () => {
      await startFake({ rateLimit: false }); // 4 calls to one group within a second
      const api = newBot().api;
      fake.addChat({ id: GROUP_ID, type: 'supergroup', title: 'Team' });

      const md = await api.sendMessage(GROUP_ID, '*Build* _passed_ in `3s`\\. See [logs](https://ci.example.com/run/1)\\!', { parse_mode: 'MarkdownV2' });
      expect(md).toMatchObject({
        text: 'Build passed in 3s. See logs!',
        chat: { id: GROUP_ID, type: 'supergroup', title: 'Team' },
        from: { id: 7_000_000_001, is_bot: true },
        entities: [
          { type: 'bold', offset: 0, length: 5 },
          { type: 'italic', offset: 6, length: 6 },
          { type: 'code', offset: 16, length: 2 },
          { type: 'text_link', offset: 24, length: 4, url: 'https://ci.example.com/run/1' },
        ],
      });

      const html = await api.sendMessage(GROUP_ID, '<b>tests</b> &lt;ok&gt; <pre><code class="language-ts">const x = 1;</code></pre>', {
        parse_mode: 'HTML',
        reply_parameters: { message_id: md.message_id },
        reply_markup: new InlineKeyboard().text('Rerun', 'rerun:1').url('Open', 'https://ci.example.com/run/1'),
      });
      expect(html).toMatchObject({
        text: 'tests <ok> const x = 1;',
        entities: [
          { type: 'bold', offset: 0, length: 5 },
          { type: 'pre', offset: 11, length: 12, language: 'ts' },
        ],
        reply_to_message: { message_id: md.message_id, text: 'Build passed in 3s. See logs!' },
        reply_markup: {
          inline_keyboard: [
            [
              { text: 'Rerun', callback_data: 'rerun:1' },
              { text: 'Open', url: 'https://ci.example.com/run/1' },
            ],
          ],
        },
      });

      // emoji: entity offsets in UTF-16 code units
      const emoji = await api.sendMessage(GROUP_ID, '🚀 *launch*', { parse_mode: 'MarkdownV2' });
      expect(emoji.entities).toEqual([{ type: 'bold', offset: 3, length: 6 }]);

      const edited = await api.editMessageText(GROUP_ID, html.message_id, '<i>rerunning</i>', {
        parse_mode: 'HTML',
        reply_markup: new InlineKeyboard().text('Cancel', 'cancel:1'),
      });
      expect(edited).toMatchObject({ message_id: html.message_id, text: 'rerunning', entities: [{ type: 'italic', offset: 0, length: 9 }], edit_date: expect.any(Number) });

      const shown = fake.messages(GROUP_ID);
      expect(shown.map((m) => m.text)).toEqual(['Build passed in 3s. See logs!', 'rerunning', '🚀 launch']);
      expect(shown[1].reply_markup).toEqual({ inline_keyboard: [[{ text: 'Cancel', callback_data: 'cancel:1' }]] });
      expect(shown[1].history.map((v) => v.text)).toEqual(['tests <ok> const x = 1;']);
      expect(shown[1].reply_to_message_id).toBe(md.message_id);
    });

    it('sends into forum topics, sends chat actions and records commands', async () => {
      const api = newBot().api;
      fake.addChat({ id: FORUM_ID, type: 'supergroup', is_forum: true });
      const topic = fake.addTopic(FORUM_ID, 'deploys');

      const sent = await api.sendMessage(FORUM_ID, 'deploying', { message_thread_id: topic });
      expect(sent).toMatchObject({ message_thread_id: topic, is_topic_message: true });
      expect(await api.sendChatAction(FORUM_ID, 'typing', { message_thread_id: topic })).toBe(true);
      expect(
        await api.setMyCommands([
          { command: 'start', description: 'Start a session' },
          { command: '/status', description: ' Show status ' },
        ]),
      ).toBe(true);
      expect(await api.getMyCommands()).toEqual([
        { command: 'start', description: 'Start a session' },
        { command: 'status', description: 'Show status' },
      ]);
      expect([...fake.myCommands.keys()]).toEqual(['{"type":"default"}|']);
      expect(fake.unexpected()).toEqual([]);
    });
  });

  describe('errors, worded as the real API words them', () => {
    let api: Bot['api'];
    beforeEach(() => {
      api = newBot().api;
      fake.addChat({ id: ALICE.id, type: 'private', first_name: 'Alice' });
      fake.addChat({ id: FORUM_ID, type: 'supergroup', is_forum: true });
      fake.expectError({ errorCode: 400, times: Infinity }).expectError({ errorCode: 403, times: Infinity });
    });
    afterEach(() => {
      expect(fake.unexpected()).toEqual([]);
    });

    it('message text: empty, blank, too long', async () => {
      await expectApiError(api.sendMessage(ALICE.id, ''), 400, 'Bad Request: message text is empty');
      await expectApiError(api.sendMessage(ALICE.id, ' \n '), 400, 'Bad Request: text must be non-empty');
      await expectApiError(api.sendMessage(ALICE.id, '*  *', { parse_mode: 'MarkdownV2' }), 400, 'Bad Request: text must be non-empty');
      await expectApiError(api.sendMessage(ALICE.id, 'a'.repeat(4097)), 400, 'Bad Request: message is too long');
      // the limit is on the text after entity parsing, counted in characters (code points)
      await expectApiError(api.sendMessage(ALICE.id, `*${'a'.repeat(4097)}*`, { parse_mode: 'MarkdownV2' }), 400, 'Bad Request: message is too long');
      expect((await api.sendMessage(ALICE.id, `*${'a'.repeat(4096)}*`, { parse_mode: 'MarkdownV2' })).text).toHaveLength(4096);
      expect((await api.sendMessage(ALICE.id, '🙂'.repeat(4096))).text).toHaveLength(8192);
      await expectApiError(api.sendMessage(ALICE.id, 'a'.repeat(40_000)), 400, 'Bad Request: text is too long');
    });

    it('MarkdownV2: reserved characters must be escaped, entities must be closed', async () => {
      const md = (text: string): Promise<unknown> => api.sendMessage(ALICE.id, text, { parse_mode: 'MarkdownV2' });
      const reserved = (c: string): string => `Bad Request: can't parse entities: Character '${c}' is reserved and must be escaped with the preceding '\\'`;
      await expectApiError(md('Build done.'), 400, reserved('.'));
      await expectApiError(md('step 1 - compile'), 400, reserved('-'));
      await expectApiError(md('call f(x)'), 400, reserved('('));
      await expectApiError(md('1 + 1 = 2'), 400, reserved('+'));
      await expectApiError(md('*bold'), 400, "Bad Request: can't parse entities: Can't find end of Bold entity at byte offset 0");
      await expectApiError(md('run `npm test'), 400, "Bad Request: can't parse entities: Can't find end of Code entity at byte offset 4");
      await expectApiError(md('é _x'), 400, "Bad Request: can't parse entities: Can't find end of Italic entity at byte offset 3"); // bytes, not characters
      await expectApiError(md('```\ncode'), 400, "Bad Request: can't parse entities: Can't find end of Pre entity at byte offset 0");
      await expectApiError(md('[link](https://example.com'), 400, "Bad Request: can't parse entities: Can't find end of a URL at byte offset 7");
      await expectApiError(api.sendMessage(ALICE.id, 'x', { parse_mode: 'Markdown3' as 'HTML' }), 400, 'Bad Request: unsupported parse_mode');
    });

    it('HTML: only supported, balanced tags', async () => {
      const html = (text: string): Promise<unknown> => api.sendMessage(ALICE.id, text, { parse_mode: 'HTML' });
      await expectApiError(html('<b>bold'), 400, `Bad Request: can't parse entities: Can't find end tag corresponding to start tag "b"`);
      await expectApiError(html('<div>x</div>'), 400, `Bad Request: can't parse entities: Unsupported start tag "div" at byte offset 0`);
      await expectApiError(html('<b>x</i>'), 400, `Bad Request: can't parse entities: Unmatched end tag at byte offset 4, expected "</b>", found "</i>"`);
      await expectApiError(html('1 < 2'), 400, `Bad Request: can't parse entities: Unsupported start tag "" at byte offset 2`);
      await expectApiError(html('x</b>'), 400, "Bad Request: can't parse entities: Unexpected end tag at byte offset 1");
    });

    it('chats, topics, replies, keyboards, blocked users', async () => {
      await expectApiError(api.sendMessage(424242, 'hi'), 400, 'Bad Request: chat not found');
      await expectApiError(api.sendMessage('@nobody', 'hi'), 400, 'Bad Request: chat not found');
      await expectApiError(api.sendMessage(FORUM_ID, 'hi', { message_thread_id: 999 }), 400, 'Bad Request: message thread not found');
      await expectApiError(api.sendMessage(ALICE.id, 'hi', { reply_parameters: { message_id: 999 } }), 400, 'Bad Request: message to be replied not found');
      const lenient = await api.sendMessage(ALICE.id, 'hi', { reply_parameters: { message_id: 999, allow_sending_without_reply: true } });
      expect(lenient.reply_to_message).toBeUndefined();
      await expectApiError(api.sendMessage(ALICE.id, 'hi', { reply_markup: new InlineKeyboard().text('x', 'd'.repeat(65)) }), 400, 'Bad Request: BUTTON_DATA_INVALID');
      await expectApiError(
        api.sendMessage(ALICE.id, 'hi', { reply_markup: { inline_keyboard: [[{ text: 'plain' } as never]] } }),
        400,
        "Bad Request: can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard",
      );
      await expectApiError(api.sendChatAction(ALICE.id, 'dancing' as 'typing'), 400, 'Bad Request: wrong parameter action in request');
      await expectApiError(api.setMyCommands([{ command: 'Bad-Name', description: 'x' }]), 400, 'Bad Request: BOT_COMMAND_INVALID');
      fake.userBlocksBot(ALICE.id);
      await expectApiError(api.sendMessage(ALICE.id, 'hi'), 403, 'Forbidden: bot was blocked by the user');
    });

    it('editing: unknown message, user message, unchanged content, inline keyboard only', async () => {
      const sent = await api.sendMessage(ALICE.id, 'Status: *running*', { parse_mode: 'MarkdownV2', reply_markup: new InlineKeyboard().text('Stop', 'stop') });
      const keyboard = new InlineKeyboard().text('Stop', 'stop');
      await expectApiError(api.editMessageText(ALICE.id, 9999, 'x'), 400, 'Bad Request: message to edit not found');
      await expectApiError(api.editMessageText(424242, sent.message_id, 'x'), 400, 'Bad Request: chat not found');
      await expectApiError(api.editMessageText(ALICE.id, sent.message_id, ''), 400, 'Bad Request: message text is empty');
      await expectApiError(api.editMessageText(ALICE.id, sent.message_id, 'Status: *running*', { parse_mode: 'MarkdownV2', reply_markup: keyboard }), 400, NOT_MODIFIED);
      await expectApiError(
        api.editMessageText(ALICE.id, sent.message_id, 'x', { reply_markup: { keyboard: [[{ text: 'a' }]] } as never }),
        400,
        'Bad Request: inline keyboard expected',
      );
      const user = fake.userSends({ chatId: ALICE.id, from: ALICE, text: 'mine' });
      await expectApiError(api.editMessageText(ALICE.id, user.message.message_id, 'x'), 400, "Bad Request: message can't be edited");

      // same text without the markup is a change: it removes the keyboard
      const removed = await api.editMessageText(ALICE.id, sent.message_id, 'Status: *running*', { parse_mode: 'MarkdownV2' });
      expect(removed).not.toHaveProperty('reply_markup');
      // and the plain text differs from the formatted one (entities count)
      const plain = await api.editMessageText(ALICE.id, sent.message_id, 'Status: running');
      expect(plain).not.toHaveProperty('entities');
    });

    it('callback queries can be answered once', async () => {
      const sent = await api.sendMessage(ALICE.id, 'Menu', { reply_markup: new InlineKeyboard().text('A', 'a') });
      const { callbackQueryId } = fake.userPresses({ chatId: ALICE.id, messageId: sent.message_id, from: ALICE, data: 'a' });
      expect(await api.answerCallbackQuery(callbackQueryId)).toBe(true);
      const invalid = 'Bad Request: query is too old and response timeout expired or query ID is invalid';
      await expectApiError(api.answerCallbackQuery(callbackQueryId), 400, invalid);
      await expectApiError(api.answerCallbackQuery('12345'), 400, invalid);
    });
  });

  describe('rate limits', () => {
    it('rateLimitNext(seconds) gives 429 with parameters.retry_after', async () => {
      const api = newBot().api;
      fake.addChat({ id: ALICE.id, type: 'private' });
      fake.rateLimitNext(7);
      const error = await expectApiError(api.sendMessage(ALICE.id, 'hi'), 429, 'Too Many Requests: retry after 7');
      expect(error.parameters.retry_after).toBe(7);
      expect((await api.sendMessage(ALICE.id, 'hi')).text).toBe('hi');

      const raw = await fetch(`${apiRoot}/bot${FAKE_BOT_TOKEN}/getMe`, { method: 'POST' });
      expect(raw.status).toBe(200);
      fake.rateLimitNext(3, { method: 'getMe' });
      const limited = await fetch(`${apiRoot}/bot${FAKE_BOT_TOKEN}/getMe`, { method: 'POST' });
      expect(limited.status).toBe(429);
      expect(await limited.json()).toEqual({ ok: false, error_code: 429, description: 'Too Many Requests: retry after 3', parameters: { retry_after: 3 } });
      expect(fake.unexpected()).toEqual([]);
    });

    it('limits bursts per chat (more than 3 a second → 429) and records calls per second', async () => {
      const api = newBot().api;
      fake.addChat({ id: ALICE.id, type: 'private' });
      fake.addChat({ id: BOB.id, type: 'private' });
      fake.expectError({ errorCode: 429 });
      for (let i = 1; i <= 3; i++) await api.sendMessage(ALICE.id, `m${i}`);
      const error = await expectApiError(api.sendMessage(ALICE.id, 'm4'), 429, 'Too Many Requests: retry after 1');
      expect(error.parameters.retry_after).toBe(1);
      await api.sendMessage(BOB.id, 'other chats are not affected');

      expect(fake.peakRate(ALICE.id)).toBe(4);
      expect(fake.peakRate(ALICE.id, { okOnly: true })).toBe(3);
      await new Promise((r) => setTimeout(r, error.parameters.retry_after! * 1000 + 50));
      expect((await api.sendMessage(ALICE.id, 'm4 again')).text).toBe('m4 again');
      expect(fake.unexpected()).toEqual([]);
    });

    it('limits groups to 20 messages a minute (fake clock)', async () => {
      let now = 1_750_000_000_000;
      await startFake({ clock: () => now });
      const api = newBot().api;
      fake.addChat({ id: GROUP_ID, type: 'supergroup' });
      for (let i = 0; i < 20; i++) {
        await api.sendMessage(GROUP_ID, `line ${i}`);
        now += 1000;
      }
      fake.expectError({ errorCode: 429 });
      const error = await expectApiError(api.sendMessage(GROUP_ID, 'one too many'), 429, 'Too Many Requests: retry after 40');
      expect(error.parameters.retry_after).toBe(40);
      now += 40_000;
      await api.sendMessage(GROUP_ID, 'fits again');
      expect(fake.peakRate(GROUP_ID, { windowMs: 60_000, okOnly: true })).toBe(20);
    });

    it('can be turned off', async () => {
      await startFake({ rateLimit: false });
      const api = newBot().api;
      fake.addChat({ id: ALICE.id, type: 'private' });
      for (let i = 0; i < 10; i++) await api.sendMessage(ALICE.id, `m${i}`);
      expect(fake.peakRate(ALICE.id)).toBe(10);
      expect(fake.unexpected()).toEqual([]);
    });
  });

  describe('test-side controls', () => {
    it('unexpected() lists errors nobody declared; expectError() covers them', async () => {
      const api = newBot().api;
      await grammyError(api.sendMessage(ALICE.id, 'hi'));
      expect(fake.unexpected()).toEqual([expect.objectContaining({ method: 'sendMessage', errorCode: 400, description: 'Bad Request: chat not found', chatId: ALICE.id })]);
      fake.expectError({ description: 'Bad Request: chat not found' });
      await grammyError(api.sendMessage(ALICE.id, 'again'));
      expect(fake.unexpected()).toHaveLength(1);
      await grammyError(api.sendMessage(ALICE.id, 'and again'));
      expect(fake.unexpected()).toHaveLength(2); // the expectation was used up
    });
  });

  describe('webhook mode', () => {
    async function webhookServer(bot: Bot, secretToken?: string): Promise<{ url: string; seen: IncomingHttpHeaders[] }> {
      const handle = webhookCallback(bot, 'http', { secretToken });
      const seen: IncomingHttpHeaders[] = [];
      const server = createServer((req, res) => {
        seen.push(req.headers);
        handle(req, res).catch(() => {
          if (!res.headersSent) res.writeHead(500);
          res.end();
        });
      });
      return { url: await listen(server), seen };
    }

    it('POSTs updates with the secret header; getUpdates is 409 while the webhook is set', async () => {
      fake.addChat({ id: ALICE.id, type: 'private' });
      const bot = newBot();
      bot.on('message:text', (ctx) => ctx.reply(`echo: ${ctx.message.text}`));
      const { url, seen } = await webhookServer(bot, 'S3cret_token-1');

      expect(await bot.api.setWebhook(url, { secret_token: 'S3cret_token-1', allowed_updates: ['message', 'callback_query'] })).toBe(true);
      expect(fake.callsTo('setWebhook')[0].result).toBe(true);
      expect(await bot.api.getWebhookInfo()).toEqual({
        url,
        has_custom_certificate: false,
        pending_update_count: 0,
        max_connections: 40,
        ip_address: '127.0.0.1',
        allowed_updates: ['message', 'callback_query'],
      });
      fake.expectError({ errorCode: 409 });
      await expectApiError(bot.api.getUpdates(), 409, CONFLICT_WEBHOOK_ACTIVE);

      const { update_id } = fake.userSends({ chatId: ALICE.id, from: ALICE, text: 'hello' });
      const delivery = await fake.waitForDelivery(() => true);
      expect(delivery).toMatchObject({ update_id, status: 200, secretToken: 'S3cret_token-1', url });
      expect(seen[0]).toMatchObject({ 'x-telegram-bot-api-secret-token': 'S3cret_token-1', 'content-type': 'application/json' });
      const reply = await fake.waitForCall((c) => c.method === 'sendMessage');
      expect(reply).toMatchObject({ ok: true, params: { chat_id: ALICE.id, text: 'echo: hello' }, viaWebhookReply: false });
      expect((await bot.api.getWebhookInfo()).pending_update_count).toBe(0);

      const deleted = await fetch(`${apiRoot}/bot${FAKE_BOT_TOKEN}/deleteWebhook`, { method: 'POST' });
      expect(await deleted.json()).toEqual({ ok: true, result: true, description: 'Webhook was deleted' });
      expect(await bot.api.getUpdates()).toEqual([]);
      expect(fake.unexpected()).toEqual([]);
    });

    it('records a failing webhook (wrong secret → 401) in getWebhookInfo and retries', async () => {
      await startFake({ setWebhookCooldownMs: 0, webhookRetryBaseMs: 200 });
      fake.addChat({ id: ALICE.id, type: 'private' });
      const bot = newBot();
      bot.on('message:text', (ctx) => ctx.reply('got it'));
      const { url } = await webhookServer(bot, 'the_right_secret');

      await bot.api.setWebhook(url, { secret_token: 'a_wrong_secret' });
      fake.userSends({ chatId: ALICE.id, from: ALICE, text: 'hello' });
      const first = await fake.waitForDelivery(() => true);
      expect(first).toMatchObject({ status: 401, error: 'Wrong response from the webhook: 401 Unauthorized' });
      const retry = await fake.waitForDelivery(() => true, { after: first.seq });
      expect(retry.at - first.finishedAt!).toBeLessThan(300); // the first retry is immediate (the next ones back off)
      const info = await bot.api.getWebhookInfo();
      expect(info).toMatchObject({ pending_update_count: 1, last_error_message: 'Wrong response from the webhook: 401 Unauthorized' });
      expect(info.last_error_date).toBeGreaterThan(1_700_000_000);

      const fixed = await fetch(`${apiRoot}/bot${FAKE_BOT_TOKEN}/setWebhook`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ url, secret_token: 'the_right_secret' }),
      });
      expect(await fixed.json()).toEqual({ ok: true, result: true, description: 'Webhook was set' });
      await fake.waitForDelivery((d) => d.status === 200);
      await fake.waitForCall((c) => c.method === 'sendMessage' && c.ok === true);
      expect((await bot.api.getWebhookInfo()).pending_update_count).toBe(0);

      fake.expectError({ errorCode: 400 });
      await expectApiError(bot.api.setWebhook(url, { secret_token: 'bad token!' }), 400, 'Bad Request: secret token contains unallowed characters');
      expect(fake.currentWebhook).toBeUndefined(); // a failed setWebhook still removes the old webhook, as on Telegram
      expect(fake.unexpected()).toEqual([]);
    });

    it('executes a method returned in the webhook response (grammy webhook reply)', async () => {
      fake.addChat({ id: ALICE.id, type: 'private' });
      const bot = newBot(FAKE_BOT_TOKEN, { canUseWebhookReply: (method: string) => method === 'sendMessage' });
      bot.on('message:text', (ctx) => ctx.reply(`*${ctx.message.text}*`, { parse_mode: 'MarkdownV2' }));
      const { url } = await webhookServer(bot);
      await bot.api.setWebhook(url);

      fake.userSends({ chatId: ALICE.id, from: ALICE, text: 'hi' });
      const delivery = await fake.waitForDelivery(() => true);
      expect(delivery).toMatchObject({ status: 200, replyMethod: 'sendMessage' });
      expect(delivery.secretToken).toBeUndefined();
      const call = await fake.waitForCall((c) => c.viaWebhookReply);
      expect(call).toMatchObject({ method: 'sendMessage', ok: true, params: { method: 'sendMessage', chat_id: ALICE.id, text: '*hi*', parse_mode: 'MarkdownV2' } });
      expect(fake.botMessages(ALICE.id)).toEqual([expect.objectContaining({ text: 'hi', entities: [{ type: 'bold', offset: 0, length: 2 }] })]);
    });

    it('setWebhook ends a held long poll with 409; bot.start() deletes the webhook (grammy)', async () => {
      const api = newBot().api;
      fake.expectError({ errorCode: 409 });
      const held = api.getUpdates({ timeout: 20 });
      await until(() => fake.isPollHeld);
      await api.setWebhook('http://127.0.0.1:9/hook');
      await expectApiError(held, 409, 'Conflict: terminated by setWebhook request');

      const bot = newBot();
      startPolling(bot);
      await fake.waitForCall((c) => c.method === 'deleteWebhook');
      expect(fake.currentWebhook).toBeUndefined();
      expect(fake.callsTo('deleteWebhook')[0].result).toBe(true);
      await fake.waitForCall((c) => c.method === 'getMe');
      expect(fake.unexpected()).toEqual([]);
    });

    it('requireHttpsWebhook refuses http:// URLs as the real API does', async () => {
      await startFake({ requireHttpsWebhook: true });
      fake.expectError({ errorCode: 400, times: 2 });
      const api = newBot().api;
      await expectApiError(api.setWebhook('http://example.com/hook'), 400, 'Bad Request: bad webhook: An HTTPS URL must be provided for webhook');
      await new Promise((r) => setTimeout(r, 1050)); // setWebhook is limited to one a second
      await expectApiError(api.setWebhook('https://example.com:3000/hook'), 400, 'Bad Request: bad webhook: Webhook can be set up only on ports 80, 88, 443 or 8443');
      expect(fake.unexpected()).toEqual([]);
    });
  });
});
