import { AgentEvent } from '@patchbay/agents';
import { HeldFinal } from '../run-journal';

/** Where an output strategy hands what it read: the run numbers, journals and publishes it. */
export interface OutputSink {
  /** Events covering the agent's output up to `offset`; `held`, a final kept back while the branch is pushed. */
  send(events: AgentEvent[], offset: number, held?: HeldFinal): void;
  /** Output arrived: the run's idle clock starts again. */
  touched(): void;
}

/** How the agent left, for the events that close its run. */
export interface AgentExit {
  exitCode: number;
  durationMs: number;
  stderrTail: string;
  /** Set when Patchbay stopped the run (stop, kill, a time limit): the reason the run ends with. */
  stop?: { code: string; text: string; by?: string };
}

/**
 * One way of turning what an agent prints into output events: its JSON or text lines
 * (StreamOutput), or its terminal screen (ScreenOutput). The run follows one output file
 * in its folder from a byte offset, which the journal records with each batch.
 */
export interface RunOutput {
  /** The byte offset of the output file taken so far. */
  readonly position: number;
  /** Starts reading the output file at `offset`. */
  follow(offset: number): void;
  /** A restarted runner: feeds the output up to `offset` through a fresh parser or screen, emitting nothing. */
  replayUpTo(offset: number): Promise<void>;
  /** Takes what was appended and sends it (or schedules it); `atEnd`: the agent has exited, take everything. */
  read(atEnd: boolean): Promise<void>;
  /** What is still buffered, as events, to go out before the run's end. */
  flush(): AgentEvent[];
  /** The events that end the run. */
  closing(exit: AgentExit): AgentEvent[];
  close(): void;
}

/**
 * A run Patchbay stopped ends with the stop's reason as its error, keeping what the agent
 * said before (tool results, status) but not its own ending.
 */
export function endingOf(closing: AgentEvent[], exit: AgentExit): AgentEvent[] {
  if (!exit.stop) return closing;
  const { code, text, by } = exit.stop;
  return [...closing.filter((e) => e.type !== 'final' && e.type !== 'error'), { type: 'error', code, text, exitCode: exit.exitCode, ...(by ? { by } : {}) }];
}
