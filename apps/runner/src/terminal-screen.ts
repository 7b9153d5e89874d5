import { IMarker, Terminal } from '@xterm/headless';

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
 * What was shown of one buffer (the normal one, or the alternate one full-screen programs
 * draw on): the logical lines from the anchor's row on. Rows above it are scrollback, which
 * never changes, so a look reads only the rows from the anchor (a marker: it moves up as
 * the scrollback is trimmed), not the whole 5,000-row history.
 */
interface View {
  anchor?: IMarker;
  shown: string[];
}

/** Logical lines read from a row on, with the row each starts at, and the one the cursor is on. */
interface Lines {
  lines: string[];
  starts: number[];
  cursor: number;
}

/**
 * A headless terminal that replays what a pane printed, so output of interactive programs
 * can be sent as plain text: escape sequences are interpreted, not stripped blindly, and
 * a redraw yields only the lines that changed since the last look. Lines are logical: rows
 * wrapped by the terminal are joined, so a long line (a token in it) is never cut in two.
 */
export class TerminalScreen {
  private readonly term = new Terminal({ ...SCREEN, scrollback: 5_000, allowProposedApi: true });
  private readonly views: Record<'normal' | 'alternate', View> = { normal: { shown: [] }, alternate: { shown: [] } };

  write(data: string): Promise<void> {
    return new Promise((resolve) => this.term.write(data, resolve));
  }

  /**
   * The lines that differ from the last call (from the first changed line on), or ''.
   * With `finished`, unchanged finished lines give '' and the lines from the cursor's on
   * stay unshown, for a later call to send.
   */
  changes(which: ScreenLines = 'all'): string {
    const buffer = this.term.buffer.active;
    const view = this.views[buffer.type];
    const { lines, starts, cursor } = this.lines(Math.max(0, view.anchor?.line ?? 0));
    const end = which === 'all' ? lines.length : finishedCount(lines, cursor);
    let same = 0;
    while (same < end && same < view.shown.length && lines[same] === view.shown[same]) same++;
    const changed = which === 'all' || same < end;
    const shown = changed ? lines.slice(0, end) : view.shown;
    // The next look starts at the scrollback's edge, or at the first line not shown if that is higher up.
    const edge = Math.min(buffer.baseY, starts[end] ?? Infinity);
    let keep = 0;
    while (keep + 1 < starts.length && starts[keep + 1] <= edge && keep + 1 <= shown.length) keep++;
    this.reanchor(view, starts[keep], keep);
    view.shown = shown.slice(keep);
    const text = changed ? lines.slice(same, end) : [];
    return text.length > 0 ? `${text.join('\n')}\n` : '';
  }

  /** The last rows on screen, for a run's final event and prompt patterns. */
  tail(count: number): string {
    const buffer = this.term.buffer.active;
    let last = buffer.length - 1;
    while (last >= 0 && !buffer.getLine(last)?.translateToString(true)) last--;
    const rows: string[] = [];
    for (let i = Math.max(0, last - count + 1); i <= last; i++) rows.push(buffer.getLine(i)?.translateToString(true) ?? '');
    return rows.join('\n');
  }

  dispose(): void {
    this.term.dispose();
  }

  /** Moves the view's anchor to `row` (markers exist on the normal buffer only; the alternate one has no scrollback). */
  private reanchor(view: View, row: number | undefined, index: number): void {
    if (index === 0 || row === undefined || this.term.buffer.active.type !== 'normal') return;
    const buffer = this.term.buffer.active;
    const marker = this.term.registerMarker(row - (buffer.baseY + buffer.cursorY));
    if (!marker) return;
    view.anchor?.dispose();
    view.anchor = marker;
  }

  /** The logical lines from row `from` on (trailing empty ones dropped). */
  private lines(from: number): Lines {
    const buffer = this.term.buffer.active;
    const cursorRow = buffer.baseY + buffer.cursorY;
    const lines: string[] = [];
    const starts: number[] = [];
    let cursor = 0;
    for (let i = from; i < buffer.length; i++) {
      const row = buffer.getLine(i);
      // A row the next one continues keeps its trailing blanks: they are inside the line.
      const text = row?.translateToString(!buffer.getLine(i + 1)?.isWrapped) ?? '';
      if (row?.isWrapped && lines.length > 0) {
        lines[lines.length - 1] += text;
      } else {
        lines.push(text);
        starts.push(i);
      }
      if (i === cursorRow) cursor = lines.length - 1;
    }
    while (lines.length > 0 && lines[lines.length - 1] === '') {
      lines.pop();
      starts.pop();
    }
    return { lines, starts, cursor: cursorRow < from ? 0 : cursor };
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
