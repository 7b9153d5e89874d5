import { join } from 'node:path';
import { readFile } from 'node:fs/promises';
import { AgentEvent } from '@patchbay/agents';
import { FileTail } from '../file-tail';
import { RUN_FILES } from '../run-script';
import { ScreenLines, TerminalScreen } from '../terminal-screen';
import { PaneGrowth } from './pane-growth';
import { AgentExit, endingOf, OutputSink, RunOutput } from './run-output';

/** Pane writes this close together are one burst: their finished lines go out as one event. */
const SCREEN_BURST_MS = 4;
/** A pane that never pauses still has its finished lines sent this often. */
const SCREEN_BURST_MAX_MS = 50;
/** How long the screen must be quiet before the rest (the cursor's line, a prompt) is sent. */
const SCREEN_SETTLE_MS = 150;

export interface ScreenOutputOptions {
  /** A bridge watches someone else's tmux session: it ends when that session (or the watching) does. */
  bridged: boolean;
  agent: string;
  tmuxSession: string;
  /** The screen has settled after a change (prompt patterns look at it then). */
  onSettled: () => void;
  /** Pane output was drawn: watchers of the screen may look now. */
  onDrawn: () => void;
}

/**
 * Terminal mode and bridges: what the pane shows, piped into a file and drawn on a
 * headless terminal. Finished lines that changed (above the cursor's) go out a few ms after
 * a burst of pane writes; the rest, once the screen is quiet. Each batch is journaled with
 * the pane offset drawn so far (timers never fire while a write is being drawn).
 */
export class ScreenOutput implements RunOutput {
  private readonly screen = new TerminalScreen();
  private pane?: FileTail;
  /** Pane bytes on the screen. */
  private drawn = 0;
  private burstTimer?: NodeJS.Timeout;
  /** When the oldest change not yet looked at was drawn. */
  private burstSince?: number;
  private settleTimer?: NodeJS.Timeout;
  private readonly growth = new PaneGrowth();

  constructor(
    private readonly dir: string,
    private readonly options: ScreenOutputOptions,
    private readonly sink: OutputSink,
  ) {}

  get position(): number {
    return this.drawn;
  }

  follow(offset: number): void {
    if (this.pane) return;
    this.pane = new FileTail(join(this.dir, RUN_FILES.pane), offset);
    this.drawn = offset;
  }

  /**
   * Only the finished lines count as shown: the journal cannot tell whether the cursor's
   * line went out before the restart, so it goes out again rather than never.
   */
  async replayUpTo(offset: number): Promise<void> {
    const text = (await readFile(join(this.dir, RUN_FILES.pane)).catch(() => Buffer.alloc(0))).subarray(0, offset);
    await this.screen.write(text.toString('utf8'));
    this.screen.changes('finished');
  }

  async read(atEnd: boolean): Promise<void> {
    const data = await this.pane!.read();
    if (!data) return;
    this.sink.touched();
    clearTimeout(this.burstTimer);
    clearTimeout(this.settleTimer);
    await this.screen.write(data);
    this.drawn = this.pane!.position;
    this.growth.drawn(this.drawn);
    this.options.onDrawn();
    if (atEnd) return this.settled();
    this.burstSince ??= Date.now();
    this.burstTimer = setTimeout(() => this.burst(), Math.max(0, Math.min(SCREEN_BURST_MS, this.burstSince + SCREEN_BURST_MAX_MS - Date.now())));
    this.settleTimer = setTimeout(() => this.settled(), SCREEN_SETTLE_MS);
  }

  /** Resolves true once pane bytes past `offset` are on the screen, false if none are within `ms`. */
  grewPast(offset: number, ms: number): Promise<boolean> {
    return this.drawn > offset ? Promise.resolve(true) : this.growth.past(offset, ms);
  }

  /** The last `count` lines of the screen. */
  tail(count: number): string {
    return this.screen.tail(count);
  }

  flush(): AgentEvent[] {
    return [];
  }

  closing(exit: AgentExit): AgentEvent[] {
    const { bridged, agent, tmuxSession } = this.options;
    // Letting go of a bridged session is its normal end, whatever the reason.
    if (bridged) return [{ type: 'final', text: exit.stop?.text ?? `tmux session ${tmuxSession} ended`, durationMs: exit.durationMs, exitCode: null }];
    const closing: AgentEvent[] =
      exit.exitCode === 0
        ? [{ type: 'final', text: this.screen.tail(40), durationMs: exit.durationMs, exitCode: exit.exitCode }]
        : [{ type: 'error', code: 'agent_failed', text: `agent ${agent} exited with status ${exit.exitCode}`, exitCode: exit.exitCode }];
    return endingOf(closing, exit);
  }

  close(): void {
    clearTimeout(this.burstTimer);
    clearTimeout(this.settleTimer);
    this.growth.close();
    this.screen.dispose();
  }

  private burst(): void {
    this.burstSince = undefined;
    this.sendChanges('finished');
  }

  private settled(): void {
    clearTimeout(this.burstTimer);
    this.burstSince = undefined;
    this.sendChanges('all');
    this.options.onSettled();
  }

  private sendChanges(which: ScreenLines): void {
    const text = this.screen.changes(which);
    if (text) this.sink.send([{ type: 'text', text }], this.drawn);
  }
}
