import { Redactor, TOKEN_SHAPES } from '@patchbay/security';
import { approvalSummary } from './approval-summary';

describe('approvalSummary', () => {
  const redactor = new Redactor(new Map([['configured-secret-value', 'github.webhookSecret']]), TOKEN_SHAPES);
  const summary = (tool: string, input: Record<string, unknown>) => approvalSummary(tool, input, redactor);

  it('Bash: the command, and why', () => {
    expect(summary('Bash', { command: 'npm test', description: 'Run the tests' })).toBe('npm test\n(Run the tests)');
    expect(summary('Bash', { command: 'ls' })).toBe('ls');
  });

  it('Edit: the path and a diff preview', () => {
    expect(summary('Edit', { file_path: '/w/src/a.ts', old_string: 'let a = 1;', new_string: 'const a = 1;\nexport { a };' })).toBe(
      '/w/src/a.ts\n- let a = 1;\n+ const a = 1;\n+ export { a };',
    );
  });

  it('Write: the path and the first lines of the new content, not the whole file', () => {
    const content = Array.from({ length: 40 }, (_, i) => `line ${i + 1}`).join('\n');
    const text = summary('Write', { file_path: '/w/big.txt', content });
    expect(text.split('\n').slice(0, 3)).toEqual(['/w/big.txt (new content, 40 lines)', '+ line 1', '+ line 2']);
    expect(text).toContain('+ … (28 more lines)');
    expect(text).not.toContain('line 13');
  });

  it('WebFetch: the URL', () => {
    expect(summary('WebFetch', { url: 'https://example.com/x', prompt: 'summarise' })).toBe('https://example.com/x');
  });

  it('any other tool, or a known one without its usual fields: the tool and compact JSON', () => {
    expect(summary('mcp__gh__create_issue', { title: 'Bug', labels: ['x'] })).toBe('mcp__gh__create_issue {"title":"Bug","labels":["x"]}');
    expect(summary('Bash', { cmd: 'ls' })).toBe('Bash {"cmd":"ls"}');
  });

  it('redacts secrets, drops control characters, and stays short', () => {
    const text = summary('Bash', { command: 'curl -H "Authorization: token ghp_abcdefghijklmnopqrstuvwxyz0123456789" -d configured-secret-value \u001b[31mx\u0007' });
    expect(text).not.toContain('ghp_abcdefghijklmnopqrstuvwxyz0123456789');
    expect(text).not.toContain('configured-secret-value');
    expect(text).toContain('[redacted:github.webhookSecret]');
    expect(text).not.toMatch(/[\u0000-\u0008\u001b\u007f]/);
    const long = summary('Bash', { command: 'x'.repeat(10_000) });
    expect(long.length).toBe(1_500);
    expect(long.endsWith('…')).toBe(true);
  });
});
