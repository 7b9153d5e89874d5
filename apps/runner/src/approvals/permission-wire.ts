/**
 * What the permission MCP server (in the agent's process tree) and its runner say to each
 * other over the run's unix socket: one JSON line each way per tool use.
 */

/** The MCP server asks: claude's permission prompt input, as claude gave it. */
export interface PermissionQuestion {
  toolUseId: string;
  tool: string;
  input: Record<string, unknown>;
}

/** The runner answers in claude's own permission result shape (the MCP server passes it on). */
export type PermissionAnswer = { behavior: 'allow'; updatedInput: Record<string, unknown> } | { behavior: 'deny'; message: string };

/** A unix socket path longer than this cannot be bound (sun_path is 108 bytes with its NUL). */
export const MAX_SOCKET_PATH = 107;
