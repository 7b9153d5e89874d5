import { createServer, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { InboundMessageV1 } from '@patchbay/contracts';
import { FAKE_BOT_TOKEN, FakeTelegramApi } from '../../../test/fakes/telegram/fake-telegram-api';
import { EngineStub } from '@patchbay/plugin-sdk/testing';
import { TelegramPlugin, WebhookSecretError } from './telegram.plugin';

jest.setTimeout(20_000);

/** Webhook mode: Telegram (the fake) POSTs updates with the secret; anything else is refused. */
describe('TelegramPlugin in webhook mode', () => {
  const fake = new FakeTelegramApi();
  const submitted: InboundMessageV1[] = [];
  let plugin: TelegramPlugin;
  let server: Server;

  beforeAll(async () => {
    const apiRoot = await fake.start();
    // Stands in for the gateway's POST /webhooks/telegram.
    server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        plugin.handleWebhook(Buffer.concat(chunks), req.headers['x-telegram-bot-api-secret-token'] as string | undefined).then(
          () => res.writeHead(200).end('{}'),
          (error: Error) => res.writeHead(error instanceof WebhookSecretError ? 403 : 500).end(),
        );
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/webhooks/telegram`;
    plugin = new TelegramPlugin({ token: FAKE_BOT_TOKEN, apiRoot, mode: 'webhook', webhookUrl: url, webhookSecret: 'hook-secret_1' });
    await plugin.start(new EngineStub((message) => (submitted.push(message), { reply: `got ${message.text}` })));
  });

  afterAll(async () => {
    await plugin.stop();
    server.close();
    await fake.stop();
  });

  it('registers the webhook with its secret and takes updates Telegram posts', async () => {
    expect(fake.currentWebhook).toEqual({ url: expect.stringMatching(/\/webhooks\/telegram$/), secretToken: 'hook-secret_1' });
    const { update_id } = fake.userSends({ chatId: 4242, from: { id: 4242, first_name: 'Ada' }, text: 'hello over a webhook' });
    for (const deadline = Date.now() + 5_000; fake.botMessages(4242).length === 0 && Date.now() < deadline;) await new Promise((r) => setTimeout(r, 20));
    expect(submitted).toEqual([
      expect.objectContaining({ channel: 'telegram', messageId: String(update_id), chatId: '4242', sender: { id: '4242', name: 'Ada' }, text: 'hello over a webhook' }),
    ]);
    expect(fake.botMessages(4242).map((m) => m.text)).toEqual(['got hello over a webhook']);
  });

  it('refuses an update without the right secret, and hands nothing on', async () => {
    const before = submitted.length;
    const update = { update_id: 1, message: { message_id: 1, date: 0, chat: { id: 1, type: 'private' }, from: { id: 1, is_bot: false, first_name: 'M' }, text: 'evil' } };
    for (const secret of [undefined, 'wrong', 'hook-secret_2']) {
      await expect(plugin.handleWebhook(Buffer.from(JSON.stringify(update)), secret)).rejects.toBeInstanceOf(WebhookSecretError);
    }
    expect(submitted).toHaveLength(before);
  });
});
