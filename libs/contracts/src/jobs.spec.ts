import { JobSpecV1 } from './jobs';

describe('JobSpecV1', () => {
  const base = { name: 'nightly', prompt: 'run the tests' };

  it.each([
    { ...base, cron: '0 2 * * *', tz: 'Europe/Berlin' },
    { ...base, every: '15m', target: { sessionId: 'abcd1234' } },
    { ...base, at: '2026-12-01T09:00:00+01:00', target: { channel: 'telegram', chatId: '42' }, agent: 'claude', enabled: false },
  ])('accepts %j', (spec) => {
    expect(JobSpecV1.safeParse(spec).error).toBeUndefined();
  });

  it.each([
    [{ ...base }, '', 'give one of cron, every or at'],
    [{ ...base, cron: '@daily', at: '2026-12-01T09:00:00Z' }, 'at', 'give only one of cron, every or at (got cron and at)'],
    [{ ...base, every: '1h', tz: 'UTC' }, 'tz', 'a time zone applies to cron schedules only'],
    [{ ...base, name: 'has space', every: '1h' }, 'name', 'expected 1-64 letters, digits, ".", "_" or "-", starting with a letter or digit'],
    [{ ...base, name: '-dash', every: '1h' }, 'name', expect.any(String)],
    [{ ...base, prompt: '  ', every: '1h' }, 'prompt', 'prompt is empty'],
    [{ ...base, every: '1h', crom: '0 2 * * *' }, '', expect.stringContaining('crom')],
    [{ ...base, every: '1h', target: { sessionId: 'abcd1234', chatId: 'x' } }, 'target', expect.any(String)],
    [{ ...base, at: 'tomorrow' }, 'at', expect.any(String)],
  ])('refuses %j', (spec, path, message) => {
    const parsed = JobSpecV1.safeParse(spec);
    expect(parsed.success).toBe(false);
    expect(parsed.error?.issues.map((i) => ({ path: i.path.join('.'), message: i.message }))).toContainEqual({ path, message });
  });
});
