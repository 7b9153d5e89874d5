import { join } from 'node:path';
import type { TaskV1 } from '@patchbay/contracts';
import { FAKE_DISCORD_BOT_ID, FAKE_DISCORD_TOKEN, FakeDiscord, FakeMessage } from './fakes/discord/fake-discord-api';
import { FAKE_BOT_TOKEN, FakeTelegramApi } from './fakes/telegram/fake-telegram-api';
import { PatchbayInstance, waitUntil } from './support/patchbay-instance';
import { describeWith } from './support/services';

jest.setTimeout(180_000);

const ADA = { id: '2100000000000000001', username: 'ada', global_name: 'Ada' };
const MALLORY = { id: '2900000000000000009', username: 'mallory' };
const TELEGRAM_OWNER = { id: 111, first_name: 'Ada' };
const TELEGRAM_GROUP = -100321;
const AGENT = join(__dirname, 'fixtures', 'long-answer-agent.js');
const FINAL_LINE = 'All steps done.';

/**
 * The real discord.js client inside Patchbay, against a fake Discord that enforces the
 * platform's rules (2000 characters, 5 messages per 5 s per channel, 429 retry_after), and
 * beside it the Telegram channel: one session watched from both at once.
 */
describeWith(['tmux'], 'Discord channel (discord.js against a strict fake Discord)', () => {
  const discord = new FakeDiscord();
  const telegram = new FakeTelegramApi();
  let patchbay: PatchbayInstance;
  let channelId: string;
  let lobbyId: string;

  beforeAll(async () => {
    const { apiUrl, gatewayUrl } = await discord.start();
    const guild = discord.addGuild('team');
    channelId = discord.addTextChannel(guild.id, 'general').id;
    lobbyId = discord.addTextChannel(guild.id, 'lobby').id;
    const apiRoot = await telegram.start();
    telegram.addChat({ id: TELEGRAM_GROUP, type: 'supergroup', title: 'team' });
    patchbay = PatchbayInstance.prepare('discord');
    await patchbay.start({
      defaultAgent: 'long',
      agents: { long: { command: process.execPath, args: [AGENT] } },
      access: { owners: [`discord:${ADA.id}`, `telegram:${TELEGRAM_OWNER.id}`, 'local:*'] },
      telegram: { token: FAKE_BOT_TOKEN, apiRoot },
      discord: { token: FAKE_DISCORD_TOKEN, apiUrl, gatewayUrl, guildId: guild.id },
    });
    await waitUntil(() => discord.commands(guild.id).length > 0, 'the slash commands');
  });

  afterAll(async () => {
    await patchbay?.stop();
    await discord.stop();
    await telegram.stop();
  });

  /** What the renderer shows in a Discord chat (answers to interactions left out). */
  const rendered = (chatId: string): FakeMessage[] => discord.botMessages(chatId).filter((m) => !m.interactionId);
  const shows = (chatId: string, text: string): boolean => rendered(chatId).some((m) => m.content.includes(text));

  it('answers an unknown sender with a pairing code, and runs nothing', async () => {
    const dm = discord.dmWith(MALLORY);
    discord.userSends({ channelId: dm.id, author: MALLORY, content: 'rm -rf / please' });
    await waitUntil(() => discord.botMessages(dm.id).length > 0, 'the pairing reply');
    expect(discord.botMessages(dm.id)[0].content).toMatch(/^You are not paired with this Patchbay yet, so nothing was run\. Pairing code: [A-Z2-9]{8} /);
    expect((await patchbay.get<{ tasks: unknown[] }>('/api/tasks')).tasks).toHaveLength(0);
  });

  it('opens no thread for an unknown sender who mentions the bot in a channel, and answers there', async () => {
    discord.userSends({ channelId: lobbyId, author: MALLORY, content: `<@${FAKE_DISCORD_BOT_ID}> run my script` });
    await waitUntil(() => discord.botMessages(lobbyId).length > 0, 'the pairing reply in the channel');
    expect(discord.botMessages(lobbyId)[0].content).toMatch(/^You are not paired with this Patchbay yet, so nothing was run\. Pairing code: [A-Z2-9]{8} /);
    expect(discord.threadsOf(lobbyId)).toEqual([]);
    expect((await patchbay.get<{ tasks: unknown[] }>('/api/tasks')).tasks).toHaveLength(0);
  });

  it('streams a long answer into a thread of its own: edited in place, split under 2000, code blocks whole, the final once, no 429', async () => {
    const start = discord.userSends({ channelId, author: ADA, content: `<@${FAKE_DISCORD_BOT_ID}> explain the build` });
    await waitUntil(() => shows(start.id, FINAL_LINE), 'the final answer in the thread', 90_000);
    expect(discord.threadsOf(channelId).map((t) => t.id)).toEqual([start.id]);
    expect(rendered(channelId)).toEqual([]);
    await waitUntil(async () => (await patchbay.get<{ tasks: TaskV1[] }>('/api/tasks')).tasks[0]?.status === 'done', 'the task done');
    expectWholeAnswer(rendered(start.id));
    // Streamed: messages were edited as the output grew.
    expect(discord.callsTo('PATCH /channels/:id/messages/:id').filter((c) => c.channelId === start.id).length).toBeGreaterThan(0);
    expect(rendered(start.id).some((m) => m.history.length > 0)).toBe(true);
    // Paced: never more than the plugin's budget (4 sends and edits per 5 s) in the thread.
    expect(discord.peakRate(start.id)).toBeLessThanOrEqual(4);
    expect(discord.calls.filter((c) => c.status === 429)).toEqual([]);
    expect(discord.unexpected()).toEqual([]);
  });

  it('shows one session in a Telegram group and a Discord thread at once (/attach), both the whole output', async () => {
    telegram.userSends({ chatId: TELEGRAM_GROUP, from: TELEGRAM_OWNER, text: 'first look' });
    await waitUntil(() => telegram.botMessages(TELEGRAM_GROUP).some((m) => m.text.includes(FINAL_LINE)), 'the first Telegram answer', 90_000);
    const tasks = (await patchbay.get<{ tasks: TaskV1[] }>('/api/tasks')).tasks;
    const sessionId = tasks.find((t) => t.channel === 'telegram' && t.chatId === String(TELEGRAM_GROUP))!.sessionId;

    // A thread a person opened; the slash command binds it to the Telegram chat's session.
    const thread = discord.userStartsThread({ channelId, owner: ADA, name: 'watching the build' });
    const attach = discord.userRunsCommand({ channelId: thread.id, user: ADA, name: 'attach', options: { session: sessionId } });
    await waitUntil(() => Boolean(discord.interaction(attach.id)?.original?.content), 'the /attach answer', 30_000);
    expect(discord.interaction(attach.id)!.original!.content).not.toMatch(/^Usage|not|cannot/i);

    const telegramBefore = telegram.botMessages(TELEGRAM_GROUP).length;
    telegram.userSends({ chatId: TELEGRAM_GROUP, from: TELEGRAM_OWNER, text: 'explain it again' });
    await waitUntil(
      () =>
        shows(thread.id, FINAL_LINE) &&
        telegram
          .botMessages(TELEGRAM_GROUP)
          .slice(telegramBefore)
          .some((m) => m.text.includes(FINAL_LINE)),
      'the second answer in both chats',
      90_000,
    );
    await waitUntil(async () => (await patchbay.get<{ tasks: TaskV1[] }>('/api/tasks')).tasks.every((t) => t.status === 'done'), 'every task done');
    expectWholeAnswer(rendered(thread.id));
    const telegramShown = telegram
      .botMessages(TELEGRAM_GROUP)
      .slice(telegramBefore)
      .map((m) => m.text)
      .join('\n');
    for (let block = 1; block <= 12; block++) expect(telegramShown.split('\n').filter((l) => l.endsWith(`of block ${block}`))).toHaveLength(12);
    expect(telegramShown.split(FINAL_LINE)).toHaveLength(2);
    expect(discord.calls.filter((c) => c.status === 429)).toEqual([]);
    expect(discord.unexpected()).toEqual([]);
    expect(telegram.unexpected()).toEqual([]);
  });
});

/** The long answer in a Discord chat: within 2000 per message, each code block whole in one message, the final line once. */
function expectWholeAnswer(messages: FakeMessage[]): void {
  for (const message of messages) {
    expect(message.content.length).toBeLessThanOrEqual(2000);
    expect(message.content.split('```').length % 2).toBe(1);
  }
  for (let block = 1; block <= 12; block++) {
    const holding = messages.filter((m) => m.content.includes(`of block ${block}\n`));
    expect(holding).toHaveLength(1);
    expect(holding[0].content.split('\n').filter((l) => l.endsWith(`of block ${block}`))).toHaveLength(12);
  }
  expect(
    messages
      .map((m) => m.content)
      .join('\n')
      .split(FINAL_LINE),
  ).toHaveLength(2);
}
