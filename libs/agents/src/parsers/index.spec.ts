import { ClaudeParser, CodexParser, createParser, OpencodeParser, ParserFormat, TextParser } from './index';

describe('createParser', () => {
  it.each([
    ['text', TextParser],
    ['claude', ClaudeParser],
    ['codex', CodexParser],
    ['opencode', OpencodeParser],
  ] as const)('makes a %s parser', (format, Parser) => {
    expect(createParser(format, 'x')).toBeInstanceOf(Parser);
  });

  it('makes a fresh parser each time, which uses the agent name in its error texts', () => {
    const first = createParser('claude', 'my-claude');
    expect(createParser('claude', 'my-claude')).not.toBe(first);
    expect(first.end({ exitCode: 2, durationMs: 1, stderrTail: '' })).toEqual([{ type: 'error', code: 'agent_failed', text: 'agent my-claude exited with status 2', exitCode: 2 }]);
  });

  it('refuses a format it does not know', () => {
    expect(() => createParser('gemini' as ParserFormat, 'x')).toThrow('unknown stream format "gemini"');
  });
});
