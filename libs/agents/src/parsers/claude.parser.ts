import { count, isObject, JsonLinesParser, JsonObject, num, statusEvent, str, summarizeToolInput, toolResultText } from './parser-kit';
import type { AgentEvent } from './stream-parser';

/** `result` subtypes that have an error code of their own; other failures are `agent_error`. */
const RESULT_ERROR_CODES: Record<string, string> = {
  error_max_turns: 'max_turns',
  error_max_budget_usd: 'max_budget',
};

/**
 * `claude -p --output-format stream-json --verbose [--include-partial-messages]`: one JSON
 * message per line (system init, raw API stream events, whole assistant/user messages, and
 * a closing `result`). See the spec for the sources of the format.
 *
 * Text is shown from `text_delta` stream events when there are any, and from the text blocks
 * of `assistant` messages only for messages that streamed no delta, so it is never doubled.
 */
export class ClaudeParser extends JsonLinesParser {
  /** tool_use id → tool name, to name the tool in its result. */
  private readonly toolNames = new Map<string, string>();
  /** Ids of API messages whose text arrived as deltas. */
  private readonly streamed = new Set<string>();
  /** The API message being streamed (from its message_start). */
  private streaming?: string;
  /** The content block the last delta belonged to, to tell a new block from more of the same. */
  private lastBlock?: string;

  protected parseEvent(type: string, event: JsonObject): AgentEvent[] {
    switch (type) {
      case 'system':
        return this.system(event);
      case 'stream_event':
        return this.streamEvent(event);
      case 'assistant':
        return this.assistant(event);
      case 'user':
        return this.user(event);
      case 'result':
        return [this.result(event)];
      default:
        return [this.unknownEvent(type)];
    }
  }

  private system(event: JsonObject): AgentEvent[] {
    const subtype = str(event, 'subtype') ?? '(none)';
    switch (subtype) {
      case 'init':
        return [statusEvent(`${this.agentName} started, model ${str(event, 'model') ?? 'unknown'}`, str(event, 'session_id'))];
      case 'status': {
        // "requesting" precedes every API request: noise, not news.
        const status = str(event, 'status');
        return status && status !== 'requesting' ? [statusEvent(`${this.agentName}: ${status}`)] : [];
      }
      case 'compact_boundary':
        return [statusEvent(`${this.agentName} compacted its conversation`)];
      case 'permission_denied':
        // The tool_result that follows carries the reason.
        return [statusEvent(`${this.agentName} was denied ${str(event, 'tool_name') ?? 'a tool'}`)];
      default:
        return [this.unknownEvent(`system ${subtype}`)];
    }
  }

  /** Raw Anthropic streaming events: only text deltas are shown, the rest arrives whole later. */
  private streamEvent(line: JsonObject): AgentEvent[] {
    const event = line.event;
    const kind = str(event, 'type');
    if (kind === 'message_start') {
      this.streaming = str(isObject(event) ? event.message : undefined, 'id') ?? str(line, 'api_message_id');
      return [];
    }
    if (kind !== 'content_block_delta' || !isObject(event)) return [];
    const delta = event.delta;
    const text = str(delta, 'type') === 'text_delta' ? str(delta, 'text') : undefined;
    if (!text) return [];
    const message = str(line, 'api_message_id') ?? this.streaming ?? '';
    this.streamed.add(message);
    const block = `${message}:${String(event.index)}`;
    const isNewBlock = block !== this.lastBlock;
    this.lastBlock = block;
    return [isNewBlock ? this.shown.block(text) : this.shown.add(text)];
  }

  private assistant(line: JsonObject): AgentEvent[] {
    const message = isObject(line.message) ? line.message : {};
    const streamed = this.streamed.has(str(message, 'id') ?? '');
    const events: AgentEvent[] = [];
    for (const block of Array.isArray(message.content) ? message.content : []) {
      const kind = str(block, 'type');
      if (kind === 'tool_use') {
        const tool = str(block, 'name') ?? 'unknown';
        const id = str(block, 'id');
        if (id) this.toolNames.set(id, tool);
        events.push({ type: 'tool_call', tool, input: summarizeToolInput(tool, (block as JsonObject).input) });
      } else if (kind === 'text' && !streamed) {
        const text = str(block, 'text');
        if (text) events.push(this.shown.block(text));
      }
    }
    return events;
  }

  private user(line: JsonObject): AgentEvent[] {
    const content = isObject(line.message) ? line.message.content : undefined;
    if (!Array.isArray(content)) return [];
    return content
      .filter((block) => str(block, 'type') === 'tool_result')
      .map((block: JsonObject) => ({
        type: 'tool_result' as const,
        tool: this.toolNames.get(str(block, 'tool_use_id') ?? '') ?? 'unknown',
        text: toolResultText(resultContent(block.content), block.is_error === true),
      }));
  }

  private result(event: JsonObject): AgentEvent {
    const subtype = str(event, 'subtype') ?? '';
    if (subtype !== 'success' || event.is_error === true) {
      const errors = Array.isArray(event.errors) ? event.errors.filter((e): e is string => typeof e === 'string') : [];
      const text = errors.join('\n') || str(event, 'result') || `${this.agentName} stopped: ${subtype || 'error'}`;
      const status = num(event, 'api_error_status');
      return {
        type: 'error',
        code: RESULT_ERROR_CODES[subtype] ?? 'agent_error',
        text: status === undefined ? text : `API error ${status}: ${text}`,
        // The result line comes before the process exits: its status is not known yet.
        exitCode: null,
      };
    }
    const usage = event.usage;
    const input = num(usage, 'input_tokens');
    const output = num(usage, 'output_tokens');
    const cost = num(event, 'total_cost_usd');
    const sessionId = str(event, 'session_id');
    return {
      type: 'final',
      text: str(event, 'result') ?? this.shown.text,
      durationMs: count(num(event, 'duration_ms') ?? 0),
      exitCode: null,
      ...(cost !== undefined && { costUsd: Math.max(0, cost) }),
      ...(input !== undefined && output !== undefined && { tokens: { input: count(input), output: count(output) } }),
      ...(sessionId && { agentSessionId: sessionId }),
    };
  }
}

/** A tool_result's content: a string, or blocks of which the text ones are kept. */
function resultContent(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return content.map((block) => (str(block, 'type') === 'text' ? (str(block, 'text') ?? '') : `[${str(block, 'type') ?? 'content'}]`)).join('\n');
}
