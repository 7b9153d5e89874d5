import { endFallback, exitFailure, FINAL_TEXT_LIMIT, statusEvent, summarizeToolInput, TextLog, toolResultText, truncate } from './parser-kit';

const exit = (exitCode: number, stderrTail = '') => ({ exitCode, durationMs: 1234, stderrTail });

describe('truncate', () => {
  it('keeps text up to the limit as it is', () => {
    expect(truncate('abcde', 5)).toBe('abcde');
  });

  it('cuts longer text to exactly the limit, ending in an ellipsis', () => {
    expect(truncate('abcdef', 5)).toBe('abcd…');
  });
});

describe('summarizeToolInput', () => {
  it('takes the command, path or pattern of the tools everyone knows, in any case', () => {
    expect(summarizeToolInput('Bash', { command: 'npm test', description: 'Run tests' })).toBe('npm test');
    expect(summarizeToolInput('Read', { file_path: '/src/a.ts', limit: 10 })).toBe('/src/a.ts');
    expect(summarizeToolInput('edit', { filePath: '/src/b.ts', oldString: 'x', newString: 'y' })).toBe('/src/b.ts');
    expect(summarizeToolInput('Grep', { pattern: 'TODO', path: 'src' })).toBe('TODO');
    expect(summarizeToolInput('glob', { pattern: '**/*.ts' })).toBe('**/*.ts');
  });

  it('falls back to compact JSON for other tools, and when the key field is missing', () => {
    expect(summarizeToolInput('TodoWrite', { todos: [{ content: 'a' }] })).toBe('{"todos":[{"content":"a"}]}');
    expect(summarizeToolInput('Bash', { cmd: 'ls' })).toBe('{"cmd":"ls"}');
    expect(summarizeToolInput('x', undefined)).toBe('{}');
  });

  it('caps the summary at 200 characters', () => {
    const summary = summarizeToolInput('Bash', { command: 'x'.repeat(500) });
    expect(summary).toHaveLength(200);
    expect(summary.endsWith('…')).toBe(true);
  });
});

describe('toolResultText', () => {
  it('trims trailing whitespace, marks errors and says when there was no output', () => {
    expect(toolResultText('ok\n\n')).toBe('ok');
    expect(toolResultText('boom', true)).toBe('error: boom');
    expect(toolResultText('  \n')).toBe('(no output)');
  });

  it('caps the text at 500 characters, the error mark included', () => {
    const text = toolResultText('y'.repeat(2_000), true);
    expect(text).toHaveLength(500);
    expect(text.startsWith('error: yyy')).toBe(true);
  });
});

describe('statusEvent', () => {
  it('carries the agent session id only when there is one', () => {
    expect(statusEvent('hi')).toEqual({ type: 'status', text: 'hi' });
    expect(statusEvent('hi', 's1')).toEqual({ type: 'status', text: 'hi', agentSessionId: 's1' });
  });
});

describe('exitFailure', () => {
  it('says the agent exited with its status, with the stderr tail', () => {
    expect(exitFailure('demo', exit(3, '  boom\n'))).toEqual({
      type: 'error',
      code: 'agent_failed',
      text: 'agent demo exited with status 3:\nboom',
      exitCode: 3,
    });
  });

  it('says the agent was stopped for 129 and 143, and adds nothing for an empty stderr', () => {
    expect(exitFailure('demo', exit(143, ' \n'))).toMatchObject({ text: 'agent demo was stopped (its tmux session was closed)' });
    expect(exitFailure('demo', exit(129))).toMatchObject({ text: 'agent demo was stopped (its tmux session was closed)' });
  });

  it('quotes at most the last 2000 characters of stderr', () => {
    expect(exitFailure('demo', exit(1, `${'a'.repeat(3_000)}END`))).toMatchObject({
      text: `agent demo exited with status 1:\n${'a'.repeat(1_997)}END`,
    });
  });
});

describe('endFallback', () => {
  it('is a final with the output and the run duration on exit 0', () => {
    expect(endFallback('demo', exit(0), 'all done', { agentSessionId: 's1' })).toEqual({
      type: 'final',
      text: 'all done',
      durationMs: 1234,
      exitCode: 0,
      agentSessionId: 's1',
    });
  });

  it('is the agent_failed error otherwise', () => {
    expect(endFallback('demo', exit(2), 'partial')).toEqual(exitFailure('demo', exit(2)));
  });
});

describe('TextLog', () => {
  it('passes added text through unchanged and keeps it', () => {
    const log = new TextLog();
    expect(log.add('Hel')).toEqual({ type: 'text', text: 'Hel' });
    expect(log.add('lo')).toEqual({ type: 'text', text: 'lo' });
    expect(log.text).toBe('Hello');
  });

  it('sets a new block a blank line apart from earlier text, and the first block not at all', () => {
    const log = new TextLog();
    expect(log.block('one')).toEqual({ type: 'text', text: 'one' });
    expect(log.block('two')).toEqual({ type: 'text', text: '\n\ntwo' });
    log.add('\n');
    expect(log.block('three')).toEqual({ type: 'text', text: '\nthree' });
    log.add('\n\n');
    expect(log.block('four')).toEqual({ type: 'text', text: 'four' });
  });

  it('keeps only the last 64 000 characters, without trailing whitespace', () => {
    const log = new TextLog();
    log.add('START');
    for (let i = 0; i < 30; i++) log.add('x'.repeat(10_000));
    log.add('END\n\n');
    expect(log.text).toHaveLength(FINAL_TEXT_LIMIT - 2);
    expect(log.text.endsWith('xEND')).toBe(true);
    expect(log.text).not.toContain('START');
  });
});
