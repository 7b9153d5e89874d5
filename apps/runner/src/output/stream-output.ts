import { join } from 'node:path';
import { readFile } from 'node:fs/promises';
import { AgentEvent, createParser, StreamParser } from '@patchbay/agents';
import { LineTail, TailLine } from '../file-tail';
import { RUN_FILES } from '../run-script';
import { HeldFinal } from '../run-journal';
import { AgentExit, endingOf, OutputSink, RunOutput } from './run-output';

/** Text deltas are merged for this long before they go out as one event. */
const TEXT_COALESCE_MS = 100;
const TEXT_COALESCE_MAX = 4_000;

/**
 * Structured and text mode: the agent's stdout, line by line, through its parser. Text
 * deltas are coalesced; a final answer is held back when the run pushes its branch after
 * (the pushed status goes first).
 */
export class StreamOutput implements RunOutput {
  private readonly parser: StreamParser;
  private lines?: LineTail;
  private pendingText = '';
  private textTimer?: NodeJS.Timeout;

  constructor(
    private readonly dir: string,
    format: Parameters<typeof createParser>[0],
    agent: string,
    private readonly holdsFinal: boolean,
    private readonly sink: OutputSink,
  ) {
    this.parser = createParser(format, agent);
  }

  get position(): number {
    return this.lines?.position ?? 0;
  }

  follow(offset: number): void {
    this.lines ??= new LineTail(join(this.dir, RUN_FILES.stdout), offset);
  }

  async replayUpTo(offset: number): Promise<void> {
    const all = await readFile(join(this.dir, RUN_FILES.stdout)).catch(() => Buffer.alloc(0));
    for (const line of all.subarray(0, offset).toString('utf8').split('\n').slice(0, -1)) this.parser.line(line);
  }

  async read(atEnd: boolean): Promise<void> {
    const lines: TailLine[] = atEnd ? await this.lines!.rest() : await this.lines!.read();
    if (lines.length === 0) return;
    this.sink.touched();
    const batch: AgentEvent[] = [];
    let held: HeldFinal | undefined;
    for (const { line } of lines) {
      for (const event of this.parser.line(line)) {
        if (event.type === 'text') {
          this.pendingText += event.text;
        } else if (event.type === 'final' && this.holdsFinal) {
          batch.push(...this.takePendingText());
          held = event;
        } else {
          batch.push(...this.takePendingText(), event);
        }
      }
    }
    const offset = lines[lines.length - 1].end;
    if (held) {
      // Journaled with the output it came from: a restarted runner holds it again.
      this.sink.send([...batch, ...this.takePendingText()], offset, held);
    } else if (batch.length > 0 || this.pendingText.length >= TEXT_COALESCE_MAX) {
      this.sink.send([...batch, ...this.takePendingText(true)], offset);
    }
    if (this.pendingText && !this.textTimer) {
      this.textTimer = setTimeout(() => {
        this.textTimer = undefined;
        this.sink.send(this.takePendingText(true), this.position);
      }, TEXT_COALESCE_MS);
    }
  }

  flush(): AgentEvent[] {
    return this.takePendingText();
  }

  closing(exit: AgentExit): AgentEvent[] {
    return endingOf(this.parser.end(exit), exit);
  }

  close(): void {
    clearTimeout(this.textTimer);
  }

  /**
   * The coalesced text deltas as one event. With `wholeWords`, only up to the last
   * whitespace: an unfinished word waits for the deltas that finish it (or the next event,
   * or the end), so a token is never split across two events, each redacted on its own.
   */
  private takePendingText(wholeWords = false): AgentEvent[] {
    clearTimeout(this.textTimer);
    this.textTimer = undefined;
    const cut = wholeWords && this.pendingText.length < TEXT_COALESCE_MAX ? afterLastWhitespace(this.pendingText) : this.pendingText.length;
    const text = this.pendingText.slice(0, cut);
    this.pendingText = this.pendingText.slice(cut);
    return text ? [{ type: 'text', text }] : [];
  }
}

function afterLastWhitespace(text: string): number {
  const match = /\s(?=\S*$)/.exec(text);
  return match ? match.index + 1 : 0;
}
