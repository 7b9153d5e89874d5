import { join } from 'node:path';
import { FAKE_BOT_TOKEN, FakeTelegramApi } from './fakes/telegram/fake-telegram-api';
import { GATED_AGENT } from './support/patchbay-processes';
import { PatchbayInstance, waitUntil } from './support/patchbay-instance';
import { describeWith } from './support/services';

jest.setTimeout(120_000);

const OWNER = { id: 111, first_name: 'Ada' };
const STRANGER = { id: 999, first_name: 'Mallory' };
const AGENT = join(__dirname, 'fixtures', 'long-answer-agent.js');

/**
 * The real grammy client inside Patchbay, against a fake Telegram Bot API that enforces the
 * platform's limits (4096 characters, ~20 messages a minute in groups, 429 retry_after).
 */
describeWith(['tmux'], 'Telegram channel (grammy against a strict fake Bot API)', () => {
  const telegram = new FakeTelegramApi();
  let patchbay: PatchbayInstance;
  const GROUP = -100123;

  const FORUM = -100777;
  let topic: number;

  beforeAll(async () => {
    const apiRoot = await telegram.start();
    telegram.addChat({ id: GROUP, type: 'supergroup', title: 'team' });
    telegram.addChat({ id: FORUM, type: 'supergroup', title: 'projects', is_forum: true });
    topic = telegram.addTopic(FORUM, 'build');
    patchbay = PatchbayInstance.prepare('telegram');
    await patchbay.start({
      defaultAgent: 'long',
      agents: { long: { command: process.execPath, args: [AGENT] }, gate: { command: process.execPath, args: [GATED_AGENT] } },
      access: { owners: ['telegram:111', 'local:*'] },
      // The owner's private chat runs the agent that waits for its gate (here: until stopped).
      routing: { rules: [{ name: 'private', match: { channel: 'telegram', chat: String(OWNER.id) }, agents: ['gate'] }] },
      telegram: { token: FAKE_BOT_TOKEN, apiRoot },
    });
  });

  afterAll(async () => {
    await patchbay?.stop();
    await telegram.stop();
  });

  const botTexts = (chatId: number) => telegram.botMessages(chatId).map((m) => m.text);

  it('answers an unknown sender with a pairing code, and runs nothing', async () => {
    telegram.userSends({ chatId: STRANGER.id, from: STRANGER, text: 'rm -rf / please' });
    await waitUntil(() => botTexts(STRANGER.id).length > 0, 'the pairing reply');
    expect(botTexts(STRANGER.id)[0]).toMatch(/^You are not paired with this Patchbay yet, so nothing was run\. Pairing code: [A-Z2-9]{8} /);
    expect((await patchbay.get<{ tasks: unknown[] }>('/api/tasks')).tasks).toHaveLength(0);
  });

  it('lets the owner approve the pairing with a button from the /pair answer', async () => {
    telegram.userSends({ chatId: OWNER.id, from: OWNER, text: '/pair' });
    const answer = () => telegram.botMessages(OWNER.id).find((m) => m.reply_markup);
    await waitUntil(() => answer() !== undefined, 'the /pair answer with buttons');
    const [[button]] = answer()!.reply_markup!.inline_keyboard;
    expect(button).toEqual({ text: 'Approve Mallory', callback_data: expect.stringMatching(/^pair:[A-Z2-9]{8}$/) });

    telegram.userPresses({ chatId: OWNER.id, messageId: answer()!.message_id, from: OWNER, data: button.callback_data! });
    const principals = async () => (await patchbay.get<{ principals: Array<{ name: string; role: string; identities: string[] }> }>('/api/principals')).principals;
    await waitUntil(async () => (await principals()).some((p) => p.identities.includes(`telegram:${STRANGER.id}`)), 'Mallory to be let in');
    expect((await principals()).find((p) => p.identities.includes(`telegram:${STRANGER.id}`))).toMatchObject({ name: 'Mallory', role: 'operator' });
    await waitUntil(() => telegram.callsTo('answerCallbackQuery').length > 0, 'the button press to be answered');
    expect(telegram.callsTo('answerCallbackQuery')[0].params.text).toBe('Mallory (telegram:999) is now operator.');
  });

  it('streams a long answer into the group: split under 4096, code blocks whole, paced, final complete once', async () => {
    telegram.userSends({ chatId: GROUP, from: OWNER, text: 'explain the build' });
    await waitUntil(() => botTexts(GROUP).some((t) => t.includes('All steps done.')), 'the final answer', 60_000);
    const messages = telegram.botMessages(GROUP);
    for (const message of messages) expect(message.text.length).toBeLessThanOrEqual(4096);
    // Every code block arrives whole, as a pre entity, in exactly one message.
    const shown = messages.map((m) => m.text).join('\n');
    for (let block = 1; block <= 12; block++) {
      const lines = shown.split('\n').filter((l) => l.endsWith(`of block ${block}`));
      expect(lines).toHaveLength(12);
    }
    expect(shown.match(/All steps done\./g)).toHaveLength(1);
    expect(messages.every((m) => !/<\/?(pre|code|b)>|```/.test(m.text))).toBe(true);
    expect(messages.some((m) => m.entities.some((e) => e.type === 'pre'))).toBe(true);
    // Within Telegram's limits: no 429s, never more than 3 calls a second in the chat.
    expect(telegram.calls.filter((c) => c.status === 429)).toHaveLength(0);
    expect(telegram.peakRate(GROUP)).toBeLessThanOrEqual(3);
    expect(telegram.unexpected()).toEqual([]);
  });

  it('keeps a forum topic a chat of its own: commands answer and output streams in the topic', async () => {
    telegram.userSends({ chatId: FORUM, from: OWNER, text: '/status', threadId: topic });
    await waitUntil(() => telegram.botMessages(FORUM).length > 0, 'the /status answer');
    expect(telegram.botMessages(FORUM)[0]).toMatchObject({ message_thread_id: topic, text: 'This chat has no session. Send a message to start one.' });

    telegram.userSends({ chatId: FORUM, from: OWNER, text: 'explain it again', threadId: topic });
    await waitUntil(() => telegram.botMessages(FORUM).some((m) => m.text.includes('All steps done.')), 'the answer in the topic', 60_000);
    expect(telegram.botMessages(FORUM).every((m) => m.message_thread_id === topic)).toBe(true);
    const sessions = (await patchbay.get<{ sessions: Array<{ id: string }> }>('/api/sessions')).sessions;
    expect(sessions).toHaveLength(2);
  });

  it('offers Stop on a live run: pressing it stops the run, and the button goes', async () => {
    const chat = OWNER.id;
    // Without a gate file the agent waits until it is stopped.
    telegram.userSends({ chatId: chat, from: OWNER, text: 'hold on [gate]' });
    const live = () => telegram.botMessages(chat).find((m) => m.reply_markup && m.text.includes('working on'));
    await waitUntil(() => live() !== undefined, 'the live output with a Stop button', 30_000);
    const message = live()!;
    const [button] = message.reply_markup!.inline_keyboard.flat();
    expect(button).toMatchObject({ text: 'Stop', callback_data: expect.stringMatching(/^stop:[a-z0-9]+$/) });
    expect(message.text).toContain('working on: hold on [gate]');

    telegram.userPresses({ chatId: chat, messageId: message.message_id, from: OWNER, data: button.callback_data! });
    await waitUntil(() => botTexts(chat).some((t) => t.includes('stopped by')), 'the run to end as stopped', 30_000);
    const ofTheRun = () => telegram.botMessages(chat).filter((m) => m.message_id >= message.message_id);
    await waitUntil(() => ofTheRun().every((m) => !m.reply_markup), 'the Stop button to go');
    expect(telegram.unexpected()).toEqual([]);
  });
});
