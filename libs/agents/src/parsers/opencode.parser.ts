import { count, endFallback, ExitInfo, isObject, JsonLinesParser, JsonObject, num, statusEvent, str, summarizeToolInput, toolResultText } from './parser-kit';
import type { AgentEvent } from './stream-parser';

/**
 * `opencode run --format json`: one event per line, `{type, timestamp, sessionID, ...}`
 * with `part` (a message part of the session) or `error`. See the spec for the source.
 *
 * opencode prints text parts whole, once they are finished, and tool parts once they
 * completed or failed. It reports no overall result: end() builds the `final` from the
 * last message's text and the tokens and cost summed over step_finish parts, or the
 * `error` from the session errors seen (opencode keeps streaming after one, and exits 1).
 */
export class OpencodeParser extends JsonLinesParser {
  private sessionId?: string;
  /** Tool calls (callID) already shown. */
  private readonly called = new Set<string>();
  /** The text parts of the assistant message that last had text. */
  private lastMessage?: { id: string; texts: string[] };
  private steps = 0;
  private tokens = { input: 0, output: 0 };
  private cost = 0;
  private readonly errors: string[] = [];

  protected parseEvent(type: string, event: JsonObject): AgentEvent[] {
    const events: AgentEvent[] = [];
    const sessionId = str(event, 'sessionID');
    if (sessionId && !this.sessionId) {
      this.sessionId = sessionId;
      events.push(statusEvent(`${this.agentName} session ${sessionId}`, sessionId));
    }
    const part = isObject(event.part) ? event.part : {};
    switch (type) {
      case 'step_start':
        break;
      case 'text':
        events.push(...this.text(part));
        break;
      case 'reasoning': {
        const text = str(part, 'text')?.replace(/\s+/g, ' ').trim();
        if (text) events.push(statusEvent(`reasoning: ${text}`));
        break;
      }
      case 'tool_use':
        events.push(...this.tool(part));
        break;
      case 'step_finish':
        this.steps++;
        this.tokens.input += num(part.tokens, 'input') ?? 0;
        this.tokens.output += num(part.tokens, 'output') ?? 0;
        this.cost += num(part, 'cost') ?? 0;
        break;
      case 'error': {
        // Shown once, as the run's error, at end().
        this.errors.push(errorMessage(event.error));
        break;
      }
      case 'done': {
        const rejected = Array.isArray(event.rejected) ? event.rejected.filter((r) => typeof r === 'string') : [];
        if (rejected.length > 0) events.push(statusEvent(`permissions refused: ${rejected.join(', ')}`));
        break;
      }
      default:
        events.push(this.unknownEvent(type));
    }
    return events;
  }

  private text(part: JsonObject): AgentEvent[] {
    const text = str(part, 'text');
    if (!text || part.synthetic === true || part.ignored === true) return [];
    const messageId = str(part, 'messageID') ?? '';
    if (this.lastMessage?.id === messageId) this.lastMessage.texts.push(text);
    else this.lastMessage = { id: messageId, texts: [text] };
    return [this.shown.block(text)];
  }

  /** A tool part: its call once, its result when it completed or failed. */
  private tool(part: JsonObject): AgentEvent[] {
    const tool = str(part, 'tool') ?? 'unknown';
    const state = isObject(part.state) ? part.state : {};
    const status = str(state, 'status');
    const callId = str(part, 'callID') ?? str(part, 'id') ?? '';
    const events: AgentEvent[] = [];
    if (!this.called.has(callId)) {
      this.called.add(callId);
      events.push({ type: 'tool_call', tool, input: summarizeToolInput(tool, state.input) });
    }
    if (status === 'completed') events.push({ type: 'tool_result', tool, text: toolResultText(str(state, 'output') ?? '') });
    if (status === 'error') events.push({ type: 'tool_result', tool, text: toolResultText(str(state, 'error') ?? 'failed', true) });
    return events;
  }

  protected override close(exit: ExitInfo): AgentEvent[] {
    if (this.errors.length > 0) return [{ type: 'error', code: 'agent_error', text: this.errors.join('\n'), exitCode: exit.exitCode }];
    const tokens = { input: count(this.tokens.input), output: count(this.tokens.output) };
    const usage = this.steps > 0 ? { tokens, costUsd: Math.max(0, this.cost) } : {};
    const text = this.lastMessage ? this.lastMessage.texts.join('\n\n').trim() : this.shown.text;
    return [endFallback(this.agentName, exit, text, { ...usage, ...(this.sessionId && { agentSessionId: this.sessionId }) })];
  }
}

/** opencode's errors are named errors, `{name, data: {message, ...}}`; keep the message. */
function errorMessage(error: unknown): string {
  const message = str(isObject(error) ? error.data : undefined, 'message') ?? str(error, 'message');
  const name = str(error, 'name');
  if (message) return name && name !== 'UnknownError' ? `${name}: ${message}` : message;
  return name ?? JSON.stringify(error ?? 'unknown error');
}
