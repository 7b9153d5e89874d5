import type { OutputEventV1 } from '@patchbay/contracts';

/** Fields the runner adds to every event: ids, seq and time. */
type RunnerFields = 'sessionId' | 'taskId' | 'runId' | 'seq' | 'at';

/** An output event as a parser produces it, before the runner numbers and stamps it. */
export type AgentEvent = OutputEventV1 extends infer E ? (E extends OutputEventV1 ? Omit<E, RunnerFields> : never) : never;

/**
 * Turns one agent CLI's stdout into output events. Parsers are pure and fed line by line,
 * so a restarted runner can re-read a run's stdout from any line boundary.
 */
export interface StreamParser {
  /** One complete line of stdout, without its newline. */
  line(line: string): AgentEvent[];
  /**
   * The agent exited. Returns what is still buffered and, when the stream itself did not
   * end with one, the `final` (exit 0) or `error` event.
   */
  end(exit: { exitCode: number; durationMs: number; stderrTail: string }): AgentEvent[];
}
