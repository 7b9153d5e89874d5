import { channelConformance } from '@patchbay/plugin-sdk/testing';
import { FAKE_BOT_TOKEN, FakeTelegramApi } from '../../../test/fakes/telegram/fake-telegram-api';
import { TelegramPlugin } from './telegram.plugin';

const GROUP = -100500;

/**
 * The text the plugin last gave for a message. Telegram trims what it shows (a chunk's
 * trailing blank line disappears), so the kit compares with what was sent.
 */
function lastTextGiven(fake: FakeTelegramApi, messageId: number): string {
  const given = fake.calls.filter(
    (c) =>
      c.ok &&
      ((c.method === 'sendMessage' && (c.result as { message_id: number }).message_id === messageId) ||
        (c.method === 'editMessageText' && Number(c.params.message_id) === messageId)),
  );
  return String(given.at(-1)!.params.text);
}

/**
 * The shared channel suite, with the real grammy client against the fake Bot API, in a
 * group and in a private chat (each with its own budget, held to the fake's flood limits:
 * a 429 the suite did not force fails it).
 */
for (const chat of [
  { id: GROUP, type: 'supergroup' as const, title: 'conformance' },
  { id: 4242, type: 'private' as const, first_name: 'Ada' },
]) {
  channelConformance(`Telegram (grammy, fake Bot API), ${chat.type} chat`, async ({ clock }) => {
    const fake = new FakeTelegramApi({ clock: () => clock.now() });
    const apiRoot = await fake.start();
    fake.addChat(chat);
    // Plain text: the chat then shows exactly the text the renderer gave.
    const plugin = new TelegramPlugin({ token: FAKE_BOT_TOKEN, apiRoot, mode: 'polling', format: 'plain' });
    const chatId = String(chat.id);
    return {
      // What the gateway hands the renderer: the plugin with this chat's budget.
      plugin: { send: plugin.send.bind(plugin), edit: plugin.edit.bind(plugin), capabilities: { ...plugin.capabilities, rateBudget: plugin.rateBudgetOf(chatId) } },
      chatId,
      messages: async () => fake.botMessages(chat.id).map((m) => ({ id: String(m.message_id), text: lastTextGiven(fake, m.message_id) })),
      rateLimitNext: (ms) => void fake.rateLimitNext(Math.ceil(ms / 1000), { chatId: chat.id }),
      teardown: async () => {
        const unexpected = fake.unexpected();
        await fake.stop();
        expect(unexpected).toEqual([]);
      },
    };
  });
}
