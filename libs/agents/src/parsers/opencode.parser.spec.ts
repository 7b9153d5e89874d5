/*
 * Source for the `opencode run --format json` format (sst/opencode, now anomalyco/opencode, read
 * through the code index):
 * - packages/opencode/src/cli/cmd/run.ts @ 00f9806cfed20c911d483abb471162a726d250ab: emit() prints
 *   `{type, timestamp: Date.now(), sessionID, ...data}` per line: `tool_use` {part} once a tool part
 *   is completed or failed, `step_start` / `step_finish` {part}, `text` {part} once the text part has
 *   time.end, `reasoning` {part} (only with --thinking), `error` {error} for session.error and for a
 *   failed prompt call (exit code 1 then), and `done` {reason: "idle", rejected: [...]} at the end.
 * - packages/opencode/src/session/message-v2.ts @ 007a9409bafea06d6b9084ff1f6d1fe9f5e3a803: the parts
 *   (id, sessionID, messageID, type: text | reasoning | tool | step-start | step-finish ...; ToolPart
 *   {callID, tool, state: pending | running | completed {input, output, title, metadata, time} |
 *   error {input, error, time}}; StepFinishPart {reason, cost, tokens {input, output, reasoning,
 *   cache {read, write}}}) and the named errors ({name, data: {message, ...}}).
 * - packages/opencode/src/id/id.ts (ses_/msg_/prt_ ids) and src/tool/bash.ts (bash input/output).
 * The fixtures in test/fixtures/agent-streams/opencode/ are built from those types.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { OpencodeParser } from './opencode.parser';
import type { AgentEvent } from './stream-parser';

const fixture = (name: string): string[] =>
  readFileSync(join(__dirname, '../../../../test/fixtures/agent-streams/opencode', `${name}.jsonl`), 'utf8')
    .split('\n')
    .filter(Boolean);
const exit = (exitCode: number, stderrTail = '') => ({ exitCode, durationMs: 9100, stderrTail });
const feed = (parser: OpencodeParser, lines: string[]): AgentEvent[] => lines.flatMap((line) => parser.line(line));
const session = 'ses_5a0000000000TestSession01';
const line = (type: string, fields: Record<string, unknown>) => JSON.stringify({ type, timestamp: 1763716927342, sessionID: session, ...fields });
const part = (type: string, fields: Record<string, unknown>) => ({ id: 'prt_1', sessionID: session, messageID: 'msg_1', type, ...fields });
const stepFinish = (cost: number, input: number, output: number) =>
  line('step_finish', { part: part('step-finish', { reason: 'stop', cost, tokens: { input, output, reasoning: 0, cache: { read: 0, write: 0 } } }) });

describe('OpencodeParser on sample streams', () => {
  it('maps a run with read, edit and bash tools, then builds the final from the last message and summed steps', () => {
    const parser = new OpencodeParser('opencode');
    const sessionId = 'ses_5a1f3c2e9ffeQm4kV7bT2xLpRz';
    expect(feed(parser, fixture('edit-and-test'))).toEqual([
      { type: 'status', text: `opencode session ${sessionId}`, agentSessionId: sessionId },
      { type: 'tool_call', tool: 'read', input: '/home/dev/calc/src/sum.ts' },
      {
        type: 'tool_result',
        tool: 'read',
        text: '<file>\n00001| export function sum(a: number, b: number): number {\n00002|   return a - b;\n00003| }\n00004| \n</file>',
      },
      { type: 'tool_call', tool: 'edit', input: '/home/dev/calc/src/sum.ts' },
      { type: 'tool_result', tool: 'edit', text: 'Edit applied successfully.' },
      { type: 'tool_call', tool: 'bash', input: 'npm test -- --silent' },
      { type: 'tool_result', tool: 'bash', text: 'Tests: 5 passed, 5 total' },
      { type: 'text', text: 'Fixed `sum` in src/sum.ts: it subtracted instead of adding.\n\nAll 5 tests pass now.' },
    ]);
    const [final] = parser.end(exit(0));
    expect(final).toEqual({
      type: 'final',
      text: 'Fixed `sum` in src/sum.ts: it subtracted instead of adding.\n\nAll 5 tests pass now.',
      durationMs: 9100,
      exitCode: 0,
      tokens: { input: 11234 + 412 + 208, output: 96 + 187 + 41 },
      costUsd: expect.closeTo(0.0421875 + 0.0098712 + 0.0061203, 10),
      agentSessionId: sessionId,
    });
    expect(parser.end(exit(0))).toEqual([]);
  });

  it('shows a refused tool as an error result and the refused permissions as a status; the final is the last message', () => {
    const parser = new OpencodeParser('opencode');
    const events = feed(parser, fixture('permission-rejected'));
    expect(events.slice(1)).toEqual([
      { type: 'text', text: "I'll remove the build directory first." },
      { type: 'tool_call', tool: 'bash', input: 'rm -rf build' },
      { type: 'tool_result', tool: 'bash', text: 'error: The user rejected permission to use this specific tool call.' },
      { type: 'text', text: '\n\nI was not allowed to run `rm -rf build`, so the build directory is still there.' },
      { type: 'status', text: 'permissions refused: bash' },
    ]);
    expect(parser.end(exit(0))[0]).toMatchObject({
      type: 'final',
      text: 'I was not allowed to run `rm -rf build`, so the build directory is still there.',
      tokens: { input: 10019, output: 105 },
    });
  });

  it('ends a run whose session failed with an agent_error naming the error, not a final', () => {
    const parser = new OpencodeParser('opencode');
    expect(feed(parser, fixture('auth-error'))).toEqual([
      { type: 'status', text: 'opencode session ses_5a1e9b07cffeWq2rL8nT4vXkZs', agentSessionId: 'ses_5a1e9b07cffeWq2rL8nT4vXkZs' },
    ]);
    expect(parser.end(exit(1, 'Error: Invalid API key'))).toEqual([
      { type: 'error', code: 'agent_error', text: 'ProviderAuthError: Invalid API key. Run `opencode auth login` to set a new one.', exitCode: 1 },
    ]);
  });
});

describe('OpencodeParser on single lines', () => {
  it('announces the session once, on the first line that carries it', () => {
    const parser = new OpencodeParser('oc');
    expect(parser.line(line('step_start', { part: part('step-start', {}) }))).toEqual([{ type: 'status', text: `oc session ${session}`, agentSessionId: session }]);
    expect(parser.line(line('step_start', { part: part('step-start', {}) }))).toEqual([]);
  });

  it('joins several text parts of the last message for the final, ignoring earlier messages', () => {
    const parser = new OpencodeParser('oc');
    feed(parser, [
      line('text', { part: part('text', { messageID: 'msg_1', text: 'Plan first.' }) }),
      line('text', { part: part('text', { messageID: 'msg_2', text: 'Part one.' }) }),
      line('text', { part: part('text', { messageID: 'msg_2', text: 'Part two.' }) }),
    ]);
    expect(parser.end(exit(0))).toEqual([{ type: 'final', text: 'Part one.\n\nPart two.', durationMs: 9100, exitCode: 0, agentSessionId: session }]);
  });

  it('skips synthetic and empty text parts', () => {
    const parser = new OpencodeParser('oc');
    parser.line(line('step_start', { part: part('step-start', {}) }));
    expect(parser.line(line('text', { part: part('text', { text: 'injected', synthetic: true }) }))).toEqual([]);
    expect(parser.line(line('text', { part: part('text', { text: '' }) }))).toEqual([]);
  });

  it('shows a tool seen running before it completes once, and its result when done', () => {
    const parser = new OpencodeParser('oc');
    parser.line(line('step_start', { part: part('step-start', {}) }));
    const tool = (state: Record<string, unknown>) =>
      line('tool_use', { part: part('tool', { callID: 'call_1', tool: 'grep', state: { input: { pattern: 'TODO', path: 'src' }, ...state } }) });
    expect(parser.line(tool({ status: 'running', time: { start: 1 } }))).toEqual([{ type: 'tool_call', tool: 'grep', input: 'TODO' }]);
    expect(parser.line(tool({ status: 'completed', output: 'x'.repeat(900), title: 'TODO', metadata: {}, time: { start: 1, end: 2 } }))).toEqual([
      { type: 'tool_result', tool: 'grep', text: `${'x'.repeat(499)}…` },
    ]);
  });

  it('shows reasoning as a short status', () => {
    const parser = new OpencodeParser('oc');
    parser.line(line('step_start', { part: part('step-start', {}) }));
    const reasoning = `Think\n\n${'a'.repeat(300)}`;
    expect(parser.line(line('reasoning', { part: part('reasoning', { text: reasoning, time: { start: 1, end: 2 } }) }))).toEqual([
      { type: 'status', text: `reasoning: Think ${'a'.repeat(199 - 'reasoning: Think '.length)}…` },
    ]);
  });

  it('joins several session errors, and reads errors without data or name', () => {
    const parser = new OpencodeParser('oc');
    feed(parser, [
      line('error', { error: { name: 'APIError', data: { message: 'Overloaded', statusCode: 529, isRetryable: true } } }),
      line('error', { error: { name: 'UnknownError', data: { message: 'socket hang up' } } }),
      line('error', { error: { name: 'MessageOutputLengthError', data: {} } }),
    ]);
    expect(parser.end(exit(1))).toEqual([{ type: 'error', code: 'agent_error', text: 'APIError: Overloaded\nsocket hang up\nMessageOutputLengthError', exitCode: 1 }]);
  });

  it('leaves tokens and cost out of a final when no step finished', () => {
    const parser = new OpencodeParser('oc');
    parser.line(line('text', { part: part('text', { text: 'Hi.' }) }));
    expect(parser.end(exit(0))).toEqual([{ type: 'final', text: 'Hi.', durationMs: 9100, exitCode: 0, agentSessionId: session }]);
  });

  it('sums tokens and cost over steps', () => {
    const parser = new OpencodeParser('oc');
    feed(parser, [stepFinish(0.5, 100, 10), stepFinish(0.25, 50, 5)]);
    expect(parser.end(exit(0))[0]).toMatchObject({ tokens: { input: 150, output: 15 }, costUsd: 0.75 });
  });

  it('turns unknown types into a status and garbage into "unparsed output"', () => {
    const parser = new OpencodeParser('oc');
    parser.line(line('step_start', { part: part('step-start', {}) }));
    expect(parser.line(line('snapshot', { part: part('snapshot', { snapshot: 'abc' }) }))).toEqual([{ type: 'status', text: 'unknown oc event: snapshot' }]);
    expect(parser.line('\u001b[31mError\u001b[0m: Session not found')).toEqual([{ type: 'status', text: 'unparsed output: \u001b[31mError\u001b[0m: Session not found' }]);
  });

  it('without errors: a non-zero exit is agent_failed with the stderr tail', () => {
    const parser = new OpencodeParser('opencode');
    feed(parser, fixture('edit-and-test').slice(0, 3));
    expect(parser.end(exit(137, 'Killed'))).toEqual([{ type: 'error', code: 'agent_failed', text: 'agent opencode exited with status 137:\nKilled', exitCode: 137 }]);
  });
});
