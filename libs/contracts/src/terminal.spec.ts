import { ScreenV1 } from './messages';
import { SessionTypeV1 } from './terminal';

const by = { channel: 'api', senderId: 'ci', vouch: { role: 'operator', reason: 'API token "ci"' } };

describe('SessionTypeV1', () => {
  it('carries text (Enter optional) or tmux keys, and nothing else', () => {
    expect(SessionTypeV1.parse({ sessionId: 'sess0001', by, input: { kind: 'text', text: 'ls\u0000', enter: false } }).input).toEqual({ kind: 'text', text: 'ls', enter: false });
    expect(SessionTypeV1.safeParse({ sessionId: 'sess0001', by, input: { kind: 'keys', keys: ['C-c', 'Enter'] } }).success).toBe(true);
    const bad = SessionTypeV1.safeParse({ sessionId: 'sess0001', by, input: { kind: 'keys', keys: ['rm -rf /'] } });
    expect(bad.error?.issues).toEqual([expect.objectContaining({ path: ['input', 'keys', 0], message: 'expected tmux key names like C-c, Enter, Up' })]);
    expect(SessionTypeV1.safeParse({ sessionId: 'sess0001', by, input: { kind: 'text', text: '' } }).success).toBe(false);
  });
});

describe('ScreenV1', () => {
  it('takes whole-number sizes and cursor positions only', () => {
    const screen = { sessionId: 'sess0001', cols: 80, rows: 1, cursor: { x: 0, y: 0 }, lines: ['\u001b[31mred\u001b[39m'], at: '2030-01-01T00:00:00.000Z' };
    expect(ScreenV1.parse(screen)).toEqual(screen);
    expect(ScreenV1.safeParse({ ...screen, cursor: { x: 1.5, y: 0 } }).success).toBe(false);
    expect(ScreenV1.safeParse({ ...screen, rows: 0 }).success).toBe(false);
  });
});
