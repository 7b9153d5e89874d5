import { Logger } from '@nestjs/common';
import { Clock, SystemClock } from '@patchbay/config';
import { ScreenV1 } from '@patchbay/contracts';
import { NoLiveTerminalError } from './live-screens';

/**
 * How often a watched session's runner is asked for its screen when it says nothing: it
 * hints each pane change (`changes`), and the screen is asked at once then.
 */
export const SCREEN_POLL_MS = 250;

export interface ScreenSource {
  /** Throws NoLiveTerminalError once nobody holds the session or its run ended. */
  screen(sessionId: string): Promise<ScreenV1>;
  /** Calls `changed` whenever the session's pane changes; the function returned stops that. */
  changes(sessionId: string, changed: () => void): () => void;
}

export interface ScreenWatcher {
  screen(screen: ScreenV1): void;
  /** The session has no live terminal any more; nothing follows. */
  end(reason: string): void;
}

/** Whether two screens look the same to a viewer (their time aside). */
export function sameScreen(a: ScreenV1, b: ScreenV1): boolean {
  return (
    a.cols === b.cols &&
    a.rows === b.rows &&
    a.cursor.x === b.cursor.x &&
    a.cursor.y === b.cursor.y &&
    a.lines.length === b.lines.length &&
    a.lines.every((line, i) => line === b.lines[i])
  );
}

/**
 * One poll per watched session, shared by all its watchers: the runner is asked every
 * SCREEN_POLL_MS however many dashboards look, and only while at least one does. Watchers
 * get a screen when it changed (a new watcher the latest at once), and `end` when the
 * session no longer has a live terminal.
 */
export class ScreenPollers {
  private readonly polls = new Map<string, SessionPoll>();

  constructor(
    private readonly source: ScreenSource,
    private readonly clock: Clock = new SystemClock(),
    private readonly everyMs = SCREEN_POLL_MS,
  ) {}

  /** Starts watching; the function returned stops (the last watcher out stops the poll). */
  watch(sessionId: string, watcher: ScreenWatcher): () => void {
    let poll = this.polls.get(sessionId);
    if (!poll) {
      const started = new SessionPoll(sessionId, this.source, this.clock, this.everyMs, () => {
        if (this.polls.get(sessionId) === started) this.polls.delete(sessionId);
      });
      this.polls.set(sessionId, started);
      poll = started;
    }
    poll.add(watcher);
    const watched = poll;
    return () => watched.remove(watcher);
  }

  /** The sessions polled now. */
  get polled(): string[] {
    return [...this.polls.keys()];
  }
}

class SessionPoll {
  private readonly logger = new Logger(ScreenPollers.name);
  private readonly watchers = new Set<ScreenWatcher>();
  private readonly stop = new AbortController();
  private last?: ScreenV1;
  /** Ends the current pause early: the pane changed. */
  private wake?: () => void;
  /** A change was hinted while the screen was being asked: ask again at once. */
  private hinted = false;
  private readonly unhint: () => void;

  constructor(
    private readonly sessionId: string,
    private readonly source: ScreenSource,
    private readonly clock: Clock,
    private readonly everyMs: number,
    private readonly onStop: () => void,
  ) {
    this.unhint = source.changes(sessionId, () => {
      this.hinted = true;
      this.wake?.();
    });
    void this.run();
  }

  add(watcher: ScreenWatcher): void {
    this.watchers.add(watcher);
    if (this.last) watcher.screen(this.last);
  }

  remove(watcher: ScreenWatcher): void {
    this.watchers.delete(watcher);
    if (this.watchers.size === 0) this.halt();
  }

  private halt(): void {
    if (this.stop.signal.aborted) return;
    this.stop.abort();
    this.unhint();
    this.onStop();
  }

  private async run(): Promise<void> {
    const { signal } = this.stop;
    while (!signal.aborted) {
      this.hinted = false;
      try {
        const screen = await this.source.screen(this.sessionId);
        if (signal.aborted) return;
        if (!this.last || !sameScreen(this.last, screen)) {
          this.last = screen;
          for (const watcher of [...this.watchers]) watcher.screen(screen);
        }
      } catch (error) {
        if (signal.aborted) return;
        if (error instanceof NoLiveTerminalError) {
          this.halt();
          for (const watcher of [...this.watchers]) watcher.end(error.message);
          return;
        }
        // A slow or restarting runner: asked again at the next tick.
        this.logger.warn(`session ${this.sessionId}: screen: ${(error as Error).message}`);
      }
      if (!this.hinted) await this.pauseUnlessHinted(signal);
    }
  }

  private async pauseUnlessHinted(signal: AbortSignal): Promise<void> {
    const early = new AbortController();
    this.wake = () => early.abort();
    const stopped = () => early.abort();
    signal.addEventListener('abort', stopped, { once: true });
    try {
      await this.clock.sleep(this.everyMs, early.signal);
    } finally {
      signal.removeEventListener('abort', stopped);
      this.wake = undefined;
    }
  }
}
