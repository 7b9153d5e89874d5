/** Queue group of runners: each new run goes to exactly one of them. */
export const RUNNERS_QUEUE = 'runners';
export const HEARTBEAT_INTERVAL_MS = 5_000;
/** How long a follow-up waits for the previous run's agent to exit after its final event. */
export const PREVIOUS_RUN_EXIT_MS = 10_000;
/** How long a restarted runner waits for the engine before adopting runs blind. */
export const ENGINE_WAIT_MS = 60_000;
/** A pending approval is asked again this often even when no decided hint came. */
export const APPROVAL_REASK_MS = 30_000;
/** After an approval ask failed (no engine), the next try comes this soon. */
export const APPROVAL_RETRY_MS = 2_000;
