import { join } from 'node:path';
import { readFile } from 'node:fs/promises';
import { AgentEvent } from '@patchbay/agents';
import { FileTail } from '../file-tail';
import { RUN_FILES } from '../run-script';
import { TerminalScreen } from '../terminal-screen';
import { AgentExit, endingOf, OutputSink, RunOutput } from './run-output';

/** How long the screen must be quiet before its changes are sent. */
const SCREEN_SETTLE_MS = 150;

export interface ScreenOutputOptions {
  /** A bridge watches someone else's tmux session: it ends when that session (or the watching) does. */
  bridged: boolean;
  agent: string;
  tmuxSession: string;
  /** The screen has settled after a change (prompt patterns look at it then). */
  onSettled: () => void;
}

/**
 * Terminal mode and bridges: what the pane shows, piped into a file and drawn on a
 * headless terminal; the lines that changed go out once the screen is quiet.
 */
export class ScreenOutput implements RunOutput {
  private readonly screen = new TerminalScreen();
  private pane?: FileTail;
  private settleTimer?: NodeJS.Timeout;

  constructor(
    private readonly dir: string,
    private readonly options: ScreenOutputOptions,
    private readonly sink: OutputSink,
  ) {}

  get position(): number {
    return this.pane?.position ?? 0;
  }

  follow(offset: number): void {
    this.pane ??= new FileTail(join(this.dir, RUN_FILES.pane), offset);
  }

  async replayUpTo(offset: number): Promise<void> {
    const text = (await readFile(join(this.dir, RUN_FILES.pane)).catch(() => Buffer.alloc(0))).subarray(0, offset);
    await this.screen.write(text.toString('utf8'));
    this.screen.changes();
  }

  async read(atEnd: boolean): Promise<void> {
    const data = await this.pane!.read();
    if (!data) return;
    this.sink.touched();
    await this.screen.write(data);
    clearTimeout(this.settleTimer);
    if (atEnd) this.settled();
    else this.settleTimer = setTimeout(() => this.settled(), SCREEN_SETTLE_MS);
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
    clearTimeout(this.settleTimer);
    this.screen.dispose();
  }

  private settled(): void {
    const text = this.screen.changes();
    if (text) this.sink.send([{ type: 'text', text }], this.position);
    this.options.onSettled();
  }
}
