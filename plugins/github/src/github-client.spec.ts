import { rateLimitWait } from './github-client';

function httpError(status: number, message: string, headers: Record<string, string> = {}): Error {
  return Object.assign(new Error(message), { status, response: { headers } });
}

describe('rateLimitWait', () => {
  it('reads retry-after (seconds) of a secondary limit', () => {
    expect(rateLimitWait(httpError(403, 'You have exceeded a secondary rate limit.', { 'retry-after': '30' }), 0)).toBe(30_000);
    expect(rateLimitWait(httpError(429, 'Too many', { 'retry-after': '0' }), 0)).toBe(0);
  });

  it('waits until x-ratelimit-reset when the primary limit is used up', () => {
    expect(rateLimitWait(httpError(403, 'API rate limit exceeded', { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': '1700000060' }), 1_700_000_000_000)).toBe(60_000);
  });

  it('waits a minute for a secondary limit that names no time', () => {
    expect(rateLimitWait(httpError(403, 'You have exceeded a secondary rate limit'), 0)).toBe(60_000);
  });

  it('is null for other errors, a plain 403 among them', () => {
    expect(rateLimitWait(httpError(403, 'Resource not accessible by integration'), 0)).toBeNull();
    expect(rateLimitWait(httpError(422, 'Validation Failed'), 0)).toBeNull();
    expect(rateLimitWait(new Error('socket hang up'), 0)).toBeNull();
  });
});
