import { ClaudeParser } from './claude.parser';
import { CodexParser } from './codex.parser';
import { OpencodeParser } from './opencode.parser';
import type { StreamParser } from './stream-parser';
import { TextParser } from './text.parser';

export * from './stream-parser';
export { ClaudeParser } from './claude.parser';
export { CodexParser } from './codex.parser';
export { OpencodeParser } from './opencode.parser';
export { TextParser } from './text.parser';

export type ParserFormat = 'text' | 'claude' | 'codex' | 'opencode';

const PARSERS: Record<ParserFormat, new (agentName: string) => StreamParser> = {
  text: TextParser,
  claude: ClaudeParser,
  codex: CodexParser,
  opencode: OpencodeParser,
};

/** A fresh parser for one run of `agentName`, whose stdout is in `format`. */
export function createParser(format: ParserFormat, agentName: string): StreamParser {
  const Parser = PARSERS[format];
  if (!Parser) throw new Error(`unknown stream format "${String(format)}"`);
  return new Parser(agentName);
}
