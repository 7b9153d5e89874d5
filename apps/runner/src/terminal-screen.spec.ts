import { SCREEN, TerminalScreen } from './terminal-screen';

describe('TerminalScreen', () => {
  let screen: TerminalScreen;

  beforeEach(() => (screen = new TerminalScreen()));
  afterEach(() => screen.dispose());

  it('gives finished lines, those above the cursor, and keeps the line being typed for later', async () => {
    await screen.write('$ ');
    expect(screen.changes('finished')).toBe('');
    await screen.write('echo hi');
    expect(screen.changes('finished')).toBe('');
    await screen.write('\r\nhi\r\n$ ');
    expect(screen.changes('finished')).toBe('$ echo hi\nhi\n');
    expect(screen.changes('finished')).toBe('');
  });

  it('sends the rest once all lines are asked for, without repeating the finished ones', async () => {
    await screen.write('one\r\ntwo\r\n$ ');
    expect(screen.changes('finished')).toBe('one\ntwo\n');
    expect(screen.changes('all')).toBe('$ \n');
    expect(screen.changes('all')).toBe('');
  });

  it('sends a shown line again from where it changed (the prompt line, now with the typed command)', async () => {
    await screen.write('$ ');
    expect(screen.changes('all')).toBe('$ \n');
    await screen.write('ls\r\nfile\r\n$ ');
    expect(screen.changes('finished')).toBe('$ ls\nfile\n');
    expect(screen.changes('all')).toBe('$ \n');
  });

  it('joins rows the terminal wrapped into one line, finished only once the cursor has left it', async () => {
    const long = `token=${'x'.repeat(SCREEN.cols + 20)}`;
    await screen.write(long);
    expect(screen.changes('finished')).toBe('');
    await screen.write('\r\n');
    expect(screen.changes('finished')).toBe(`${long}\n`);
  });

  it('holds an open private-key block back until its END line, so it goes out in one piece', async () => {
    await screen.write('key:\r\n-----BEGIN PRIVATE KEY-----\r\nMIIEvQIBADANBgkq\r\n');
    expect(screen.changes('finished')).toBe('key:\n');
    await screen.write('-----END PRIVATE KEY-----\r\n');
    expect(screen.changes('finished')).toBe('-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkq\n-----END PRIVATE KEY-----\n');
  });

  it('gives an open block once all lines are asked for (the screen is quiet)', async () => {
    await screen.write('-----BEGIN RSA PRIVATE KEY-----\r\nMIIEvQIBADANBgkq\r\n');
    expect(screen.changes('finished')).toBe('');
    expect(screen.changes('all')).toBe('-----BEGIN RSA PRIVATE KEY-----\nMIIEvQIBADANBgkq\n');
  });

  it('sends only the new line once the scrollback is full and its oldest rows go', async () => {
    await screen.write(Array.from({ length: 6_000 }, (_, i) => `line ${i}\r\n`).join(''));
    screen.changes('all');
    await screen.write('one more\r\n');
    expect(screen.changes('finished')).toBe('one more\n');
    await screen.write('and another\r\n$ ');
    expect(screen.changes('finished')).toBe('and another\n');
    expect(screen.changes('all')).toBe('$ \n');
  });

  it('shows a full-screen program on its own screen, and only what comes after once it leaves', async () => {
    await screen.write('before\r\n$ ');
    screen.changes('all');
    await screen.write('\x1b[?1049h\x1b[Hmenu\r\n> pick');
    expect(screen.changes('all')).toBe('menu\n> pick\n');
    await screen.write('\x1b[?1049lafter\r\n$ ');
    expect(screen.changes('all')).toBe('$ after\n$ \n');
  });

  it('keeps the last rows as the terminal shows them, for prompts and the final event', async () => {
    await screen.write('a\r\nb\r\nAllow? (y/n) ');
    expect(screen.tail(2)).toBe('b\nAllow? (y/n) ');
  });
});
