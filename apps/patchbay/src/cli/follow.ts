import { ApprovalV1, isRetried, OutputEventV1, TaskV1 } from '@patchbay/contracts';
import { ApiClient } from './api-client';
import { approvalLine } from './approvals.command';

const RECONNECTS = 5;

/**
 * The agent's text goes to stdout, everything about it (tools, status, errors, progress) to
 * stderr, so scripts can take stdout as the answer. On a terminal both show in one place:
 * a note after text that ended mid-line starts on a line of its own.
 */
export class FollowOutput {
  private midLine = false;

  constructor(
    private readonly out: NodeJS.WritableStream = process.stdout,
    private readonly err: NodeJS.WritableStream = process.stderr,
  ) {}

  text(text: string): void {
    if (!text) return;
    this.out.write(text);
    this.midLine = !text.endsWith('\n');
  }

  note(line: string): void {
    this.endLine();
    this.err.write(`${line}\n`);
  }

  /** Ends the agent's last line, so what the shell prints next starts on its own. */
  endLine(): void {
    if (this.midLine) this.out.write('\n');
    this.midLine = false;
  }
}

/**
 * Prints a session's events (of one task, if given) until its final or error event, and
 * each approval request of the session as it is asked and answered.
 * If the connection drops (a restarting gateway), it resumes after the last event seen.
 * Returns the process exit code: 0 after `final`, 1 after `error`.
 */
export async function followSession(api: ApiClient, sessionId: string, taskId?: string, output = new FollowOutput()): Promise<number> {
  let last: number | undefined;
  let printedText = false;
  output.note(`waiting for the session to start… (session ${sessionId})`);
  for (let attempt = 0; attempt <= RECONNECTS; attempt++) {
    const query = taskId ? `?task=${taskId}` : '';
    try {
      for await (const { event: name, id, data } of api.events<OutputEventV1 | ApprovalV1>(`/api/sessions/${sessionId}/events${query}`, last)) {
        if (name === 'approval') {
          output.note(approvalLine(data as ApprovalV1).trimEnd());
          continue;
        }
        const event = data as OutputEventV1;
        last = id;
        switch (event.type) {
          case 'text':
            output.text(event.text);
            printedText = true;
            break;
          case 'tool_call':
            output.note(`[tool] ${event.tool}: ${event.input}`);
            break;
          case 'tool_result':
            output.note(`[result] ${event.tool}: ${event.text}`);
            break;
          case 'status':
            output.note(`[status] ${event.text}`);
            break;
          case 'final':
            if (!printedText && event.text) output.text(`${event.text}\n`);
            output.note(`[done] in ${(event.durationMs / 1000).toFixed(1)} s`);
            return 0;
          case 'error':
            output.note(`[error] ${event.code}: ${event.text}`);
            // The stream goes on when the engine retries the task; else it ends here.
            if (!taskId || !isRetried(await api.get<TaskV1>(`/api/tasks/${taskId}`), event.runId)) return 1;
            output.note('[retry] the task runs again');
            break;
        }
      }
      if (!taskId) {
        output.endLine();
        return 0;
      }
    } catch (error) {
      if (attempt === RECONNECTS) throw error;
    }
    await new Promise((resolve) => setTimeout(resolve, 500 * (attempt + 1)));
  }
  throw new Error(`the stream of session ${sessionId} ended before its final event`);
}
