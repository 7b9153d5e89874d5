import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

export class TmuxError extends Error {
  constructor(
    readonly args: string[],
    readonly stderr: string,
  ) {
    super(`tmux ${args.join(' ')} failed: ${stderr.trim() || 'no output'}`);
    this.name = 'TmuxError';
  }
}

/** What a pane shows: its visible rows (with ANSI colour escapes), size and cursor. */
export interface PaneScreen {
  cols: number;
  rows: number;
  cursor: { x: number; y: number };
  lines: string[];
}

/** What a client says when the server went away under it (it was exiting). */
const SERVER_GONE = /server exited unexpectedly|lost server/;
const NEW_SESSION_ATTEMPTS = 5;

/**
 * Every tmux command Patchbay runs goes through here. `socket` selects a named tmux server
 * (`tmux -L <socket>`); without it the user's default server, so `tmux attach` just works.
 */
export class TmuxClient {
  constructor(readonly socket?: string) {}

  /** The argv a person runs to attach, e.g. for `patchbay attach`. */
  attachArgs(session: string): string[] {
    return [...this.socketArgs(), 'attach-session', '-t', `=${session}`];
  }

  async version(): Promise<string> {
    return (await this.exec(['-V'])).trim();
  }

  async hasSession(session: string): Promise<boolean> {
    try {
      await this.exec(['has-session', '-t', `=${session}`]);
      return true;
    } catch (error) {
      if (error instanceof TmuxError) return false;
      throw error;
    }
  }

  /**
   * Starts a detached session running `command` (a shell command line) in `cwd`. A server
   * whose last session just ended is exiting and drops the client ("server exited
   * unexpectedly"); the next try starts a fresh server.
   */
  async newSession(session: string, command: string, cwd: string): Promise<void> {
    const argv = ['new-session', '-d', '-s', session, '-c', cwd, '-x', '200', '-y', '50', command];
    for (let attempt = 1; ; attempt++) {
      try {
        await this.exec(argv);
        return;
      } catch (error) {
        if (!(error instanceof TmuxError && SERVER_GONE.test(error.stderr)) || attempt >= NEW_SESSION_ATTEMPTS) throw error;
        await new Promise((resolve) => setTimeout(resolve, 50 * attempt));
      }
    }
  }

  /**
   * Copies everything the pane prints into a file (`pipe-pane`), with no process per tick.
   * `whenClosed` is a file created when the pipe closes (the pane died or was unpiped).
   */
  async pipePaneTo(session: string, file: string, whenClosed?: string): Promise<void> {
    const q = (path: string) => `'${path.replaceAll("'", `'\\''`)}'`;
    const command = `cat >> ${q(file)}${whenClosed ? `; echo 0 > ${q(whenClosed)}` : ''}`;
    await this.exec(['pipe-pane', '-o', '-t', `=${session}:`, command]);
  }

  /** Stops pipe-pane for the session (its pipe command sees the end of its input). */
  async unpipePane(session: string): Promise<void> {
    await this.exec(['pipe-pane', '-t', `=${session}:`]);
  }

  /** What the pane shows now, as plain text (one process, for a first look at a session). */
  async capturePane(session: string): Promise<string> {
    return this.exec(['capture-pane', '-p', '-t', `=${session}:`]);
  }

  /**
   * The pane's visible rows with their colour escapes, its size and cursor: one tmux process
   * (two commands in one client), so the size and the rows are of the same moment.
   */
  async screen(session: string): Promise<PaneScreen> {
    const target = `=${session}:`;
    const out = await this.exec(['display-message', '-p', '-t', target, '#{pane_width} #{pane_height} #{cursor_x} #{cursor_y}', ';', 'capture-pane', '-e', '-p', '-t', target]);
    const [head, ...rest] = out.split('\n');
    const [cols, rows, x, y] = head.split(' ').map((n) => Number.parseInt(n, 10));
    if (![cols, rows, x, y].every(Number.isInteger)) throw new TmuxError(['display-message', '-t', target], `unexpected pane size "${head}"`);
    // capture-pane ends every row with a newline; exactly `rows` rows, however it ends.
    const lines = Array.from({ length: rows }, (_, i) => rest[i] ?? '');
    return { cols, rows, cursor: { x, y }, lines };
  }

  /**
   * Types text into the pane as one paste (bracketed when the program asked for it, so a
   * multi-line message is not run line by line), then presses Enter unless told not to.
   */
  async paste(session: string, text: string, buffer: string, enter = true): Promise<void> {
    const target = `=${session}:`;
    // One tmux command line: each tmux process costs milliseconds, and typed input waits for them.
    await this.exec(
      ['load-buffer', '-b', buffer, '-', ';', 'paste-buffer', '-p', '-d', '-b', buffer, '-t', target, ...(enter ? [';', 'send-keys', '-t', target, 'Enter'] : [])],
      text,
    );
  }

  /** Key names as tmux knows them: `C-c`, `Enter`, `Escape`, `Up`… */
  async sendKeys(session: string, keys: string[]): Promise<void> {
    await this.exec(['send-keys', '-t', `=${session}:`, ...keys]);
  }

  /** The pid of the process tmux started in the session's first pane. */
  async panePid(session: string): Promise<number> {
    return Number.parseInt((await this.exec(['display-message', '-p', '-t', `=${session}:`, '#{pane_pid}'])).trim(), 10);
  }

  async killSession(session: string): Promise<void> {
    if (await this.hasSession(session)) await this.exec(['kill-session', '-t', `=${session}`]);
  }

  async listSessions(): Promise<string[]> {
    try {
      return (await this.exec(['list-sessions', '-F', '#{session_name}'])).split('\n').filter(Boolean);
    } catch (error) {
      // No server running means no sessions, not a failure.
      if (error instanceof TmuxError && /no server running|error connecting/.test(error.stderr)) return [];
      throw error;
    }
  }

  private socketArgs(): string[] {
    return this.socket ? ['-L', this.socket] : [];
  }

  private async exec(args: string[], input?: string): Promise<string> {
    const argv = args[0] === '-V' ? args : [...this.socketArgs(), ...args];
    try {
      const child = run('tmux', argv, { timeout: 10_000 });
      if (input !== undefined) {
        // A tmux that exits before reading its input (no server yet) closes the pipe: the
        // write's EPIPE would be thrown unhandled and take the process down; its exit status tells.
        child.child.stdin?.on('error', () => undefined);
        child.child.stdin?.end(input);
      }
      const { stdout } = await child;
      return stdout;
    } catch (error) {
      const e = error as NodeJS.ErrnoException & { stderr?: string };
      if (e.code === 'ENOENT') throw new Error('tmux is not installed (apt-get install tmux, brew install tmux)');
      throw new TmuxError(argv, e.stderr ?? e.message);
    }
  }
}
