import { ID_PATTERN, newId } from './ids';
import { OutputEventV1 } from './messages';
import { fillSubject } from './subjects';

describe('fillSubject', () => {
  it('fills each "*" with the next value, in order', () => {
    expect(fillSubject('session.*.output', ['abcd'])).toBe('session.abcd.output');
    expect(fillSubject('a.*.b.*', ['x', 'y'])).toBe('a.x.b.y');
  });

  it('leaves "*" tokens without a value as wildcards', () => {
    expect(fillSubject('session.*.output', [])).toBe('session.*.output');
    expect(fillSubject('a.*.b.*', ['x'])).toBe('a.x.b.*');
  });

  it('only fills whole "*" tokens', () => {
    expect(fillSubject('a*.b', [])).toBe('a*.b');
    expect(() => fillSubject('a*.b', ['x'])).toThrow();
  });

  it('throws when given more values than the pattern has "*" tokens', () => {
    expect(() => fillSubject('runner.run', ['x'])).toThrow(/runner\.run has fewer "\*" tokens than the 1 values given/);
    expect(() => fillSubject('session.*.output', ['x', 'y'])).toThrow(/2 values/);
  });
});

describe('newId', () => {
  it('has the requested length, 12 by default', () => {
    expect(newId()).toHaveLength(12);
    expect(newId(4)).toHaveLength(4);
    expect(newId(40)).toHaveLength(40);
  });

  it('uses only lowercase letters and the digits 2-7, and matches ID_PATTERN', () => {
    const ids = Array.from({ length: 200 }, () => newId());
    for (const id of ids) {
      expect(id).toMatch(/^[a-z2-7]+$/);
      expect(id).toMatch(ID_PATTERN);
    }
  });

  it('covers the whole 32-letter alphabet and gives distinct ids', () => {
    const ids = Array.from({ length: 200 }, () => newId());
    expect(new Set(ids.join('')).size).toBe(32);
    expect(new Set(ids).size).toBe(ids.length);
  });
});

describe('ID_PATTERN', () => {
  it.each(['abcd', 'a1b2c3', 'x'.repeat(40)])('accepts %s', (id) => expect(id).toMatch(ID_PATTERN));
  it.each(['abc', 'x'.repeat(41), 'ABCD', 'ab-cd', 'ab.cd', ''])('rejects "%s"', (id) => expect(id).not.toMatch(ID_PATTERN));
});

describe('OutputEventV1', () => {
  const base = { sessionId: 'sess1234', taskId: 'task1234', runId: 'run12345', seq: 1, at: '2026-01-02T03:04:05.000Z' };
  const events = {
    text: { type: 'text', text: 'hello' },
    tool_call: { type: 'tool_call', tool: 'bash', input: 'ls' },
    tool_result: { type: 'tool_result', tool: 'bash', text: 'a b' },
    status: { type: 'status', text: 'started' },
    final: { type: 'final', text: 'done', durationMs: 12, exitCode: 0 },
    error: { type: 'error', text: 'boom', code: 'agent_failed', exitCode: null },
  };

  it.each(Object.entries(events))('accepts a %s event', (_type, body) => {
    const parsed = OutputEventV1.safeParse({ ...base, ...body });
    expect(parsed.error).toBeUndefined();
    expect(parsed.data).toEqual({ ...base, ...body });
  });

  it('accepts a timestamp with an offset', () => {
    expect(OutputEventV1.safeParse({ ...base, ...events.text, at: '2026-01-02T03:04:05+02:00' }).success).toBe(true);
  });

  it.each([
    ['a text event without text', { ...base, type: 'text' }, 'text'],
    ['a negative seq', { ...base, ...events.text, seq: -1 }, 'seq'],
    ['seq 0 (seqs start at 1)', { ...base, ...events.text, seq: 0 }, 'seq'],
    ['a fractional seq', { ...base, ...events.text, seq: 1.5 }, 'seq'],
    ['an unknown type', { ...base, type: 'thought', text: 'hm' }, 'type'],
    ['a final event without exitCode', { ...base, type: 'final', text: '', durationMs: 1 }, 'exitCode'],
    ['a final event with a negative duration', { ...base, ...events.final, durationMs: -1 }, 'durationMs'],
    ['an error event without code', { ...base, type: 'error', text: 'x', exitCode: 1 }, 'code'],
    ['a tool_call without input', { ...base, type: 'tool_call', tool: 'bash' }, 'input'],
    ['a session id that is not an id', { ...base, ...events.text, sessionId: 'Not An Id' }, 'sessionId'],
    ['a time that is not ISO', { ...base, ...events.text, at: 'yesterday' }, 'at'],
  ])('rejects %s', (_what, value, key) => {
    const parsed = OutputEventV1.safeParse(value);
    expect(parsed.success).toBe(false);
    expect(parsed.error?.issues.map((issue) => issue.path.join('.'))).toContain(key);
  });
});
