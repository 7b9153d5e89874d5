/**
 * Patchbay's permission MCP server, started by claude for one run (`--mcp-config`) and named
 * by `--permission-prompt-tool mcp__<server>__<tool>`. claude calls its one tool
 * with `{tool_name, input, tool_use_id}` before a tool use its own rules do not allow; the
 * tool asks the run's runner over the unix socket given as the first argument (the tool's
 * name is the second; the runner names both), waits for the
 * decision, and answers in claude's shape (`{"behavior":"allow","updatedInput":…}` or
 * `{"behavior":"deny","message":…}`) as one text block.
 *
 * MCP over stdio is newline-delimited JSON-RPC 2.0; the three methods claude uses
 * (initialize, tools/list, tools/call) are done by hand, no SDK needed. A runner that
 * restarts drops the socket: the question is asked again, with the same tool_use_id, once
 * the next runner listens, within RUNNER_WAIT_MS; after that the tool use is denied.
 */
import { connect } from 'node:net';
import { createInterface } from 'node:readline';
import { PermissionAnswer, PermissionQuestion } from './permission-wire';

/** How long a restarted (or stopped) runner may take to listen again. */
const RUNNER_WAIT_MS = 5 * 60_000;
const RECONNECT_MS = 500;
/** The MCP revision this speaks when the client names none. */
const PROTOCOL_VERSION = '2025-06-18';

interface RpcMessage {
  jsonrpc: '2.0';
  id?: number | string | null;
  method?: string;
  params?: Record<string, unknown>;
}

const [socketPath, toolName] = process.argv.slice(2);
if (!socketPath || !toolName) {
  process.stderr.write('patchbay permission server: usage: permission-mcp-server.js <runner socket> <tool name>\n');
  process.exit(2);
}

const send = (message: Record<string, unknown>) => process.stdout.write(`${JSON.stringify({ jsonrpc: '2.0', ...message })}\n`);

createInterface({ input: process.stdin }).on('line', (line) => {
  if (!line.trim()) return;
  let message: RpcMessage;
  try {
    message = JSON.parse(line) as RpcMessage;
  } catch {
    send({ id: null, error: { code: -32700, message: 'parse error: not JSON' } });
    return;
  }
  void handle(message).catch((error: Error) => send({ id: message.id ?? null, error: { code: -32603, message: error.message } }));
});
// claude closes stdin when it exits: nothing is left to answer.
process.stdin.on('end', () => process.exit(0));

async function handle(message: RpcMessage): Promise<void> {
  const { id, method, params = {} } = message;
  // A notification (no id), e.g. notifications/initialized: nothing to answer.
  if (id === undefined || id === null) return;
  switch (method) {
    case 'initialize':
      send({
        id,
        result: {
          protocolVersion: typeof params.protocolVersion === 'string' ? params.protocolVersion : PROTOCOL_VERSION,
          capabilities: { tools: {} },
          serverInfo: { name: 'patchbay-permissions', version: '1' },
        },
      });
      return;
    case 'ping':
      send({ id, result: {} });
      return;
    case 'tools/list':
      send({ id, result: { tools: [{ name: toolName, ...TOOL }] } });
      return;
    case 'tools/call': {
      if (params.name !== toolName) {
        send({ id, error: { code: -32602, message: `unknown tool "${String(params.name)}" (this server has only "${toolName}")` } });
        return;
      }
      const answer = await decide((params.arguments ?? {}) as Record<string, unknown>);
      send({ id, result: { content: [{ type: 'text', text: JSON.stringify(answer) }] } });
      return;
    }
    default:
      send({ id, error: { code: -32601, message: `method not found: ${String(method)}` } });
  }
}

const TOOL = {
  description: "Asks the people watching this Patchbay session whether a tool may run (claude's permission prompt).",
  inputSchema: {
    type: 'object',
    properties: {
      tool_name: { type: 'string', description: 'The tool that wants to run' },
      input: { type: 'object', description: 'Its input' },
      tool_use_id: { type: 'string', description: 'The id of this tool use' },
    },
    required: ['tool_name', 'input'],
  },
};

async function decide(args: Record<string, unknown>): Promise<PermissionAnswer> {
  const { tool_name: tool, input, tool_use_id: toolUseId } = args;
  if (typeof tool !== 'string' || typeof toolUseId !== 'string' || !toolUseId || !input || typeof input !== 'object' || Array.isArray(input)) {
    return { behavior: 'deny', message: 'Patchbay could not ask for approval: the permission prompt lacked tool_name, input or tool_use_id' };
  }
  const question: PermissionQuestion = { toolUseId, tool, input: input as Record<string, unknown> };
  for (const deadline = Date.now() + RUNNER_WAIT_MS; Date.now() < deadline; await delay(RECONNECT_MS)) {
    const answer = await askRunner(question);
    if (answer) return answer;
  }
  return { behavior: 'deny', message: `Patchbay's runner could not be reached for ${RUNNER_WAIT_MS / 60_000} minutes to ask whether ${tool} may run; it was not run` };
}

/** One attempt: the runner's answer, or undefined when the socket failed before it came. */
function askRunner(question: PermissionQuestion): Promise<PermissionAnswer | undefined> {
  return new Promise((resolve) => {
    const socket = connect(socketPath);
    let buffer = '';
    socket.setEncoding('utf8');
    socket.on('connect', () => socket.write(`${JSON.stringify(question)}\n`));
    socket.on('data', (chunk: string) => {
      buffer += chunk;
      const end = buffer.indexOf('\n');
      if (end < 0) return;
      try {
        resolve(JSON.parse(buffer.slice(0, end)) as PermissionAnswer);
      } catch {
        resolve(undefined);
      }
      socket.end();
    });
    socket.on('error', () => resolve(undefined));
    socket.on('close', () => resolve(undefined));
  });
}

function delay(ms: number): Promise<void> {
  return new Promise((done) => setTimeout(done, ms));
}
