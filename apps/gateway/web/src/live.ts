import { useEffect, useRef } from 'preact/hooks';
import { follow } from './sse';
import type { ApprovalV1, RunnerHeartbeatV1, SessionSummaryV1 } from './types';

/** What the overview stream (GET /api/events) tells, by event name. */
export interface LiveEvents {
  session: SessionSummaryV1;
  approval: ApprovalV1;
  runner: RunnerHeartbeatV1;
}
const listeners = new Set<(type: keyof LiveEvents, data: unknown) => void>();
let stop: (() => void) | null = null;

/**
 * One overview stream for the whole page, however many parts listen: opened by the first
 * listener, closed after the last, and reopened after a dropped connection.
 */
function subscribe(listener: (type: keyof LiveEvents, data: unknown) => void): () => void {
  listeners.add(listener);
  stop ??= follow(
    '/api/events',
    { onEvent: (type, data) => listeners.forEach((l) => l(type as keyof LiveEvents, data)) },
    { types: ['session', 'approval', 'runner'], resume: () => (listeners.size > 0 ? 1000 : false) },
  );
  return () => {
    listeners.delete(listener);
    if (listeners.size === 0) {
      stop?.();
      stop = null;
    }
  };
}

/** Calls `onEvent` with each overview event of that name while the component is shown. */
export function useLive<K extends keyof LiveEvents>(name: K, onEvent: (data: LiveEvents[K]) => void): void {
  const handler = useRef(onEvent);
  handler.current = onEvent;
  useEffect(() => subscribe((type, data) => type === name && handler.current(data as LiveEvents[K])), [name]);
}
