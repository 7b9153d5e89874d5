import { NO_OUTPUT, RunDocument, errorLine, isClosingStatus, statusLine, toolLine } from './run-document';

describe('the lines a run shows', () => {
  it('shows a tool call as one short line', () => {
    expect(toolLine({ tool: 'Bash', input: 'ls -la' })).toBe('▸ Bash: ls -la');
    expect(toolLine({ tool: 'Bash', input: "cat <<'EOF'\nhello\n  EOF\n" })).toBe("▸ Bash: cat <<'EOF' hello EOF");
    expect(toolLine({ tool: 'TodoWrite', input: '  ' })).toBe('▸ TodoWrite');
    const long = toolLine({ tool: 'Grep', input: 'x'.repeat(500) });
    expect(long).toBe(`▸ Grep: ${'x'.repeat(119)}…`);
  });

  it('shows only the statuses that say the run waits in line or started, or what became of its branch', () => {
    expect(statusLine({ state: 'pushed', text: 'pushed branch patchbay/a1b2 (2 commits) to origin' })).toBe('⇡ pushed branch patchbay/a1b2 (2 commits) to origin');
    expect(statusLine({ state: 'push_failed', text: 'could not push branch patchbay/a1b2 to origin: denied' })).toBe('⚠ could not push branch patchbay/a1b2 to origin: denied');
    expect([isClosingStatus({ state: 'pushed' }), isClosingStatus({ state: 'push_failed' }), isClosingStatus({ state: 'started' })]).toEqual([true, true, false]);
    expect(statusLine({ state: 'waiting', text: 'position 2 in line' })).toBe('⏳ position 2 in line');
    expect(statusLine({ state: 'started', text: 'started agent claude' })).toBe('▶ started agent claude');
    expect(statusLine({ state: 'started', text: '' })).toBe('▶ started');
    expect(statusLine({ state: 'resumed', text: 'runner resumed' })).toBeNull();
    expect(statusLine({ text: 'thinking' })).toBeNull();
  });

  it('shows an error with its code', () => {
    expect(errorLine({ code: 'agent_failed', text: 'agent exited with status 1\n' })).toBe('⚠ Error (agent_failed): agent exited with status 1');
    expect(errorLine({ code: 'runner_lost', text: '' })).toBe('⚠ Error (runner_lost)');
  });
});

describe('RunDocument', () => {
  it('puts closing lines after whatever ends the run, and nothing when there are none', () => {
    const doc = new RunDocument();
    expect(doc.closed('The answer.')).toBe('The answer.');
    doc.addClosingLine('⇡ pushed branch patchbay/a1b2 (1 commit) to origin');
    expect(doc.closed('The answer.')).toBe('The answer.\n⇡ pushed branch patchbay/a1b2 (1 commit) to origin\n');
    expect(doc.closed('')).toBe('⇡ pushed branch patchbay/a1b2 (1 commit) to origin\n');
    expect(doc.text).toBe('');
  });

  it('joins text deltas and puts each line on a line of its own', () => {
    const doc = new RunDocument();
    doc.addLine('▶ started');
    doc.addText('Let me ');
    doc.addText('look.');
    doc.addLine('▸ Bash: ls');
    doc.addText('Done.\n');
    doc.addLine('▸ Read: a.ts');
    expect(doc.text).toBe('▶ started\nLet me look.\n▸ Bash: ls\nDone.\n▸ Read: a.ts\n');
  });

  it('keeps the streamed text when the final answer is what streamed, all of it or its last stretch', () => {
    const doc = new RunDocument();
    doc.addText('Looking.');
    doc.addLine('▸ Bash: ls');
    doc.addText('The answer is 42.\n');
    expect(doc.withFinal('Looking.The answer is 42.\n').text).toBe(doc.text);
    expect(doc.withFinal('The answer is 42.').text).toBe(doc.text);
    expect(doc.withFinal('42.').text).toBe(doc.text);
  });

  it('lets the final answer win: it replaces the text after the last line, or follows the last line', () => {
    const doc = new RunDocument();
    doc.addText('Looking.');
    doc.addLine('▸ Bash: ls');
    doc.addText('The answer is 4');
    const before = 'Looking.\n▸ Bash: ls\n';
    expect(doc.withFinal('The answer is 42.')).toEqual({ text: `${before}The answer is 42.`, answerStart: before.length });
    doc.addLine('▸ Bash: echo');
    const after = `${before}The answer is 4\n▸ Bash: echo\n`;
    expect(doc.withFinal('The answer is 42.')).toEqual({ text: `${after}The answer is 42.`, answerStart: after.length });
    expect(new RunDocument().withFinal('Just this.')).toEqual({ text: 'Just this.', answerStart: 0 });
  });

  it('never lets an empty answer erase text, and shows that nothing came when nothing did', () => {
    const doc = new RunDocument();
    doc.addText('Some text');
    expect(doc.withFinal('  ').text).toBe('Some text');
    const quiet = new RunDocument();
    quiet.addLine('▶ started');
    expect(quiet.withFinal('').text).toBe(`▶ started\n${NO_OUTPUT}`);
  });

  it('adds an error line after everything', () => {
    const doc = new RunDocument();
    doc.addText('Half way');
    expect(doc.withLine('⚠ Error (x): y')).toBe('Half way\n⚠ Error (x): y\n');
  });
});
