import type { ResponseLike } from 'discord.js';
import { RateLimitedError } from '@patchbay/plugin-sdk';
import { VirtualClock } from '@patchbay/plugin-sdk/testing';
import { ChannelRateLimits, pacedRoute } from './discord-rate-limits';

const API = 'https://discord.com/api/v10';

function response(status: number, headers: Record<string, string>, body: unknown = {}): ResponseLike {
  return {
    body: null,
    bodyUsed: false,
    headers: new Headers(headers),
    status,
    statusText: String(status),
    ok: status < 300,
    arrayBuffer: async () => new ArrayBuffer(0),
    json: async () => body,
    text: async () => JSON.stringify(body),
  };
}

function limits(remaining: number, resetAfter: number) {
  return {
    'X-RateLimit-Limit': '5',
    'X-RateLimit-Remaining': String(remaining),
    'X-RateLimit-Reset-After': String(resetAfter),
    'X-RateLimit-Bucket': 'abc',
    'Content-Type': 'application/json',
  };
}

describe('pacedRoute', () => {
  it('knows the two calls the renderer makes, and nothing else', () => {
    expect(pacedRoute('POST', `${API}/channels/12/messages`)).toEqual({ route: 'POST /channels/:id/messages', channelId: '12' });
    expect(pacedRoute('PATCH', `${API}/channels/12/messages/34`)).toEqual({ route: 'PATCH /channels/:id/messages/:id', channelId: '12' });
    expect(pacedRoute('POST', `${API}/channels/12/messages/34/threads`)).toBeNull();
    expect(pacedRoute('GET', `${API}/channels/12/messages/34`)).toBeNull();
  });
});

describe('ChannelRateLimits', () => {
  const clock = new VirtualClock(1_000_000);
  const answers: ResponseLike[] = [];
  const inner = jest.fn(async () => answers.shift()!);
  const rateLimits = new ChannelRateLimits(clock, inner);
  const send = (channel = '12') => rateLimits.makeRequest(`${API}/channels/${channel}/messages`, { method: 'POST' });

  it('hides the rate-limit headers from discord.js, and refuses calls into an empty bucket until it resets', async () => {
    answers.push(response(200, limits(0, 2.5)));
    const res = await send();
    expect([...res.headers.keys()]).toEqual(['content-type']);
    await expect(send()).rejects.toEqual(expect.objectContaining({ name: 'RateLimitedError', retryAfterMs: 2_500 }));
    expect(inner).toHaveBeenCalledTimes(1);
    await clock.advance(2_500);
    answers.push(response(200, limits(4, 5)));
    await expect(send()).resolves.toBeDefined();
  });

  it('turns a 429 into RateLimitedError with its retry_after, and waits it out before calling again', async () => {
    answers.push(response(429, { ...limits(3, 5), 'Retry-After': '2' }, { message: 'You are being rate limited.', retry_after: 1.234, global: false }));
    const error = await send('99').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RateLimitedError);
    expect((error as RateLimitedError).retryAfterMs).toBe(1_234);
    await expect(send('99')).rejects.toMatchObject({ retryAfterMs: 1_234 });
    await clock.advance(1_234);
    answers.push(response(200, limits(2, 3.7)));
    await expect(send('99')).resolves.toBeDefined();
  });

  it('leaves a global 429 and other routes to discord.js as they are', async () => {
    const global = response(429, { 'X-RateLimit-Global': 'true', 'Retry-After': '1' });
    answers.push(global);
    expect(await send('77')).toBe(global);
    const other = response(200, limits(0, 9));
    answers.push(other);
    expect(await rateLimits.makeRequest(`${API}/channels/12/messages/34/threads`, { method: 'POST' })).toBe(other);
  });
});
