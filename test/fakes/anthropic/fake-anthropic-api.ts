import { IncomingHttpHeaders, IncomingMessage, Server, ServerResponse } from 'node:http';
import { closeServer, listenOnLoopback, readBody } from '../http';

/**
 * A strict local fake of the Anthropic Messages API, good enough for the real `claude` CLI
 * (2.1.x) to run against it with `ANTHROPIC_BASE_URL=<baseUrl>` (see claude-env.ts).
 *
 * Endpoints
 *   POST /v1/messages               streaming (SSE) or plain JSON, as the real API
 *   POST /v1/messages/count_tokens  `{ input_tokens }` (the CLI was not seen calling it)
 *   HEAD /api/hello                 the CLI's connection warm-up, only sent when
 *                                   CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC is unset
 *   anything else                   404 not_found_error (recorded as rejected)
 * The CLI sends `?beta=true` on every Messages call; query strings are accepted and recorded.
 *
 * Strictness, like the real API: `x-api-key` must equal the configured key (401
 * authentication_error), `anthropic-version` must be present (400), the body must be JSON
 * with `model` (a configured model, else 404 not_found_error as the real API answers an
 * unknown model), `max_tokens` and `messages` (400 invalid_request_error naming the field).
 * Every request is recorded; everything the fake refused, or could not answer from the
 * script, is `kind: 'rejected'` and listed by `unexpected()`, so a test can assert none happened.
 *
 * Main conversation vs side calls (observed with claude 2.1.329, see claude-cli.int-spec.ts):
 *   - Every request of the agent loop (first turn, each turn after a tool ran, a resumed
 *     session) carries the agent's `tools` (Bash, Read, Edit, …), and its last user/assistant
 *     message is the `user` turn holding the user's prompt (text) or `tool_result` blocks
 *     (on the first turn a `role: "system"` message with the environment follows the prompt).
 *     Those take the next scripted reply.
 *   - Side calls carry no `tools`. The only one seen is title generation, made in interactive
 *     mode only (never with `-p`) and only without CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC,
 *     on the main model, streamed, before the first main request: one user message `<session>\n<prompt>\n</session>…`, a system
 *     prompt "You are naming a coding session…" and `output_config.format` = JSON schema
 *     `{title}`. Side calls never consume the script; they get a short generic text, or,
 *     when they ask for JSON-schema output, an object with every required string property
 *     filled in. They are recorded as `kind: 'side'` (`sideRequests()`).
 *   With `-p` and CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC=1 the CLI makes no side calls and
 *   no HEAD /api/hello: only main-conversation POST /v1/messages?beta=true, all `stream: true`.
 */

export const FAKE_API_KEY = 'sk-ant-api03-fake-test-key-0000000000';
/**
 * The model the fake serves by default: a name claude 2.1.329 knows and does not warn
 * about (an unknown name prints "[claude-code:unrecognized_model]" to stderr).
 */
export const FAKE_MODEL = 'claude-sonnet-5-5';

/** One tool call the fake model makes. `id` defaults to a deterministic `toolu_fake_…`. */
export interface FakeToolUse {
  name: string;
  input: Record<string, unknown>;
  id?: string;
}

/** One scripted answer to a main-conversation request. */
export type FakeReply =
  /** A plain text turn; stop_reason `end_turn`. */
  | { text: string }
  /** Tool call(s), optionally preceded by text; stop_reason `tool_use`. */
  | { toolUse: FakeToolUse | FakeToolUse[]; text?: string }
  /**
   * A text turn written from the tool result the request carries, as a model reads what
   * its tool gave (or why it did not run). A request without exactly one tool_result is refused.
   */
  | { answerToolResult: (result: ToolResultBlock) => string }
  /** 429 rate_limit_error with a `retry-after` header (seconds); the CLI retries. */
  | { rateLimited: { retryAfterSeconds: number; message?: string } }
  /** Any other API error, e.g. 529 overloaded_error or 500 api_error. */
  | { error: { status: number; type: string; message: string; retryAfterSeconds?: number } };

/** What the fake answered with: an answerToolResult reply is served as the text it wrote. */
export type ServedReply = Exclude<FakeReply, { answerToolResult: unknown }>;

export type RecordedKind = 'main' | 'side' | 'count_tokens' | 'preconnect' | 'rejected';

export interface RecordedRequest {
  seq: number;
  receivedAt: number;
  method: string;
  /** Path without the query string, e.g. `/v1/messages`. */
  path: string;
  /** The query string without `?`, e.g. `beta=true`. */
  query: string;
  headers: IncomingHttpHeaders;
  /** The parsed JSON body; the raw text when it was not JSON; undefined when empty. */
  body: unknown;
  kind: RecordedKind;
  /** The status the fake answered with. */
  status: number;
  /** The scripted reply served (main requests). */
  reply?: ServedReply;
  /** Why the fake refused the request (kind `rejected`). */
  error?: string;
}

export interface ToolResultBlock {
  type: 'tool_result';
  tool_use_id: string;
  content?: unknown;
  is_error?: boolean;
}

export interface FakeAnthropicApiOptions {
  /** The only key accepted in `x-api-key`. Default FAKE_API_KEY. */
  apiKey?: string;
  /** Models that exist; any other gets 404 not_found_error. Default [FAKE_MODEL]. */
  models?: string[];
  /** Initial script; more with `enqueue`. */
  script?: FakeReply[];
  /** Text for side calls (title generation etc.). */
  sideReplyText?: string;
  /** Characters per text_delta / input_json_delta event, so clients see real chunking. */
  chunkSize?: number;
}

type ContentBlock = { type: 'text'; text: string } | { type: 'tool_use'; id: string; name: string; input: Record<string, unknown> };

class Rejection extends Error {
  constructor(
    readonly status: number,
    readonly type: string,
    message: string,
  ) {
    super(message);
  }
}

const MESSAGE_ROLES = new Set(['user', 'assistant', 'system']);

export class FakeAnthropicApi {
  readonly apiKey: string;
  readonly models: string[];
  private readonly script: FakeReply[];
  private readonly sideReplyText: string;
  private readonly chunkSize: number;
  private readonly recorded: RecordedRequest[] = [];
  private server?: Server;
  private url?: string;

  constructor(options: FakeAnthropicApiOptions = {}) {
    this.apiKey = options.apiKey ?? FAKE_API_KEY;
    this.models = options.models ?? [FAKE_MODEL];
    this.script = [...(options.script ?? [])];
    this.sideReplyText = options.sideReplyText ?? 'OK';
    this.chunkSize = Math.max(1, options.chunkSize ?? 6);
  }

  /** Listens on 127.0.0.1 on a free port; resolves with the base URL (no trailing slash). */
  async start(): Promise<string> {
    if (this.url) return this.url;
    const { server, url } = await listenOnLoopback((req, res) => void this.handle(req, res));
    this.server = server;
    this.url = url;
    return this.url;
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    this.url = undefined;
    await closeServer(server);
  }

  get baseUrl(): string {
    if (!this.url) throw new Error('FakeAnthropicApi is not started');
    return this.url;
  }

  /** Appends replies to the script. */
  enqueue(...replies: FakeReply[]): this {
    this.script.push(...replies);
    return this;
  }

  /** Scripted replies not served yet. */
  get pending(): number {
    return this.script.length;
  }

  /** Every request received, in order. */
  get requests(): readonly RecordedRequest[] {
    return this.recorded;
  }

  mainRequests(): RecordedRequest[] {
    return this.recorded.filter((r) => r.kind === 'main');
  }

  sideRequests(): RecordedRequest[] {
    return this.recorded.filter((r) => r.kind === 'side');
  }

  /** Requests the fake refused or could not answer from the script. */
  unexpected(): RecordedRequest[] {
    return this.recorded.filter((r) => r.kind === 'rejected');
  }

  /** Forgets the recorded requests (the script stays). */
  clearRequests(): void {
    this.recorded.length = 0;
  }

  /**
   * The tool_result blocks the CLI sent back, each once: taken from the last message of
   * each main request (earlier messages repeat the history).
   */
  toolResults(): ToolResultBlock[] {
    const results: ToolResultBlock[] = [];
    for (const request of this.mainRequests()) {
      const last = lastConversationMessage((request.body as { messages: unknown[] }).messages);
      for (const block of contentBlocks(last)) {
        if (block.type === 'tool_result') results.push(block as unknown as ToolResultBlock);
      }
    }
    return results;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const raw = (await readBody(req)).toString('utf8');
    const [path, query = ''] = (req.url ?? '/').split('?', 2);
    const record: RecordedRequest = {
      seq: this.recorded.length + 1,
      receivedAt: Date.now(),
      method: req.method ?? '',
      path,
      query,
      headers: req.headers,
      body: parseBody(raw),
      kind: 'rejected',
      status: 0,
    };
    this.recorded.push(record);
    try {
      this.route(record, res);
    } catch (error) {
      const rejection = error instanceof Rejection ? error : new Rejection(500, 'api_error', `fake: ${String(error)}`);
      record.kind = 'rejected';
      record.error = rejection.message;
      this.sendError(res, record, rejection.status, rejection.type, rejection.message);
    }
  }

  private route(record: RecordedRequest, res: ServerResponse): void {
    if (record.path === '/api/hello' && (record.method === 'HEAD' || record.method === 'GET')) {
      record.kind = 'preconnect';
      record.status = 200;
      res.writeHead(200, { 'content-type': 'text/plain' }).end();
      return;
    }
    const endpoint = record.path === '/v1/messages' ? 'messages' : record.path === '/v1/messages/count_tokens' ? 'count_tokens' : undefined;
    if (!endpoint) throw new Rejection(404, 'not_found_error', 'Not Found');
    if (record.method !== 'POST') throw new Rejection(405, 'invalid_request_error', 'Method Not Allowed');
    this.authenticate(record.headers);
    const body = this.validate(record.body, endpoint === 'messages');
    if (endpoint === 'count_tokens') {
      record.kind = 'count_tokens';
      this.sendJson(res, record, 200, { input_tokens: estimateInputTokens(body) });
      return;
    }
    if (!isMainConversation(body)) {
      record.kind = 'side';
      this.answer(res, record, body, { text: sideReplyFor(body, this.sideReplyText) });
      return;
    }
    const scripted = this.script.shift();
    if (!scripted) throw new Rejection(400, 'invalid_request_error', 'fake: no scripted reply left for this main-conversation request');
    const reply: ServedReply = 'answerToolResult' in scripted ? { text: scripted.answerToolResult(onlyToolResult(body)) } : scripted;
    record.kind = 'main';
    record.reply = reply;
    this.answer(res, record, body, reply);
  }

  private authenticate(headers: IncomingHttpHeaders): void {
    const key = headers['x-api-key'];
    if (key === undefined) throw new Rejection(401, 'authentication_error', 'x-api-key header is required');
    if (key !== this.apiKey) throw new Rejection(401, 'authentication_error', 'invalid x-api-key');
    if (!headers['anthropic-version']) throw new Rejection(400, 'invalid_request_error', 'anthropic-version: header is required');
  }

  private validate(parsed: unknown, needsMaxTokens: boolean): MessagesBody {
    if (parsed === undefined) throw new Rejection(400, 'invalid_request_error', 'Request body is empty; expected JSON');
    if (typeof parsed === 'string' || parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
      throw new Rejection(400, 'invalid_request_error', 'Request body is not a valid JSON object');
    }
    const body = parsed as Record<string, unknown>;
    if (body.model === undefined) throw new Rejection(400, 'invalid_request_error', 'model: Field required');
    if (typeof body.model !== 'string' || body.model === '') throw new Rejection(400, 'invalid_request_error', 'model: Input should be a valid string');
    if (needsMaxTokens) {
      if (body.max_tokens === undefined) throw new Rejection(400, 'invalid_request_error', 'max_tokens: Field required');
      if (!Number.isInteger(body.max_tokens) || (body.max_tokens as number) < 1) {
        throw new Rejection(400, 'invalid_request_error', 'max_tokens: Input should be a positive integer');
      }
    }
    if (body.messages === undefined) throw new Rejection(400, 'invalid_request_error', 'messages: Field required');
    if (!Array.isArray(body.messages)) throw new Rejection(400, 'invalid_request_error', 'messages: Input should be a valid list');
    if (body.messages.length === 0) throw new Rejection(400, 'invalid_request_error', 'messages: at least one message is required');
    body.messages.forEach((message: unknown, i: number) => {
      const m = message as { role?: unknown; content?: unknown } | null;
      if (!m || typeof m !== 'object') throw new Rejection(400, 'invalid_request_error', `messages.${i}: Input should be an object`);
      if (typeof m.role !== 'string' || !MESSAGE_ROLES.has(m.role)) {
        throw new Rejection(400, 'invalid_request_error', `messages.${i}.role: Input should be 'user' or 'assistant'`);
      }
      if (typeof m.content !== 'string' && !Array.isArray(m.content)) throw new Rejection(400, 'invalid_request_error', `messages.${i}.content: Field required`);
    });
    if (body.stream !== undefined && typeof body.stream !== 'boolean') throw new Rejection(400, 'invalid_request_error', 'stream: Input should be a valid boolean');
    if (!this.models.includes(body.model)) throw new Rejection(404, 'not_found_error', `model: ${body.model}`);
    return body as unknown as MessagesBody;
  }

  private answer(res: ServerResponse, record: RecordedRequest, body: MessagesBody, reply: ServedReply): void {
    if ('rateLimited' in reply) {
      const { retryAfterSeconds, message } = reply.rateLimited;
      this.sendError(res, record, 429, 'rate_limit_error', message ?? 'This request would exceed the rate limit for your organization. Please try again later.', {
        'retry-after': String(retryAfterSeconds),
      });
      return;
    }
    if ('error' in reply) {
      const { status, type, message, retryAfterSeconds } = reply.error;
      this.sendError(res, record, status, type, message, retryAfterSeconds === undefined ? {} : { 'retry-after': String(retryAfterSeconds) });
      return;
    }
    const blocks: ContentBlock[] = [];
    if (reply.text !== undefined && reply.text !== '') blocks.push({ type: 'text', text: reply.text });
    if ('toolUse' in reply) {
      const uses = Array.isArray(reply.toolUse) ? reply.toolUse : [reply.toolUse];
      uses.forEach((use, i) => blocks.push({ type: 'tool_use', id: use.id ?? `toolu_fake_${pad(record.seq)}_${i}`, name: use.name, input: use.input }));
    }
    const stopReason = blocks.some((b) => b.type === 'tool_use') ? 'tool_use' : 'end_turn';
    const id = `msg_fake_${pad(record.seq)}`;
    const inputTokens = estimateInputTokens(body);
    const outputTokens = Math.max(1, Math.ceil(JSON.stringify(blocks).length / 4));
    if (body.stream) this.stream(res, record, { id, model: body.model, blocks, stopReason, inputTokens, outputTokens });
    else {
      this.sendJson(res, record, 200, {
        id,
        type: 'message',
        role: 'assistant',
        model: body.model,
        content: blocks,
        stop_reason: stopReason,
        stop_sequence: null,
        usage: usage(inputTokens, outputTokens),
      });
    }
  }

  /** The SSE sequence the real API sends: message_start, ping, per block start/deltas/stop, message_delta, message_stop. */
  private stream(
    res: ServerResponse,
    record: RecordedRequest,
    m: { id: string; model: string; blocks: ContentBlock[]; stopReason: string; inputTokens: number; outputTokens: number },
  ): void {
    record.status = 200;
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache',
      'request-id': requestId(record.seq),
    });
    const send = (event: string, data: unknown) => res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
    send('message_start', {
      type: 'message_start',
      message: {
        id: m.id,
        type: 'message',
        role: 'assistant',
        model: m.model,
        content: [],
        stop_reason: null,
        stop_sequence: null,
        usage: usage(m.inputTokens, 1),
      },
    });
    send('ping', { type: 'ping' });
    m.blocks.forEach((block, index) => {
      if (block.type === 'text') {
        send('content_block_start', { type: 'content_block_start', index, content_block: { type: 'text', text: '' } });
        for (const piece of chunks(block.text, this.chunkSize)) {
          send('content_block_delta', { type: 'content_block_delta', index, delta: { type: 'text_delta', text: piece } });
        }
      } else {
        send('content_block_start', { type: 'content_block_start', index, content_block: { type: 'tool_use', id: block.id, name: block.name, input: {} } });
        for (const piece of ['', ...chunks(JSON.stringify(block.input), this.chunkSize)]) {
          send('content_block_delta', { type: 'content_block_delta', index, delta: { type: 'input_json_delta', partial_json: piece } });
        }
      }
      send('content_block_stop', { type: 'content_block_stop', index });
    });
    send('message_delta', { type: 'message_delta', delta: { stop_reason: m.stopReason, stop_sequence: null }, usage: usage(m.inputTokens, m.outputTokens) });
    send('message_stop', { type: 'message_stop' });
    res.end();
  }

  private sendJson(res: ServerResponse, record: RecordedRequest, status: number, payload: unknown, headers: Record<string, string> = {}): void {
    record.status = status;
    res.writeHead(status, { 'content-type': 'application/json', 'request-id': requestId(record.seq), ...headers }).end(JSON.stringify(payload));
  }

  private sendError(res: ServerResponse, record: RecordedRequest, status: number, type: string, message: string, headers: Record<string, string> = {}): void {
    if (record.method === 'HEAD') {
      record.status = status;
      res.writeHead(status).end();
      return;
    }
    // The real API's error shape; it also carries the request id.
    this.sendJson(res, record, status, { type: 'error', error: { type, message }, request_id: requestId(record.seq) }, headers);
  }
}

interface MessagesBody {
  model: string;
  max_tokens: number;
  messages: unknown[];
  system?: unknown;
  tools?: unknown[];
  stream?: boolean;
  output_config?: { format?: { type?: string; schema?: JsonSchema } };
}

interface JsonSchema {
  type?: string;
  properties?: Record<string, JsonSchema>;
  required?: string[];
}

type Block = { type: string; text?: string } & Record<string, unknown>;

function contentBlocks(message: unknown): Block[] {
  const content = (message as { content?: unknown } | undefined)?.content;
  if (typeof content === 'string') return [{ type: 'text', text: content }];
  return Array.isArray(content) ? (content as Block[]) : [];
}

/**
 * The last user/assistant message. The CLI puts a `role: "system"` message (the environment:
 * cwd, platform, deferred tools, …) right after the first prompt, so on the first turn the
 * user's prompt is not the very last message.
 */
function lastConversationMessage(messages: unknown[]): { role?: string; content?: unknown } | undefined {
  for (let i = messages.length - 1; i >= 0; i--) {
    const m = messages[i] as { role?: string };
    if (m?.role !== 'system') return m;
  }
  return undefined;
}

/** The one tool_result of the request's last turn (what an answerToolResult reply reads). */
function onlyToolResult(body: MessagesBody): ToolResultBlock {
  const results = contentBlocks(lastConversationMessage(body.messages)).filter((b) => b.type === 'tool_result');
  if (results.length !== 1) throw new Rejection(400, 'invalid_request_error', `fake: the script answers a tool result, but the last turn has ${results.length}`);
  return results[0] as unknown as ToolResultBlock;
}

/** The text of a tool_result's content (a string, or text blocks). */
export function toolResultText(result: ToolResultBlock): string {
  if (typeof result.content === 'string') return result.content;
  return Array.isArray(result.content) ? (result.content as Block[]).map((b) => b.text ?? '').join('') : '';
}

/** See the header comment: the agent loop always sends its tools and ends on the user's turn. */
function isMainConversation(body: MessagesBody): boolean {
  if (!Array.isArray(body.tools) || body.tools.length === 0) return false;
  const last = lastConversationMessage(body.messages);
  if (last?.role !== 'user') return false;
  return contentBlocks(last).some((b) => b.type === 'tool_result' || (b.type === 'text' && !!b.text?.trim()));
}

/** Side calls asking for JSON-schema output (title generation) get a conforming object. */
function sideReplyFor(body: MessagesBody, text: string): string {
  const format = body.output_config?.format;
  if (format?.type !== 'json_schema' || format.schema?.type !== 'object') return text;
  const value: Record<string, unknown> = {};
  for (const key of format.schema.required ?? []) {
    const type = format.schema.properties?.[key]?.type;
    value[key] = type === 'number' || type === 'integer' ? 1 : type === 'boolean' ? true : 'Fake session';
  }
  return JSON.stringify(value);
}

function estimateInputTokens(body: { messages: unknown[]; system?: unknown; tools?: unknown }): number {
  return Math.max(1, Math.ceil(JSON.stringify([body.system, body.messages, body.tools]).length / 4));
}

function usage(inputTokens: number, outputTokens: number) {
  return { input_tokens: inputTokens, cache_creation_input_tokens: 0, cache_read_input_tokens: 0, output_tokens: outputTokens, service_tier: 'standard' };
}

function chunks(text: string, size: number): string[] {
  const parts: string[] = [];
  const chars = Array.from(text); // whole code points, never half a surrogate pair
  for (let i = 0; i < chars.length; i += size) parts.push(chars.slice(i, i + size).join(''));
  return parts.length ? parts : [''];
}

function pad(n: number): string {
  return String(n).padStart(4, '0');
}

function requestId(seq: number): string {
  return `req_fake_${pad(seq)}`;
}

function parseBody(raw: string): unknown {
  if (raw === '') return undefined;
  try {
    return JSON.parse(raw);
  } catch {
    return raw;
  }
}

/** Text of every text block of the given role in a recorded request's conversation. */
export function conversationTexts(request: RecordedRequest, role: 'user' | 'assistant'): string[] {
  const messages = (request.body as { messages: { role: string; content: unknown }[] }).messages;
  return messages
    .filter((m) => m.role === role)
    .flatMap((m) => (typeof m.content === 'string' ? [{ type: 'text', text: m.content }] : (m.content as { type: string; text?: string }[])))
    .filter((b) => b.type === 'text')
    .map((b) => b.text ?? '');
}
