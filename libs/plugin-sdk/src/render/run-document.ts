import type { OutputEventV1 } from '@patchbay/contracts';

/** Longest tool input a tool line shows. */
export const TOOL_LINE_INPUT_MAX = 120;
/** What a run that ended with an empty answer (and showed no text) shows. */
export const NO_OUTPUT = '(no output)';

type Event<T extends OutputEventV1['type']> = Extract<OutputEventV1, { type: T }>;

/** A tool call as a chat shows it: `▸ Bash: ls -la`, the input on one line and cut short. */
export function toolLine(event: Pick<Event<'tool_call'>, 'tool' | 'input'>): string {
  const input = event.input.replace(/\s+/g, ' ').trim();
  const shown = input.length > TOOL_LINE_INPUT_MAX ? `${input.slice(0, TOOL_LINE_INPUT_MAX - 1)}…` : input;
  return shown ? `▸ ${event.tool}: ${shown}` : `▸ ${event.tool}`;
}

/**
 * A status a chat shows: that the run waits in line or started, or what became of its
 * branch (pushed, or the push failed); null for the rest.
 */
export function statusLine(event: Pick<Event<'status'>, 'state' | 'text'>): string | null {
  if (event.state === 'waiting') return `⏳ ${event.text.trim() || 'waiting in line'}`;
  if (event.state === 'started') return `▶ ${event.text.trim() || 'started'}`;
  if (event.state === 'pushed') return `⇡ ${event.text.trim() || 'pushed the branch'}`;
  if (event.state === 'push_failed') return `⚠ ${event.text.trim() || 'could not push the branch'}`;
  return null;
}

/**
 * Statuses about what a run left behind, sent just before its final answer: a chat shows
 * them after the answer (RunDocument.addClosingLine), where they neither split the
 * answer from the text that streamed it nor hide it.
 */
export function isClosingStatus(event: Pick<Event<'status'>, 'state'>): boolean {
  return event.state === 'pushed' || event.state === 'push_failed';
}

/** An error as a chat shows it. */
export function errorLine(event: Pick<Event<'error'>, 'code' | 'text'>): string {
  const text = event.text.trim();
  return text ? `⚠ Error (${event.code}): ${text}` : `⚠ Error (${event.code})`;
}

/**
 * The text a run shows in a chat, built as its events come: the agent's text as it
 * streams (deltas joined), and status, tool and error lines each on a line of its own.
 */
export class RunDocument {
  /** Everything shown so far. */
  text = '';
  /** The agent's text only (all text events joined). */
  private streamed = '';
  /** Where the text after the last line (status, tool) starts; null when a line came last. */
  private segmentStart: number | null = null;
  /** Lines shown once the run ended, after everything else (`closed`). */
  private readonly closing: string[] = [];

  addText(delta: string): void {
    if (!delta) return;
    this.segmentStart ??= this.text.length;
    this.text += delta;
    this.streamed += delta;
  }

  addLine(line: string): void {
    this.text += `${this.separator()}${line}\n`;
    this.segmentStart = null;
  }

  /** A line for the end of the run (isClosingStatus); `closed` puts it there. */
  addClosingLine(line: string): void {
    this.closing.push(line);
  }

  /** `ending` (the run's last document or answer) followed by the closing lines. */
  closed(ending: string): string {
    if (this.closing.length === 0) return ending;
    const separator = ending === '' || ending.endsWith('\n') ? '' : '\n';
    return `${ending}${separator}${this.closing.join('\n')}\n`;
  }

  /**
   * The document once the run ended with `answer` (final.text), and where the answer
   * starts in it. The streamed text stands when it already shows the answer (all of it
   * equal, or the last stretch ending with it); otherwise the answer wins: it replaces the
   * text streamed since the last tool line (or follows the last line). An empty answer
   * never erases text; with no text at all it shows NO_OUTPUT.
   */
  withFinal(answer: string): { text: string; answerStart: number } {
    const segment = this.segmentStart === null ? '' : this.text.slice(this.segmentStart);
    if (!answer.trim()) {
      return this.streamed.trim() ? { text: this.text, answerStart: this.text.length } : this.withBlock(NO_OUTPUT);
    }
    if (this.streamed.trimEnd() === answer.trimEnd() || (segment && segment.trimEnd().endsWith(answer.trimEnd()))) {
      return { text: this.text, answerStart: this.text.length };
    }
    if (this.segmentStart !== null) return { text: this.text.slice(0, this.segmentStart) + answer, answerStart: this.segmentStart };
    return this.withBlock(answer);
  }

  /** The document with `line` added at the end (an error). */
  withLine(line: string): string {
    return `${this.text}${this.separator()}${line}\n`;
  }

  private withBlock(block: string): { text: string; answerStart: number } {
    const start = this.text.length + this.separator().length;
    return { text: `${this.text}${this.separator()}${block}`, answerStart: start };
  }

  private separator(): string {
    return this.text === '' || this.text.endsWith('\n') ? '' : '\n';
  }
}
