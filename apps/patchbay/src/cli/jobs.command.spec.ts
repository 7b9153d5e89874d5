import { jobSpec } from './jobs.command';

describe('patchbay jobs add: options → job', () => {
  it('builds a cron job in the given zone, to a chat on the local channel by default', () => {
    expect(jobSpec('standup', { cron: '0 9 * * 1-5', tz: 'Europe/Berlin', prompt: 'notes', chat: 'me', agent: 'claude' })).toEqual({
      name: 'standup',
      cron: '0 9 * * 1-5',
      tz: 'Europe/Berlin',
      prompt: 'notes',
      target: { channel: 'local', chatId: 'me' },
      agent: 'claude',
    });
  });

  it("reads a cron job in this machine's zone when --tz is left out", () => {
    const zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
    expect(jobSpec('nightly', { cron: '@daily', prompt: 'x' })).toEqual({ name: 'nightly', cron: '@daily', tz: zone, prompt: 'x' });
  });

  it('builds interval and one-shot jobs, to a session, disabled', () => {
    expect(jobSpec('poll', { every: '15m', prompt: 'x', session: 'abcd1234', disabled: true })).toEqual({
      name: 'poll',
      every: '15m',
      prompt: 'x',
      target: { sessionId: 'abcd1234' },
      enabled: false,
    });
    expect(jobSpec('once', { at: '2026-12-01T09:00:00Z', prompt: 'x', chat: '42', channel: 'telegram' })).toEqual({
      name: 'once',
      at: '2026-12-01T09:00:00Z',
      prompt: 'x',
      target: { channel: 'telegram', chatId: '42' },
    });
  });

  it.each([
    [{ prompt: 'x' }, 'jobs add needs one of --cron, --every or --at'],
    [{ cron: '@daily', every: '1d', prompt: 'x' }, 'give only one of --cron, --every'],
    [{ every: '1d', tz: 'UTC', prompt: 'x' }, '--tz goes with --cron'],
    [{ every: '1d' }, 'jobs add needs --prompt "what the agent should do"'],
    [{ every: '1d', prompt: 'x', session: 'abcd', chat: 'me' }, 'give --session or --chat, not both'],
    [{ every: '1d', prompt: 'x', channel: 'telegram' }, '--channel goes with --chat'],
  ])('refuses %j', (values, message) => {
    expect(jobSpec('j', values)).toBe(message);
  });
});
