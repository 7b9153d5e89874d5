import { typedOf } from './terminal-keys';

describe('typedOf: what xterm reports, as text runs and tmux key names', () => {
  it('keeps a run of text together', () => {
    expect(typedOf('echo hi')).toEqual([{ text: 'echo hi' }]);
  });

  it('names Enter, Backspace, Tab and Escape', () => {
    expect(typedOf('ls\r')).toEqual([{ text: 'ls' }, { keys: ['Enter'] }]);
    expect(typedOf('\x7f\t\x1b')).toEqual([{ keys: ['BSpace', 'Tab', 'Escape'] }]);
  });

  it('reads escape sequences whole: arrows, Delete, Page Up, F1', () => {
    expect(typedOf('\x1b[A\x1b[D\x1b[3~\x1b[5~\x1bOP')).toEqual([{ keys: ['Up', 'Left', 'DC', 'PPage', 'F1'] }]);
  });

  it('turns control characters into C-<letter>, in order with the text around them', () => {
    expect(typedOf('a\x03b')).toEqual([{ text: 'a' }, { keys: ['C-c'] }, { text: 'b' }]);
  });

  it('splits a long run of keys into requests of at most 20', () => {
    const typed = typedOf('\r'.repeat(25));
    expect(typed).toEqual([{ keys: Array(20).fill('Enter') }, { keys: Array(5).fill('Enter') }]);
  });

  it('keeps a pasted text with non-ASCII characters as text', () => {
    expect(typedOf('grüße ✓')).toEqual([{ text: 'grüße ✓' }]);
  });
});
