import { join } from 'node:path';
import { PERMISSION_SERVER, PERMISSION_TOOL } from '@patchbay/agents';

/** The permission MCP server, built next to this file. */
const SERVER_SCRIPT = join(__dirname, 'permission-mcp-server.js');
/**
 * claude's per-server tool-call timeout (ms). Its default aborts a stdio tool silent for
 * 30 minutes, and a person may take longer than that (approvals.timeoutSeconds) to answer.
 */
const ANSWER_TIMEOUT_MS = 24 * 3_600_000;

/**
 * The `--mcp-config` JSON that has claude start Patchbay's permission server for one run,
 * with node (the runner's own) and the run's socket; claude hands it its own environment,
 * which holds nothing of the runner's.
 */
export function permissionMcpConfig(socketPath: string): string {
  const server = { type: 'stdio', command: process.execPath, args: [SERVER_SCRIPT, socketPath, PERMISSION_TOOL], timeout: ANSWER_TIMEOUT_MS };
  return `${JSON.stringify({ mcpServers: { [PERMISSION_SERVER]: server } }, null, 2)}\n`;
}
