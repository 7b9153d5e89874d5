import type { OutputEventV1, RunState } from '@patchbay/contracts';

/**
 * OutputEventV1s of one session for specs, seq counting on across runs:
 *
 *     const events = new OutputEvents();
 *     const run = events.run('run00001');
 *     renderer.push(run.text('Hello'));
 *     renderer.push(run.final('Hello'));
 */
export class OutputEvents {
  private seq = 0;

  constructor(
    readonly sessionId = 'session0001',
    readonly taskId = 'task0001',
  ) {}

  /** The events of run `runId` (ids are 4-40 lowercase letters and digits). */
  run(runId: string): RunEvents {
    const base = () => ({ sessionId: this.sessionId, taskId: this.taskId, runId, seq: ++this.seq, at: '2030-01-01T00:00:00.000Z' });
    return {
      text: (text) => ({ ...base(), type: 'text', text }),
      tool: (tool, input) => ({ ...base(), type: 'tool_call', tool, input }),
      toolResult: (tool, text) => ({ ...base(), type: 'tool_result', tool, text }),
      status: (text, state) => ({ ...base(), type: 'status', text, ...(state && { state }) }),
      pushed: (branch, text = `pushed branch ${branch} (1 commit) to origin`) => ({ ...base(), type: 'status', state: 'pushed', branch, text }),
      final: (text) => ({ ...base(), type: 'final', text, durationMs: 1000, exitCode: 0 }),
      error: (code, text) => ({ ...base(), type: 'error', code, text, exitCode: null }),
    };
  }
}

export interface RunEvents {
  text(text: string): OutputEventV1;
  tool(tool: string, input: string): OutputEventV1;
  toolResult(tool: string, text: string): OutputEventV1;
  status(text: string, state?: Exclude<RunState, 'pushed' | 'push_failed'>): OutputEventV1;
  /** The runner pushed the task branch (just before the final). */
  pushed(branch: string, text?: string): OutputEventV1;
  final(text: string): OutputEventV1;
  error(code: string, text: string): OutputEventV1;
}
