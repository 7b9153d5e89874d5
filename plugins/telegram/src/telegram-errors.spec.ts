import { BotError, Context, HttpError } from 'grammy';
import type { Update } from 'grammy/types';
import { describeTelegramError } from './telegram-errors';

const TOKEN = '7000000001:AAF4keT0kenForPatchbayTests_abcdefg';

describe('describeTelegramError', () => {
  it('says what failed in one line, without the token a network error or the update context carries', () => {
    const network = new HttpError("Network request for 'sendMessage' failed!", new Error(`request to http://127.0.0.1:9/bot${TOKEN}/sendMessage failed, reason: ECONNREFUSED`));
    const ctx = { update: { update_id: 42 } as Update, api: { token: TOKEN } } as unknown as Context;
    const text = describeTelegramError(new BotError(network, ctx), TOKEN);
    expect(text).toBe(
      "update 42: Telegram unreachable: Network request for 'sendMessage' failed! (request to http://127.0.0.1:9/bot<bot token>/sendMessage failed, reason: ECONNREFUSED)",
    );
    expect(text).not.toContain('AAF4keT0ken');
  });

  it('hides a token it was not told about when it looks like a bot URL', () => {
    expect(describeTelegramError(new Error('GET /bot123456:other-Token_x/getMe'), TOKEN)).toBe('GET /bot<bot token>/getMe');
  });
});
