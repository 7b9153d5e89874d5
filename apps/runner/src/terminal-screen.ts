import { Terminal } from '@xterm/headless';

/** The size tmux gives every Patchbay session (see TmuxClient.newSession). */
export const SCREEN = { cols: 200, rows: 50 } as const;

/**
 * A headless terminal that replays what a pane printed, so output of interactive programs
 * can be sent as plain text: escape sequences are interpreted, not stripped blindly, and
 * a redraw yields only the lines that changed since the last look.
 */
export class TerminalScreen {
  private readonly term = new Terminal({ ...SCREEN, scrollback: 5_000, allowProposedApi: true });
  private shown: string[] = [];

  write(data: string): Promise<void> {
    return new Promise((resolve) => this.term.write(data, resolve));
  }

  /** The lines that differ from the last call (from the first changed line on), or ''. */
  changes(): string {
    const lines = this.lines();
    let same = 0;
    while (same < lines.length && same < this.shown.length && lines[same] === this.shown[same]) same++;
    this.shown = lines;
    const changed = lines.slice(same);
    return changed.length > 0 ? `${changed.join('\n')}\n` : '';
  }

  /** The last lines on screen, for a run's final event. */
  tail(count: number): string {
    return this.lines().slice(-count).join('\n');
  }

  dispose(): void {
    this.term.dispose();
  }

  private lines(): string[] {
    const buffer = this.term.buffer.active;
    const lines: string[] = [];
    for (let i = 0; i < buffer.length; i++) lines.push(buffer.getLine(i)?.translateToString(true) ?? '');
    while (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
    return lines;
  }
}
