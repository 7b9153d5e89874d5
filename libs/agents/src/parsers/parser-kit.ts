import { TERMINAL_EVENT_TYPES } from '@patchbay/contracts';
import type { AgentEvent, StreamParser } from './stream-parser';

/** The most of an agent's output a `final` event carries; the transcript has all of it as text. */
export const FINAL_TEXT_LIMIT = 64_000;
/** Longest tool input summary in a `tool_call` event. */
export const TOOL_INPUT_LIMIT = 200;
/** Longest text in a `tool_result` event. */
export const TOOL_RESULT_LIMIT = 500;
/** Longest status line (reasoning, warnings, unparsed output). */
export const STATUS_LIMIT = 200;
/** The most of the agent's stderr an `agent_failed` error quotes (as AgentRun does). */
export const STDERR_LIMIT = 2_000;

export type ExitInfo = Parameters<StreamParser['end']>[0];
export type JsonObject = Record<string, unknown>;
type Final = Extract<AgentEvent, { type: 'final' }>;

/** `text` cut to at most `max` characters, the cut marked with an ellipsis. */
export function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

export function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The string at `value[key]`, or undefined when it is missing or not a string. */
export function str(value: unknown, key: string): string | undefined {
  const field = isObject(value) ? value[key] : undefined;
  return typeof field === 'string' ? field : undefined;
}

/** The finite number at `value[key]`, or undefined. */
export function num(value: unknown, key: string): number | undefined {
  const field = isObject(value) ? value[key] : undefined;
  return typeof field === 'number' && Number.isFinite(field) ? field : undefined;
}

/** A token count or duration as the contracts want it: a non-negative integer. */
export function count(value: number): number {
  return Math.max(0, Math.round(value));
}

/** The field of a tool's input that says the most about a call, by tool name (any case). */
const KEY_FIELDS: Record<string, string[]> = {
  bash: ['command'],
  shell: ['command'],
  read: ['file_path', 'filePath'],
  write: ['file_path', 'filePath'],
  edit: ['file_path', 'filePath'],
  multiedit: ['file_path', 'filePath'],
  notebookedit: ['notebook_path'],
  grep: ['pattern'],
  glob: ['pattern'],
  webfetch: ['url'],
  websearch: ['query'],
  task: ['description'],
};

/**
 * A short summary of a tool call's input: the command, path or pattern for the tools
 * everyone knows (claude's and opencode's names), else compact JSON; at most
 * TOOL_INPUT_LIMIT characters.
 */
export function summarizeToolInput(tool: string, input: unknown): string {
  if (typeof input === 'string') return truncate(input, TOOL_INPUT_LIMIT);
  for (const key of KEY_FIELDS[tool.toLowerCase()] ?? []) {
    const value = str(input, key);
    if (value !== undefined) return truncate(value, TOOL_INPUT_LIMIT);
  }
  return truncate(JSON.stringify(input ?? {}) ?? '', TOOL_INPUT_LIMIT);
}

/** The text of a tool result: output trimmed at the end, errors marked, at most TOOL_RESULT_LIMIT. */
export function toolResultText(output: string, isError = false): string {
  const text = output.trimEnd() || '(no output)';
  return truncate(isError ? `error: ${text}` : text, TOOL_RESULT_LIMIT);
}

/** A status line, cut to STATUS_LIMIT characters. */
export function statusEvent(text: string, agentSessionId?: string): AgentEvent {
  const short = truncate(text, STATUS_LIMIT);
  return agentSessionId ? { type: 'status', text: short, agentSessionId } : { type: 'status', text: short };
}

/** The first STATUS_LIMIT characters of a line, an ellipsis marking a cut. */
function excerpt(line: string): string {
  return line.length > STATUS_LIMIT ? `${line.slice(0, STATUS_LIMIT)}…` : line;
}

/** A line that is not what the agent's format promises: shown as a status, never thrown over. */
export function unparsedEvent(line: string, what = 'unparsed output'): AgentEvent {
  return { type: 'status', text: `${what}: ${excerpt(line)}` };
}

/**
 * The `error` for an agent that exited non-zero without reporting why in its stream:
 * the same wording as AgentRun.complete() in apps/runner/src/agent-run.ts.
 */
export function exitFailure(agentName: string, exit: ExitInfo): AgentEvent {
  const { exitCode } = exit;
  const stderr = exit.stderrTail.trim().slice(-STDERR_LIMIT);
  const why = exitCode === 129 || exitCode === 143 ? 'was stopped (its tmux session was closed)' : `exited with status ${exitCode}`;
  return { type: 'error', code: 'agent_failed', text: `agent ${agentName} ${why}${stderr ? `:\n${stderr}` : ''}`, exitCode };
}

/**
 * What end() returns when the stream brought no `final` or `error` of its own: exit 0 →
 * `final` with the output so far, else the `agent_failed` error.
 */
export function endFallback(agentName: string, exit: ExitInfo, output: string, extra: Pick<Final, 'agentSessionId' | 'costUsd' | 'tokens'> = {}): AgentEvent {
  if (exit.exitCode !== 0) return exitFailure(agentName, exit);
  return { type: 'final', text: output, durationMs: count(exit.durationMs), exitCode: 0, ...extra };
}

/**
 * The text a run has shown, as `text` events carry it: keeps the last FINAL_TEXT_LIMIT
 * characters for a fallback `final`, and separates blocks (messages) with a blank line so
 * that concatenated text events read well.
 */
export class TextLog {
  private tail = '';

  /** Text that continues what was shown last (a streamed delta, a line). */
  add(text: string): AgentEvent {
    this.tail += text;
    // Strings concatenate cheaply; cut only now and then, not on every delta.
    if (this.tail.length > 2 * FINAL_TEXT_LIMIT) this.tail = this.tail.slice(-FINAL_TEXT_LIMIT);
    return { type: 'text', text };
  }

  /** Text that starts a new block: a blank line apart from earlier text. */
  block(text: string): AgentEvent {
    const separator = this.tail === '' || this.tail.endsWith('\n\n') ? '' : this.tail.endsWith('\n') ? '\n' : '\n\n';
    return this.add(separator + text);
  }

  /** The last FINAL_TEXT_LIMIT characters shown, without trailing whitespace. */
  get text(): string {
    return this.tail.slice(-FINAL_TEXT_LIMIT).trimEnd();
  }
}

/**
 * The frame every parser shares: tracks whether a `final` or `error` was emitted (after
 * which nothing more is), and on end() asks the parser for its own closing events before
 * falling back to endFallback().
 */
export abstract class BaseParser implements StreamParser {
  protected readonly shown = new TextLog();
  private ended = false;

  constructor(protected readonly agentName: string) {}

  line(line: string): AgentEvent[] {
    if (this.ended) return [];
    return this.track(this.parseLine(line));
  }

  end(exit: ExitInfo): AgentEvent[] {
    if (this.ended) return [];
    const events = this.track(this.close(exit));
    return this.ended ? events : this.track([...events, endFallback(this.agentName, exit, this.shown.text)]);
  }

  /** The events for one line of stdout. */
  protected abstract parseLine(line: string): AgentEvent[];

  /** The events the parser still owes at exit, its own `final` or `error` among them if it has one. */
  protected close(_exit: ExitInfo): AgentEvent[] {
    return [];
  }

  /** Events up to and with the first terminal one, noting that one was emitted. */
  private track(events: AgentEvent[]): AgentEvent[] {
    const terminal = events.findIndex((event) => TERMINAL_EVENT_TYPES.has(event.type));
    if (terminal === -1) return events;
    this.ended = true;
    return events.slice(0, terminal + 1);
  }
}

/**
 * A parser for agents that print one JSON object per line with a string `type`: lines that
 * are not such objects become a status, and a handler that trips over an unexpected shape
 * yields a status too, never an exception.
 */
export abstract class JsonLinesParser extends BaseParser {
  protected parseLine(line: string): AgentEvent[] {
    if (line.trim() === '') return [];
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      return [unparsedEvent(line)];
    }
    if (!isObject(value)) return [unparsedEvent(line)];
    const type = str(value, 'type');
    if (type === undefined) return [unparsedEvent(line, `unrecognized ${this.agentName} output`)];
    try {
      return this.parseEvent(type, value);
    } catch (error) {
      return [statusEvent(`could not read ${this.agentName} event ${type}: ${(error as Error).message}`)];
    }
  }

  /** The events for one JSON object whose `type` is `type`. */
  protected abstract parseEvent(type: string, event: JsonObject): AgentEvent[];

  protected unknownEvent(what: string): AgentEvent {
    return statusEvent(`unknown ${this.agentName} event: ${what}`);
  }
}
