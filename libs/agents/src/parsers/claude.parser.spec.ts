/*
 * Sources for the claude stream-json format:
 * - Real output: test/fixtures/agent-streams/claude/*.jsonl, captured from Claude Code 2.1.329 (see the README there).
 * - Message types and order (system init, assistant, user tool results, result):
 *   https://code.claude.com/docs/en/agent-sdk/agent-loop.md
 * - Partial messages (`stream_event` wrapping raw API events, text in content_block_delta/text_delta):
 *   https://code.claude.com/docs/en/agent-sdk/streaming-output (seen as its /ja/ and /de/ .md translations)
 * - Raw Anthropic streaming events (message_start, content_block_*, message_delta, message_stop):
 *   https://app.unpkg.com/@anthropic-ai/sdk@0.33.1/files/resources/messages/messages.d.ts (RawMessageStreamEvent)
 * - result subtypes (success, error_max_turns, error_during_execution, error_max_budget_usd) and fields
 *   (duration_ms, total_cost_usd, usage, session_id, errors): the captures, and
 *   https://tessl.io/registry/tessl/npm-anthropic-ai--claude-agent-sdk/0.1.0/files/docs/types.md
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ClaudeParser } from './claude.parser';
import type { AgentEvent } from './stream-parser';

const fixture = (name: string): string[] =>
  readFileSync(join(__dirname, '..', '..', '..', '..', 'test', 'fixtures', 'agent-streams', 'claude', `${name}.jsonl`), 'utf8')
    .split('\n')
    .filter(Boolean);
const exit = (exitCode: number, stderrTail = '') => ({ exitCode, durationMs: 5000, stderrTail });
const feed = (parser: ClaudeParser, lines: string[]): AgentEvent[] => lines.flatMap((line) => parser.line(line));
const textOf = (events: AgentEvent[]): string => events.map((event) => (event.type === 'text' ? event.text : '')).join('');
const json = (value: unknown): string => JSON.stringify(value);

describe('ClaudeParser on real claude output', () => {
  it('turns a streamed run into status, text deltas, tool call and result, and the final', () => {
    const parser = new ClaudeParser('claude');
    const events = feed(parser, fixture('bash-partial'));
    const session = '6f8c95fc-ac96-4869-bdf8-37fb1edc6d91';
    expect(events).toEqual([
      { type: 'status', text: 'claude started, model claude-opus-5-5', agentSessionId: session },
      { type: 'text', text: 'Let me check.' },
      { type: 'tool_call', tool: 'Bash', input: 'echo hello' },
      { type: 'tool_result', tool: 'Bash', text: 'hello' },
      { type: 'text', text: '\n\nHello' },
      { type: 'text', text: ' from the' },
      { type: 'text', text: ' fake API.' },
      {
        type: 'final',
        text: 'Hello from the fake API.',
        durationMs: 190,
        exitCode: null,
        costUsd: 0.0018,
        tokens: { input: 240, output: 42 },
        agentSessionId: session,
      },
    ]);
    expect(parser.end(exit(0))).toEqual([]);
  });

  it('shows text from whole assistant messages when nothing was streamed, the same text as with deltas', () => {
    const streamed = feed(new ClaudeParser('claude'), fixture('bash-partial'));
    const whole = feed(new ClaudeParser('claude'), fixture('bash-no-partial'));
    expect(whole.filter((e) => e.type === 'text')).toEqual([
      { type: 'text', text: 'Let me check.' },
      { type: 'text', text: '\n\nHello from the fake API.' },
    ]);
    expect(textOf(whole)).toBe('Let me check.\n\nHello from the fake API.');
    expect(textOf(streamed)).toBe(textOf(whole));
    expect(whole.map((e) => e.type)).toEqual(['status', 'text', 'tool_call', 'tool_result', 'text', 'final']);
  });

  it('never doubles streamed text: the assistant message repeating the deltas adds nothing', () => {
    const lines = fixture('bash-partial');
    const parser = new ClaudeParser('claude');
    const upToDeltas = lines.findIndex((line) => line.includes('"text":" fake API."'));
    feed(parser, lines.slice(0, upToDeltas + 1));
    const repeat = lines.slice(upToDeltas + 1).find((line) => line.startsWith('{"type":"assistant"'))!;
    expect(repeat).toContain('Hello from the fake API.');
    expect(parser.line(repeat)).toEqual([]);
  });

  it('names the tool of a Read call by its path and of its result by the tool_use id', () => {
    const events = feed(new ClaudeParser('claude'), fixture('read-file'));
    expect(events.filter((e) => e.type === 'tool_call' || e.type === 'tool_result')).toEqual([
      { type: 'tool_call', tool: 'Read', input: '/tmp/fakeapi/work/notes.txt' },
      { type: 'tool_result', tool: 'Read', text: '1\tline one\n2\tline two\n3' },
    ]);
  });

  it('marks a refused tool call: a status, then its result prefixed with "error: "', () => {
    const events = feed(new ClaudeParser('claude'), fixture('denied-tool'));
    const from = events.findIndex((e) => e.type === 'tool_call');
    expect(events.slice(from, from + 3)).toEqual([
      { type: 'tool_call', tool: 'Bash', input: 'rm -rf build' },
      { type: 'status', text: 'claude was denied Bash' },
      {
        type: 'tool_result',
        tool: 'Bash',
        text: "error: rm in '/tmp/fakeapi/work/build' needs approval. The path is inside the working directories for this session ('/tmp/fakeapi/work'), and Claude Code asks before a shell command creates, changes or removes files there.",
      },
    ]);
  });

  it('ends a max-turns run with a max_turns error from the result errors, and end() adds nothing', () => {
    const parser = new ClaudeParser('claude');
    const events = feed(parser, fixture('max-turns'));
    expect(events.at(-1)).toEqual({ type: 'error', code: 'max_turns', text: 'Reached maximum number of turns (1)', exitCode: null });
    expect(events.filter((e) => e.type === 'final' || e.type === 'error')).toHaveLength(1);
    expect(parser.end(exit(1, 'Error: max turns'))).toEqual([]);
  });

  it('treats a result with is_error as an error even when its subtype is success', () => {
    const parser = new ClaudeParser('claude');
    const events = feed(parser, fixture('api-error'));
    const message =
      'Prompt is too long · this conversation is a single exchange and cannot be compacted — the request size comes mostly from system prompt, tool definitions, or attachments.';
    expect(events.slice(1)).toEqual([
      { type: 'text', text: message },
      { type: 'error', code: 'agent_error', text: `API error 400: ${message}`, exitCode: null },
    ]);
  });
});

describe('ClaudeParser on single lines', () => {
  const session = 'a1b2c3d4-0000-4000-8000-000000000001';
  const assistant = (id: string, content: unknown[]) =>
    json({ type: 'assistant', message: { id, type: 'message', role: 'assistant', content }, parent_tool_use_id: null, session_id: session });
  const user = (content: unknown) => json({ type: 'user', message: { role: 'user', content }, session_id: session });
  const delta = (message: string, index: number, text: string) =>
    json({ type: 'stream_event', event: { type: 'content_block_delta', index, delta: { type: 'text_delta', text } }, api_message_id: message });
  const result = (fields: Record<string, unknown>) => json({ type: 'result', subtype: 'success', is_error: false, duration_ms: 1500, session_id: session, ...fields });

  it('summarizes tool inputs: Grep by pattern, Write by path, unknown tools as capped JSON', () => {
    const parser = new ClaudeParser('claude');
    const long = 'z'.repeat(300);
    expect(
      parser.line(
        assistant('msg_1', [
          { type: 'tool_use', id: 'toolu_a', name: 'Grep', input: { pattern: 'TODO', path: 'src' } },
          { type: 'tool_use', id: 'toolu_b', name: 'Write', input: { file_path: '/src/new.ts', content: long } },
          { type: 'tool_use', id: 'toolu_c', name: 'mcp__db__query', input: { sql: long } },
        ]),
      ),
    ).toEqual([
      { type: 'tool_call', tool: 'Grep', input: 'TODO' },
      { type: 'tool_call', tool: 'Write', input: '/src/new.ts' },
      { type: 'tool_call', tool: 'mcp__db__query', input: `{"sql":"${'z'.repeat(191)}…` },
    ]);
  });

  it('reads tool results given as text blocks, cuts them to 500 characters, and names unknown ids "unknown"', () => {
    const parser = new ClaudeParser('claude');
    parser.line(assistant('msg_1', [{ type: 'tool_use', id: 'toolu_t', name: 'Task', input: { description: 'Find callers' } }]));
    expect(
      parser.line(
        user([
          { type: 'tool_result', tool_use_id: 'toolu_t', content: [{ type: 'text', text: 'found 2' }, { type: 'image' }] },
          { type: 'tool_result', tool_use_id: 'toolu_x', content: 'q'.repeat(800) },
        ]),
      ),
    ).toEqual([
      { type: 'tool_result', tool: 'Task', text: 'found 2\n[image]' },
      { type: 'tool_result', tool: 'unknown', text: `${'q'.repeat(499)}…` },
    ]);
  });

  it('ignores user messages without tool results, and stream events other than text deltas', () => {
    const parser = new ClaudeParser('claude');
    expect(parser.line(user('the prompt'))).toEqual([]);
    expect(parser.line(user([{ type: 'text', text: 'more prompt' }]))).toEqual([]);
    for (const event of [
      { type: 'message_start', message: { id: 'msg_9' } },
      { type: 'content_block_start', index: 0, content_block: { type: 'tool_use', id: 'toolu_9', name: 'Bash', input: {} } },
      { type: 'content_block_delta', index: 0, delta: { type: 'input_json_delta', partial_json: '{"command":' } },
      { type: 'content_block_delta', index: 1, delta: { type: 'thinking_delta', thinking: 'hmm' } },
      { type: 'content_block_stop', index: 0 },
      { type: 'message_delta', delta: { stop_reason: 'tool_use' }, usage: { output_tokens: 5 } },
      { type: 'message_stop' },
    ]) {
      expect(parser.line(json({ type: 'stream_event', event }))).toEqual([]);
    }
  });

  it('merges deltas of one block, and sets a second block of the same message apart', () => {
    const parser = new ClaudeParser('claude');
    expect([delta('msg_1', 0, 'One'), delta('msg_1', 0, ' two.'), delta('msg_1', 2, 'Three.')].flatMap((l) => parser.line(l))).toEqual([
      { type: 'text', text: 'One' },
      { type: 'text', text: ' two.' },
      { type: 'text', text: '\n\nThree.' },
    ]);
  });

  it('takes the streamed message id from message_start when lines carry no api_message_id', () => {
    const parser = new ClaudeParser('claude');
    parser.line(json({ type: 'stream_event', event: { type: 'message_start', message: { id: 'msg_7' } } }));
    expect(parser.line(json({ type: 'stream_event', event: { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'Hi' } } }))).toEqual([
      { type: 'text', text: 'Hi' },
    ]);
    expect(parser.line(assistant('msg_7', [{ type: 'text', text: 'Hi' }]))).toEqual([]);
    expect(parser.line(assistant('msg_8', [{ type: 'text', text: 'Unstreamed' }]))).toEqual([{ type: 'text', text: '\n\nUnstreamed' }]);
  });

  it('leaves out cost and tokens a result does not have, and keeps the result text as is', () => {
    expect(new ClaudeParser('claude').line(result({ result: '  done  ' }))).toEqual([
      { type: 'final', text: '  done  ', durationMs: 1500, exitCode: null, agentSessionId: session },
    ]);
  });

  it('maps the error subtypes to codes and falls back to the subtype when there is no message', () => {
    const line = (fields: Record<string, unknown>) => new ClaudeParser('claude').line(result({ is_error: true, ...fields }));
    expect(line({ subtype: 'error_during_execution', errors: ['tool crashed', 'again'] })).toEqual([
      { type: 'error', code: 'agent_error', text: 'tool crashed\nagain', exitCode: null },
    ]);
    expect(line({ subtype: 'error_max_budget_usd' })).toEqual([{ type: 'error', code: 'max_budget', text: 'claude stopped: error_max_budget_usd', exitCode: null }]);
  });

  it('turns unknown types and system subtypes into a status, and skips the "requesting" status', () => {
    const parser = new ClaudeParser('claude');
    expect(parser.line(json({ type: 'rate_limit_event', rate_limit_info: {} }))).toEqual([{ type: 'status', text: 'unknown claude event: rate_limit_event' }]);
    expect(parser.line(json({ type: 'system', subtype: 'hook_started', hook_name: 'x' }))).toEqual([{ type: 'status', text: 'unknown claude event: system hook_started' }]);
    expect(parser.line(json({ type: 'system', subtype: 'status', status: 'requesting' }))).toEqual([]);
    expect(parser.line(json({ type: 'system', subtype: 'status', status: 'compacting' }))).toEqual([{ type: 'status', text: 'claude: compacting' }]);
    expect(parser.line(json({ type: 'system', subtype: 'compact_boundary', compact_metadata: { trigger: 'auto' } }))).toEqual([
      { type: 'status', text: 'claude compacted its conversation' },
    ]);
  });

  it('turns lines that are not JSON objects into an "unparsed output" status quoting their first 200 characters', () => {
    const parser = new ClaudeParser('claude');
    expect(parser.line('Error: something broke')).toEqual([{ type: 'status', text: 'unparsed output: Error: something broke' }]);
    expect(parser.line('[1,2]')).toEqual([{ type: 'status', text: 'unparsed output: [1,2]' }]);
    expect(parser.line('{"type":')).toEqual([{ type: 'status', text: 'unparsed output: {"type":' }]);
    expect(parser.line(`x${'y'.repeat(400)}`)).toEqual([{ type: 'status', text: `unparsed output: x${'y'.repeat(199)}…` }]);
    expect(parser.line('   ')).toEqual([]);
  });

  it('survives odd shapes: a JSON object without type, an assistant line without a message', () => {
    const parser = new ClaudeParser('claude');
    expect(parser.line('{"hello":1}')).toEqual([{ type: 'status', text: 'unrecognized claude output: {"hello":1}' }]);
    expect(parser.line('{"type":"assistant"}')).toEqual([]);
    expect(parser.line('{"type":"user","message":{"content":[null,{"type":"tool_result"}]}}')).toEqual([{ type: 'tool_result', tool: 'unknown', text: '(no output)' }]);
  });

  it('without a result: exit 0 ends with a final of the text so far, other exits with agent_failed', () => {
    const ok = new ClaudeParser('claude');
    feed(ok, [delta('msg_1', 0, 'Partial '), delta('msg_1', 0, 'answer')]);
    expect(ok.end(exit(0))).toEqual([{ type: 'final', text: 'Partial answer', durationMs: 5000, exitCode: 0 }]);
    expect(ok.end(exit(0))).toEqual([]);

    const failed = new ClaudeParser('claude-fast');
    feed(failed, fixture('bash-partial').slice(0, 10));
    expect(failed.end(exit(1, 'API Error: 529 overloaded'))).toEqual([
      { type: 'error', code: 'agent_failed', text: 'agent claude-fast exited with status 1:\nAPI Error: 529 overloaded', exitCode: 1 },
    ]);
  });

  it('emits nothing after the result', () => {
    const parser = new ClaudeParser('claude');
    parser.line(result({ result: 'done' }));
    expect(parser.line(delta('msg_2', 0, 'late'))).toEqual([]);
    expect(parser.line('garbage')).toEqual([]);
  });
});
