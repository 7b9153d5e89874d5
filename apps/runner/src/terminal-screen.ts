import { Terminal } from '@xterm/headless';

/** The size tmux gives every Patchbay session (see TmuxClient.newSession). */
export const SCREEN = { cols: 200, rows: 50 } as const;

/** The redactor's private-key shape spans lines: an open block is not finished until its END line. */
const KEY_BEGIN = /-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----/;
const KEY_END = /-----END [A-Z0-9 ]*PRIVATE KEY-----/;

/**
 * Which lines `changes` looks at: `all` of them (the screen is quiet), or only the
 * `finished` ones, above the cursor's line (the program has moved on from them), so a line
 * still being typed or drawn waits instead of going out once per keystroke.
 */
export type ScreenLines = 'all' | 'finished';

/**
 * A headless terminal that replays what a pane printed, so output of interactive programs
 * can be sent as plain text: escape sequences are interpreted, not stripped blindly, and
 * a redraw yields only the lines that changed since the last look. Lines are logical: rows
 * wrapped by the terminal are joined, so a long line (a token in it) is never cut in two.
 */
export class TerminalScreen {
  private readonly term = new Terminal({ ...SCREEN, scrollback: 5_000, allowProposedApi: true });
  private shown: string[] = [];

  write(data: string): Promise<void> {
    return new Promise((resolve) => this.term.write(data, resolve));
  }

  /**
   * The lines that differ from the last call (from the first changed line on), or ''.
   * With `finished`, unchanged finished lines give '' and the lines from the cursor's on
   * stay unshown, for a later call to send.
   */
  changes(which: ScreenLines = 'all'): string {
    const { lines, cursor } = this.lines();
    const end = which === 'all' ? lines.length : finishedCount(lines, cursor);
    let same = 0;
    while (same < end && same < this.shown.length && lines[same] === this.shown[same]) same++;
    if (which === 'finished' && same === end) return '';
    this.shown = lines.slice(0, end);
    const changed = lines.slice(same, end);
    return changed.length > 0 ? `${changed.join('\n')}\n` : '';
  }

  /** The last rows on screen, for a run's final event and prompt patterns. */
  tail(count: number): string {
    const buffer = this.term.buffer.active;
    const rows: string[] = [];
    for (let i = 0; i < buffer.length; i++) rows.push(buffer.getLine(i)?.translateToString(true) ?? '');
    while (rows.length > 0 && rows[rows.length - 1] === '') rows.pop();
    return rows.slice(-count).join('\n');
  }

  dispose(): void {
    this.term.dispose();
  }

  /** The logical lines (trailing empty ones dropped), and the index of the one the cursor is on. */
  private lines(): { lines: string[]; cursor: number } {
    const buffer = this.term.buffer.active;
    const cursorRow = buffer.baseY + buffer.cursorY;
    const lines: string[] = [];
    let cursor = 0;
    for (let i = 0; i < buffer.length; i++) {
      const row = buffer.getLine(i);
      // A row the next one continues keeps its trailing blanks: they are inside the line.
      const text = row?.translateToString(!buffer.getLine(i + 1)?.isWrapped) ?? '';
      if (row?.isWrapped && lines.length > 0) lines[lines.length - 1] += text;
      else lines.push(text);
      if (i === cursorRow) cursor = lines.length - 1;
    }
    while (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
    return { lines, cursor };
  }
}

/** How many lines from the top are finished: those above the cursor's, up to an open private-key block. */
function finishedCount(lines: string[], cursor: number): number {
  const end = Math.min(cursor, lines.length);
  let open = -1;
  for (let i = 0; i < end; i++) {
    if (open < 0 && KEY_BEGIN.test(lines[i])) open = i;
    if (open >= 0 && KEY_END.test(lines[i])) open = -1;
  }
  return open >= 0 ? open : end;
}
