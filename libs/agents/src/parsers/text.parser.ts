import { BaseParser } from './parser-kit';
import type { AgentEvent } from './stream-parser';

/**
 * Plain text output (an agent run without a JSON mode): every line is shown as it comes,
 * and the exit status decides between `final` (the output, at most its last 64 000
 * characters) and `error`.
 */
export class TextParser extends BaseParser {
  protected parseLine(line: string): AgentEvent[] {
    return [this.shown.add(`${line}\n`)];
  }
}
