import { TextParser } from './text.parser';

const exit = (exitCode: number, stderrTail = '') => ({ exitCode, durationMs: 4200, stderrTail });

describe('TextParser', () => {
  it('shows every line as text with its newline, empty lines and JSON-looking lines too', () => {
    const parser = new TextParser('demo');
    expect(parser.line('Working on it...')).toEqual([{ type: 'text', text: 'Working on it...\n' }]);
    expect(parser.line('')).toEqual([{ type: 'text', text: '\n' }]);
    expect(parser.line('{"type":"result"}')).toEqual([{ type: 'text', text: '{"type":"result"}\n' }]);
  });

  it('ends with a final carrying the output without its trailing newline on exit 0', () => {
    const parser = new TextParser('demo');
    parser.line('line one');
    parser.line('line two');
    expect(parser.end(exit(0))).toEqual([{ type: 'final', text: 'line one\nline two', durationMs: 4200, exitCode: 0 }]);
  });

  it('keeps the last 64 000 characters of a long output in the final', () => {
    const parser = new TextParser('demo');
    parser.line('FIRST LINE');
    for (let i = 0; i < 100; i++) parser.line(`${String(i).padStart(3, '0')} ${'x'.repeat(995)}`);
    const events = parser.end(exit(0));
    const text = events.map((event) => (event.type === 'final' ? event.text : '')).join('');
    expect(events.map((event) => event.type)).toEqual(['final']);
    expect(text).toHaveLength(63_999); // 64 000 minus the trailing newline
    expect(text).not.toContain('FIRST LINE');
    expect(text.endsWith(`099 ${'x'.repeat(995)}`)).toBe(true);
  });

  it('ends with agent_failed naming the agent, its status and the stderr tail on a non-zero exit', () => {
    const parser = new TextParser('demo');
    parser.line('partial');
    expect(parser.end(exit(3, 'Error: no API key\n'))).toEqual([{ type: 'error', code: 'agent_failed', text: 'agent demo exited with status 3:\nError: no API key', exitCode: 3 }]);
  });

  it('leaves out the colon when stderr is empty', () => {
    expect(new TextParser('claude').end(exit(1))).toEqual([{ type: 'error', code: 'agent_failed', text: 'agent claude exited with status 1', exitCode: 1 }]);
  });

  it.each([129, 143])('says the agent was stopped on exit %i', (code) => {
    expect(new TextParser('demo').end(exit(code, 'Terminated'))).toEqual([
      { type: 'error', code: 'agent_failed', text: 'agent demo was stopped (its tmux session was closed):\nTerminated', exitCode: code },
    ]);
  });

  it('emits nothing after end()', () => {
    const parser = new TextParser('demo');
    parser.end(exit(0));
    expect(parser.line('late')).toEqual([]);
    expect(parser.end(exit(0))).toEqual([]);
  });
});
