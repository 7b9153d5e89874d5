/** The channel id, in `<channel>:<user id>` access entries and the audit log. */
export const GITHUB_CHANNEL = 'github';

/** GitHub refuses issue comments longer than this (422 "body is too long"). */
export const MAX_COMMENT_LENGTH = 65_536;

/**
 * Hidden in every comment Patchbay writes: a comment carrying it is never taken as a
 * request, whoever posted it (no loops, even with a token shared with a person).
 */
export const COMMENT_MARKER = '<!-- patchbay -->';

/**
 * GitHub's secondary rate limits on content-creating requests (POST, PATCH, PUT, DELETE),
 * counted per account across all repositories: at most 80 a minute and 500 an hour.
 */
export const CONTENT_LIMITS: ReadonlyArray<{ limit: number; windowMs: number }> = [
  { limit: 80, windowMs: 60_000 },
  { limit: 500, windowMs: 3_600_000 },
];

/** GitHub redelivers with the same X-GitHub-Delivery; it may do so for 3 days. */
export const DELIVERY_MEMORY_MS = 3 * 24 * 3_600_000;
/** At most this many delivery ids and action ids are remembered (oldest dropped first). */
export const DELIVERY_MEMORY_SIZE = 100_000;

/** How long a collaborator's permission answer is trusted before it is asked again. */
export const PERMISSION_TTL_MS = 5 * 60_000;

/** Polling looks back this far on start, so a restart misses nothing (the engine dedups). */
export const POLL_LOOKBACK_MS = 3_600_000;

/** Slash commands taken from comments; other `/words` in a discussion are left alone. */
export const COMMENT_COMMANDS: ReadonlySet<string> = new Set(['help', 'status', 'stop', 'retry', 'tasks', 'task', 'approvals', 'approve', 'deny']);

/** Labels that show where an issue's run is; exactly one is on an issue with a run. */
export const STATUS_LABELS = {
  queued: 'status:queued',
  running: 'status:in_progress',
  done: 'status:done',
  failed: 'status:failed',
  cancelled: 'status:cancelled',
} as const;
export type RunStatus = keyof typeof STATUS_LABELS;

/** Error codes of a run that was stopped on purpose (as the engine counts them). */
export const CANCELLED_CODES: ReadonlySet<string> = new Set(['stopped', 'killed', 'cancelled']);
