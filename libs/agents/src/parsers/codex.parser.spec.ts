/*
 * Source for the `codex exec --json` format (openai/codex, read through the code index):
 * - codex-rs/exec/src/exec_events.rs @ 08a1f30ca23f51922d1a4a4965b5ab999b64bead: ThreadEvent
 *   (`type`: thread.started, turn.started, turn.completed {usage}, turn.failed {error}, item.started,
 *   item.updated, item.completed {item}, item.plan.delta, request_user_input, error {message}) and
 *   ThreadItem (`id` plus the flattened details tagged by `type`: agent_message, plan, reasoning,
 *   command_execution, file_change, mcp_tool_call, collab_tool_call, web_search, todo_list, error).
 * - codex-rs/exec/src/event_processor_with_jsonl_output.rs @ 029bf4d55c5d33e77bdbdfaec25d06836ae9e213:
 *   what is printed when (one JSON object per line; agent_message and reasoning only as
 *   item.completed, empty reasoning skipped; command items started then completed; todo_list
 *   started/updated, completed at turn end; `error` for every error notification, transient ones
 *   too; turn.completed with the thread's token totals, or turn.failed).
 * - codex-rs/app-server-protocol ErrorNotification: `will_retry` "If true, this will not interrupt
 *   a turn" -- why a top-level `error` is only a status here.
 * The fixtures in test/fixtures/agent-streams/codex/ are built from those types. WebSearchItem has
 * an `id` of its own besides the item's, so serde prints `id` twice in that item (the last wins
 * in JSON.parse); the fixture keeps that quirk.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CodexParser } from './codex.parser';
import type { AgentEvent } from './stream-parser';

const fixture = (name: string): string[] =>
  readFileSync(join(__dirname, '../../../../test/fixtures/agent-streams/codex', `${name}.jsonl`), 'utf8')
    .split('\n')
    .filter(Boolean);
const exit = (exitCode: number, stderrTail = '') => ({ exitCode, durationMs: 7300, stderrTail });
const feed = (parser: CodexParser, lines: string[]): AgentEvent[] => lines.flatMap((line) => parser.line(line));
const json = (value: unknown): string => JSON.stringify(value);
const item = (phase: 'started' | 'updated' | 'completed', fields: Record<string, unknown>) => json({ type: `item.${phase}`, item: fields });

describe('CodexParser on sample streams', () => {
  it('maps a fixing run: thread status, reasoning, shell and patch tools, the answer, then final at end()', () => {
    const parser = new CodexParser('codex');
    const thread = '0199a213-81c0-7800-8aa1-bbab2a035a53';
    const answer = 'Fixed `sum` in src/sum.ts: it subtracted instead of adding. All 5 tests pass now.';
    expect(feed(parser, fixture('fix-failing-test'))).toEqual([
      { type: 'status', text: `codex thread ${thread} started`, agentSessionId: thread },
      { type: 'status', text: "reasoning: **Locating the failing test** I'll run the test suite first to see which assertion fails." },
      { type: 'tool_call', tool: 'shell', input: "bash -lc 'npm test -- --silent'" },
      {
        type: 'tool_result',
        tool: 'shell',
        text: 'error: exit code 1\nFAIL src/sum.spec.ts\n  ● sum › adds two numbers\n\n    expect(received).toBe(expected)\n\n    Expected: 3\n    Received: -1\n\nTests: 1 failed, 4 passed, 5 total',
      },
      { type: 'status', text: 'reasoning: **Fixing the operator** The sum function subtracts instead of adding; a one-character patch fixes it.' },
      { type: 'tool_call', tool: 'apply_patch', input: 'update /home/dev/calc/src/sum.ts' },
      { type: 'tool_result', tool: 'apply_patch', text: 'applied' },
      { type: 'tool_call', tool: 'shell', input: "bash -lc 'npm test -- --silent'" },
      { type: 'tool_result', tool: 'shell', text: 'exit code 0\nTests: 5 passed, 5 total' },
      { type: 'text', text: answer },
    ]);
    expect(parser.end(exit(0))).toEqual([{ type: 'final', text: answer, durationMs: 7300, exitCode: 0, tokens: { input: 24763, output: 1121 }, agentSessionId: thread }]);
    expect(parser.end(exit(0))).toEqual([]);
  });

  it('shows web search, MCP calls, plan progress and warnings', () => {
    const parser = new CodexParser('codex');
    const events = feed(parser, fixture('search-and-mcp'));
    expect(events.slice(1)).toEqual([
      { type: 'status', text: 'warning: `[features].web_search_request` is deprecated. Use `web_search` instead.' },
      { type: 'status', text: 'plan: 0/2 done, next: Find the latest release notes' },
      { type: 'tool_call', tool: 'web_search', input: 'openai codex cli latest release notes' },
      { type: 'status', text: 'plan: 1/2 done, next: Summarize the breaking changes' },
      { type: 'tool_call', tool: 'docs.fetch_page', input: '{"url":"https://github.com/openai/codex/releases"}' },
      {
        type: 'tool_result',
        tool: 'docs.fetch_page',
        text: 'Release notes: `codex exec --json` now emits thread events; the old event stream was removed.',
      },
      {
        type: 'text',
        text: 'The one breaking change: `codex exec --json` now prints thread events (thread.started, turn.*, item.*) instead of the old event stream.',
      },
    ]);
    expect(parser.end(exit(0))[0]).toMatchObject({ type: 'final', tokens: { input: 9120, output: 388 } });
  });

  it('shows stream errors as statuses and ends a failed turn with its error and the exit code', () => {
    const parser = new CodexParser('codex');
    const events = feed(parser, fixture('turn-failed'));
    expect(events.slice(1)).toEqual([
      {
        type: 'status',
        text: 'error: Reconnecting... 1/5 (stream disconnected before completion: error sending request for url (https://api.openai.com/v1/responses))',
      },
      { type: 'status', text: 'error: unexpected status 401 Unauthorized: Missing bearer or basic authentication in header' },
    ]);
    expect(parser.end(exit(1, 'ERROR: unexpected status 401'))).toEqual([
      { type: 'error', code: 'agent_error', text: 'unexpected status 401 Unauthorized: Missing bearer or basic authentication in header', exitCode: 1 },
    ]);
  });
});

describe('CodexParser on single lines', () => {
  it('shows an agent message once, at item.completed, and messages a blank line apart', () => {
    const parser = new CodexParser('codex');
    expect(parser.line(item('started', { id: 'item_0', type: 'agent_message', text: '' }))).toEqual([]);
    expect(parser.line(item('completed', { id: 'item_0', type: 'agent_message', text: 'First.' }))).toEqual([{ type: 'text', text: 'First.' }]);
    expect(parser.line(item('completed', { id: 'item_1', type: 'agent_message', text: 'Second.' }))).toEqual([{ type: 'text', text: '\n\nSecond.' }]);
  });

  it('uses the last agent message as the final text, and the usage of the last turn.completed', () => {
    const parser = new CodexParser('codex');
    feed(parser, [
      item('completed', { id: 'item_0', type: 'agent_message', text: 'Looking.' }),
      item('completed', { id: 'item_1', type: 'agent_message', text: 'The answer.' }),
      json({ type: 'turn.completed', usage: { input_tokens: 10, cached_input_tokens: 0, output_tokens: 2 } }),
    ]);
    expect(parser.end(exit(0))).toEqual([{ type: 'final', text: 'The answer.', durationMs: 7300, exitCode: 0, tokens: { input: 10, output: 2 } }]);
  });

  it('falls back to the plan text when a completed turn has no agent message', () => {
    const parser = new CodexParser('codex');
    feed(parser, [item('completed', { id: 'item_0', type: 'plan', text: '1. Read\n2. Fix' }), json({ type: 'turn.completed', usage: {} })]);
    expect(parser.end(exit(0))).toEqual([{ type: 'final', text: '1. Read\n2. Fix', durationMs: 7300, exitCode: 0 }]);
  });

  it('keeps the final of a completed turn even when codex then exits non-zero', () => {
    const parser = new CodexParser('codex');
    feed(parser, [item('completed', { id: 'item_0', type: 'agent_message', text: 'Done.' }), json({ type: 'turn.completed', usage: {} })]);
    expect(parser.end(exit(1, 'warning: something'))).toEqual([{ type: 'final', text: 'Done.', durationMs: 7300, exitCode: 1 }]);
  });

  it('names a command result by exit code, cuts long output, and marks declined commands', () => {
    const parser = new CodexParser('codex');
    const long = `${'o'.repeat(600)}`;
    expect(parser.line(item('completed', { id: 'item_3', type: 'command_execution', command: 'cat big.log', aggregated_output: long, exit_code: 0, status: 'completed' }))).toEqual(
      [
        { type: 'tool_call', tool: 'shell', input: 'cat big.log' },
        { type: 'tool_result', tool: 'shell', text: `exit code 0\n${'o'.repeat(487)}…` },
      ],
    );
    expect(parser.line(item('completed', { id: 'item_4', type: 'command_execution', command: 'rm -rf /', aggregated_output: '', exit_code: null, status: 'declined' }))).toEqual([
      { type: 'tool_call', tool: 'shell', input: 'rm -rf /' },
      { type: 'tool_result', tool: 'shell', text: 'error: command declined' },
    ]);
  });

  it('shows a file change started before it completes once, and a failed patch as an error', () => {
    const parser = new CodexParser('codex');
    const changes = [
      { path: 'src/a.ts', kind: 'update' },
      { path: 'src/b.ts', kind: 'add' },
    ];
    expect(parser.line(item('started', { id: 'item_5', type: 'file_change', changes, status: 'in_progress' }))).toEqual([
      { type: 'tool_call', tool: 'apply_patch', input: 'update src/a.ts, add src/b.ts' },
    ]);
    expect(parser.line(item('updated', { id: 'item_5', type: 'file_change', changes, status: 'in_progress' }))).toEqual([]);
    expect(parser.line(item('completed', { id: 'item_5', type: 'file_change', changes, status: 'failed' }))).toEqual([
      { type: 'tool_result', tool: 'apply_patch', text: 'error: patch not applied' },
    ]);
  });

  it('reports a failed MCP call with its error message', () => {
    const parser = new CodexParser('codex');
    expect(
      parser.line(
        item('completed', {
          id: 'item_6',
          type: 'mcp_tool_call',
          server: 'db',
          tool: 'query',
          arguments: { sql: 'select 1' },
          result: null,
          error: { message: 'connection refused' },
          status: 'failed',
        }),
      ),
    ).toEqual([
      { type: 'tool_call', tool: 'db.query', input: '{"sql":"select 1"}' },
      { type: 'tool_result', tool: 'db.query', text: 'error: connection refused' },
    ]);
  });

  it('shows codex asking for input, and unknown events and item types as a status', () => {
    const parser = new CodexParser('codex');
    expect(
      parser.line(json({ type: 'request_user_input', id: 'turn_1', call_id: 'call_1', questions: [{ id: 'q1', header: 'Scope', question: 'Touch the tests too?' }] })),
    ).toEqual([{ type: 'status', text: 'codex asks for input: Touch the tests too?' }]);
    expect(parser.line(json({ type: 'thread.archived' }))).toEqual([{ type: 'status', text: 'unknown codex event: thread.archived' }]);
    expect(parser.line(item('completed', { id: 'item_7', type: 'collab_tool_call', tool: 'spawn_agent' }))).toEqual([
      { type: 'status', text: 'unknown codex event: item collab_tool_call' },
    ]);
    expect(parser.line(json({ type: 'item.completed' }))).toEqual([{ type: 'status', text: 'unknown codex event: item.completed without an item' }]);
    expect(parser.line(json({ type: 'turn.started' }))).toEqual([]);
    expect(parser.line(json({ type: 'item.plan.delta', item_id: 'item_8', delta: '1. ' }))).toEqual([]);
  });

  it('turns non-JSON lines into an "unparsed output" status', () => {
    const parser = new CodexParser('codex');
    expect(parser.line('Reading prompt from stdin...')).toEqual([{ type: 'status', text: 'unparsed output: Reading prompt from stdin...' }]);
  });

  it('without a completed turn: exit 0 ends with a final of what was shown, keeping the thread id', () => {
    const parser = new CodexParser('codex');
    feed(parser, [json({ type: 'thread.started', thread_id: 't-1' }), item('completed', { id: 'item_0', type: 'agent_message', text: 'Half way.' })]);
    expect(parser.end(exit(0))).toEqual([{ type: 'final', text: 'Half way.', durationMs: 7300, exitCode: 0, agentSessionId: 't-1' }]);
  });

  it('without a completed turn: a non-zero exit is agent_failed with the stderr tail, 143 a stop', () => {
    const crashed = new CodexParser('codex');
    crashed.line(json({ type: 'thread.started', thread_id: 't-2' }));
    expect(crashed.end(exit(101, "thread 'main' panicked"))).toEqual([
      { type: 'error', code: 'agent_failed', text: "agent codex exited with status 101:\nthread 'main' panicked", exitCode: 101 },
    ]);
    expect(new CodexParser('codex-mini').end(exit(143))).toEqual([
      { type: 'error', code: 'agent_failed', text: 'agent codex-mini was stopped (its tmux session was closed)', exitCode: 143 },
    ]);
  });
});
