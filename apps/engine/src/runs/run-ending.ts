import { TaskStatus } from '@patchbay/contracts';

/** Error codes of runs that may well succeed if tried again. */
const RETRYABLE: ReadonlySet<string> = new Set(['runner_lost', 'session_lost', 'runner_stopped', 'tmux_failed']);
/** Errors someone caused on purpose: the task is cancelled, not failed. */
const CANCELLED: ReadonlySet<string> = new Set(['stopped', 'killed', 'cancelled']);
/** Errors no retry can fix until someone changes something. */
const BLOCKED: ReadonlySet<string> = new Set(['unknown_agent', 'agent_not_installed', 'workspace_failed']);
/** How agent CLIs say they ran out of their plan or rate limit. */
const USAGE_LIMIT = /usage limit|rate.?limit|quota|\b429\b|overloaded/i;

/** What becomes of a task whose run ended in an error: tried again (when it can be), else closed with `status`. */
export interface RunEnding {
  retry: { reason: string; agent: string | null } | null;
  status: Extract<TaskStatus, 'cancelled' | 'blocked' | 'failed'>;
}

/**
 * Another attempt when the cause may pass (the runner or its tmux went away; the agent hit a
 * usage limit: then only with a fallback agent), within `maxAttempts`; else the task is
 * cancelled (stopped by someone), blocked (nothing helps until someone acts) or failed.
 */
export function runEnding(
  error: { code: string; text: string },
  task: { attempts: number; route: string | null; agent: string },
  maxAttempts: number,
  fallback: (route: string | null, agent: string) => string | null,
): RunEnding {
  const status = CANCELLED.has(error.code) ? 'cancelled' : BLOCKED.has(error.code) ? 'blocked' : 'failed';
  const limited = USAGE_LIMIT.test(error.text);
  if (!(RETRYABLE.has(error.code) || limited) || task.attempts >= maxAttempts) return { retry: null, status };
  const agent = limited ? fallback(task.route, task.agent) : null;
  if (limited && !agent) return { retry: null, status };
  return { retry: { reason: `${error.code}: attempt ${task.attempts + 1} of ${maxAttempts}${agent ? ` with ${agent}` : ''}`, agent }, status };
}
