import { AsyncLocalStorage } from 'node:async_hooks';

/** The ids a log line of a run carries. */
export interface LogIds {
  sessionId?: string;
  taskId?: string;
  runId?: string;
}

const storage = new AsyncLocalStorage<LogIds>();

/**
 * Where a run or task is handled (engine, runner), the code runs inside `withLogIds`, so
 * every line logged from there, and from what it starts, carries the ids (JSON logs).
 */
export function withLogIds<T>(ids: LogIds, work: () => T): T {
  return storage.run({ ...storage.getStore(), ...ids }, work);
}

/** The ids of the work under way, if any. */
export function currentLogIds(): LogIds {
  return storage.getStore() ?? {};
}
