import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createParser, ParserFormat } from '@patchbay/agents';
import { GATED_AGENT } from '../test/support/patchbay-processes';

const FIXTURES = join(dirname(GATED_AGENT), 'agent-streams');
const WARMUP_MS = 300;
const MEASURE_MS = 2_000;

export interface ParseResult {
  format: ParserFormat;
  files: number;
  lines: number;
  bytes: number;
  linesPerSecond: number;
  bytesPerSecond: number;
  eventsPerSecond: number;
}

/**
 * Structured-output parsing, in process: every captured stdout of one agent CLI
 * (test/fixtures/agent-streams/<format>/*.jsonl), each file through a fresh parser from
 * `createParser` as a run would, line by line and then `end`, over and over for ~2 s.
 */
export function benchParsers(formats: ParserFormat[] = ['claude', 'codex', 'opencode']): ParseResult[] {
  return formats.map((format) => {
    const dir = join(FIXTURES, format);
    const files = readdirSync(dir)
      .filter((f) => f.endsWith('.jsonl'))
      .sort()
      .map((f) =>
        readFileSync(join(dir, f), 'utf8')
          .split('\n')
          .filter((line) => line.length > 0),
      );
    const lines = files.reduce((n, f) => n + f.length, 0);
    const bytes = files.reduce((n, f) => n + f.reduce((b, line) => b + Buffer.byteLength(line) + 1, 0), 0);
    const pass = (): number => {
      let events = 0;
      for (const file of files) {
        const parser = createParser(format, 'bench');
        for (const line of file) events += parser.line(line).length;
        events += parser.end({ exitCode: 0, durationMs: 1, stderrTail: '' }).length;
      }
      return events;
    };
    for (const start = performance.now(); performance.now() - start < WARMUP_MS;) pass();
    let passes = 0;
    let events = 0;
    const start = performance.now();
    let seconds = 0;
    for (; seconds * 1000 < MEASURE_MS; seconds = (performance.now() - start) / 1000) {
      events += pass();
      passes++;
    }
    return {
      format,
      files: files.length,
      lines,
      bytes,
      linesPerSecond: (passes * lines) / seconds,
      bytesPerSecond: (passes * bytes) / seconds,
      eventsPerSecond: events / seconds,
    };
  });
}
