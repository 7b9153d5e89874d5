import { InboundMessageV1, OutputEventV1 } from './messages';
import { sanitizeText } from './text';

describe('sanitizeText', () => {
  it('drops NUL and replaces lone surrogates, keeping pairs and other control characters', () => {
    expect(sanitizeText('a\u0000b\u0000')).toBe('ab');
    expect(sanitizeText('x\uD800y\uDC00z')).toBe('x\uFFFDy\uFFFDz');
    expect(sanitizeText('end\uD83D')).toBe('end\uFFFD');
    expect(sanitizeText('emoji \uD83D\uDE00 tab\t esc\u001b[0m bell\u0007')).toBe('emoji \uD83D\uDE00 tab\t esc\u001b[0m bell\u0007');
  });
});

describe('text fields of the contracts', () => {
  const inbound = { channel: 'local', accountId: 'local', messageId: 'm1', chatId: null, sender: { id: 'local', name: 'a\u0000da' }, receivedAt: '2030-01-01T00:00:00.000Z' };

  it('sanitise inbound text before trimming and the emptiness check', () => {
    expect(InboundMessageV1.parse({ ...inbound, text: ' fix\u0000 it\uDC00 ' })).toMatchObject({ text: 'fix it\uFFFD', sender: { name: 'ada' } });
    expect(InboundMessageV1.safeParse({ ...inbound, text: '\u0000 \u0000' }).success).toBe(false);
  });

  it('sanitise agent output: text, tool names and tool input', () => {
    const base = { sessionId: 'sess0001', taskId: 'task0001', runId: 'run00001', seq: 1, at: '2030-01-01T00:00:00.000Z' };
    expect(OutputEventV1.parse({ ...base, type: 'text', text: 'a\u0000b' })).toMatchObject({ text: 'ab' });
    expect(OutputEventV1.parse({ ...base, type: 'tool_call', tool: 'Ba\u0000sh', input: '{"c":"\uD800"}' })).toMatchObject({ tool: 'Bash', input: '{"c":"\uFFFD"}' });
    expect(OutputEventV1.parse({ ...base, type: 'final', text: 'done\u0000', durationMs: 1, exitCode: 0 })).toMatchObject({ text: 'done' });
  });
});
