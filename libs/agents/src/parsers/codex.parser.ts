import {
  count,
  endFallback,
  ExitInfo,
  isObject,
  JsonLinesParser,
  JsonObject,
  num,
  statusEvent,
  str,
  summarizeToolInput,
  TOOL_INPUT_LIMIT,
  toolResultText,
  truncate,
} from './parser-kit';
import type { AgentEvent } from './stream-parser';

/** Codex's own names for its tools: the shell, and apply_patch for file changes. */
const SHELL = 'shell';
const APPLY_PATCH = 'apply_patch';

/**
 * `codex exec --json`: one "thread event" per line (thread.started, turn.*, item.* and
 * error). See the spec for the source of the format.
 *
 * The `final` (or `error`) is emitted by end(), not at turn.completed / turn.failed: the
 * stream carries no duration, and `final` needs one, and the exit code is known by then.
 * A top-level `error` event is only shown as a status: codex also reports transient
 * errors it retries that way, and a failing turn ends with turn.failed anyway.
 */
export class CodexParser extends JsonLinesParser {
  private threadId?: string;
  /** Items whose tool_call was shown (at item.started), so item.completed does not repeat it. */
  private readonly called = new Set<string>();
  private lastMessage?: string;
  private lastPlan?: string;
  private turn?: { failed: false; usage: unknown } | { failed: true; message: string };

  protected parseEvent(type: string, event: JsonObject): AgentEvent[] {
    switch (type) {
      case 'thread.started':
        this.threadId = str(event, 'thread_id');
        return [statusEvent(`${this.agentName} thread ${this.threadId ?? '?'} started`, this.threadId)];
      case 'turn.started':
      case 'item.plan.delta': // the whole plan comes with item.completed
        return [];
      case 'turn.completed':
        this.turn = { failed: false, usage: event.usage };
        return [];
      case 'turn.failed':
        this.turn = { failed: true, message: str(event.error, 'message') ?? 'turn failed' };
        return [];
      case 'error':
        return [statusEvent(`error: ${str(event, 'message') ?? 'unknown error'}`)];
      case 'request_user_input':
        return [statusEvent(`${this.agentName} asks for input: ${questions(event.questions)}`)];
      case 'item.started':
      case 'item.updated':
      case 'item.completed':
        return isObject(event.item) ? this.item(type, event.item) : [this.unknownEvent(`${type} without an item`)];
      default:
        return [this.unknownEvent(type)];
    }
  }

  private item(phase: string, item: JsonObject): AgentEvent[] {
    const kind = str(item, 'type') ?? '(none)';
    const id = str(item, 'id') ?? '';
    const completed = phase === 'item.completed';
    switch (kind) {
      case 'agent_message':
      case 'plan': {
        // Not streamed: the text is shown once, whole, when the item completes.
        const text = str(item, 'text');
        if (!completed || !text) return [];
        if (kind === 'plan') this.lastPlan = text;
        else this.lastMessage = text;
        return [this.shown.block(text)];
      }
      case 'reasoning': {
        const text = str(item, 'text')?.replace(/\s+/g, ' ').trim();
        return completed && text ? [statusEvent(`reasoning: ${text}`)] : [];
      }
      case 'command_execution':
        return this.tool(id, completed, SHELL, str(item, 'command') ?? '', () => commandResult(item));
      case 'file_change':
        return this.tool(id, completed, APPLY_PATCH, fileChanges(item.changes), () =>
          str(item, 'status') === 'failed' ? toolResultText('patch not applied', true) : toolResultText('applied'),
        );
      case 'mcp_tool_call': {
        const tool = `${str(item, 'server') ?? 'mcp'}.${str(item, 'tool') ?? '?'}`;
        return this.tool(id, completed, tool, summarizeToolInput(tool, item.arguments), () => mcpResult(item));
      }
      case 'web_search': {
        // Codex reports the query (settled once the search is done), no results: a tool_call alone.
        const query = truncate(str(item, 'query') ?? '', TOOL_INPUT_LIMIT);
        return completed ? [{ type: 'tool_call', tool: 'web_search', input: query }] : [];
      }
      case 'todo_list':
        return completed ? [] : [statusEvent(`plan: ${todoSummary(item.items)}`)];
      case 'error':
        // Non-fatal by codex's definition (config warnings, model reroutes...).
        return [statusEvent(`warning: ${str(item, 'message') ?? 'unknown'}`)];
      default:
        return completed ? [this.unknownEvent(`item ${kind}`)] : [];
    }
  }

  /**
   * A tool item: its tool_call the first time it is seen (item.started, or item.completed
   * for items codex only reports done), its tool_result when it completes.
   */
  private tool(id: string, completed: boolean, tool: string, input: string, result: () => string): AgentEvent[] {
    const events: AgentEvent[] = [];
    if (!this.called.has(id)) {
      this.called.add(id);
      events.push({ type: 'tool_call', tool, input: truncate(input, TOOL_INPUT_LIMIT) });
    }
    if (completed) events.push({ type: 'tool_result', tool, text: result() });
    return events;
  }

  protected override close(exit: ExitInfo): AgentEvent[] {
    if (this.turn?.failed) return [{ type: 'error', code: 'agent_error', text: this.turn.message, exitCode: exit.exitCode }];
    if (!this.turn) {
      const fallback = endFallback(this.agentName, exit, this.shown.text, this.threadId ? { agentSessionId: this.threadId } : {});
      return [fallback];
    }
    // The turn completed: that is the answer, even should codex exit non-zero afterwards.
    const input = num(this.turn.usage, 'input_tokens');
    const output = num(this.turn.usage, 'output_tokens');
    return [
      {
        type: 'final',
        text: this.lastMessage ?? this.lastPlan ?? this.shown.text,
        durationMs: count(exit.durationMs),
        exitCode: exit.exitCode,
        ...(input !== undefined && output !== undefined && { tokens: { input: count(input), output: count(output) } }),
        ...(this.threadId && { agentSessionId: this.threadId }),
      },
    ];
  }
}

function commandResult(item: JsonObject): string {
  const status = str(item, 'status');
  const exitCode = num(item, 'exit_code');
  if (status === 'declined') return toolResultText('command declined', true);
  const output = (str(item, 'aggregated_output') ?? '').trim();
  const head = exitCode === undefined ? (status ?? 'done') : `exit code ${exitCode}`;
  return toolResultText(output ? `${head}\n${output}` : head, status === 'failed' || (exitCode ?? 0) !== 0);
}

/** "update src/a.ts, add src/b.ts" */
function fileChanges(changes: unknown): string {
  if (!Array.isArray(changes) || changes.length === 0) return '(no files)';
  return changes.map((change) => `${str(change, 'kind') ?? 'change'} ${str(change, 'path') ?? '?'}`).join(', ');
}

function mcpResult(item: JsonObject): string {
  const error = str(item.error, 'message');
  if (error !== undefined || str(item, 'status') === 'failed') return toolResultText(error ?? 'failed', true);
  const content = isObject(item.result) && Array.isArray(item.result.content) ? item.result.content : [];
  const text = content.map((block) => str(block, 'text') ?? `[${str(block, 'type') ?? 'content'}]`).join('\n');
  return toolResultText(text);
}

/** "1/3 done, next: Run the tests" */
function todoSummary(items: unknown): string {
  const list = Array.isArray(items) ? items : [];
  const done = list.filter((item) => isObject(item) && item.completed === true).length;
  const next = list.find((item) => isObject(item) && item.completed !== true);
  const nextText = str(next, 'text');
  return `${done}/${list.length} done${nextText ? `, next: ${nextText}` : ''}`;
}

function questions(list: unknown): string {
  const texts = (Array.isArray(list) ? list : []).map((q) => str(q, 'question')).filter((q): q is string => !!q);
  return texts.join(' / ') || '(no question text)';
}
