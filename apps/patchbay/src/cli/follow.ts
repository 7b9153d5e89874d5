import { ApprovalV1, isRetried, OutputEventV1, TaskV1 } from '@patchbay/contracts';
import { ApiClient } from './api-client';
import { approvalLine } from './approvals.command';

const RECONNECTS = 5;

/**
 * Prints a session's events (of one task, if given) until its final or error event, and
 * each approval request of the session as it is asked and answered.
 * If the connection drops (a restarting gateway), it resumes after the last event seen.
 * Returns the process exit code: 0 after `final`, 1 after `error`.
 */
export async function followSession(api: ApiClient, sessionId: string, taskId?: string): Promise<number> {
  let last: number | undefined;
  let printedText = false;
  for (let attempt = 0; attempt <= RECONNECTS; attempt++) {
    const query = taskId ? `?task=${taskId}` : '';
    try {
      for await (const { event: name, id, data } of api.events<OutputEventV1 | ApprovalV1>(`/api/sessions/${sessionId}/events${query}`, last)) {
        if (name === 'approval') {
          process.stderr.write(approvalLine(data as ApprovalV1));
          continue;
        }
        const event = data as OutputEventV1;
        last = id;
        switch (event.type) {
          case 'text':
            process.stdout.write(event.text);
            printedText = true;
            break;
          case 'tool_call':
            process.stderr.write(`[tool] ${event.tool}: ${event.input}\n`);
            break;
          case 'tool_result':
            process.stderr.write(`[result] ${event.tool}: ${event.text}\n`);
            break;
          case 'status':
            process.stderr.write(`[status] ${event.text}\n`);
            break;
          case 'final':
            if (!printedText && event.text) process.stdout.write(`${event.text}\n`);
            process.stderr.write(`[done] in ${(event.durationMs / 1000).toFixed(1)} s\n`);
            return 0;
          case 'error':
            process.stderr.write(`[error] ${event.code}: ${event.text}\n`);
            // The stream goes on when the engine retries the task; else it ends here.
            if (!taskId || !isRetried(await api.get<TaskV1>(`/api/tasks/${taskId}`), event.runId)) return 1;
            process.stderr.write('[retry] the task runs again\n');
            break;
        }
      }
      if (!taskId) return 0;
    } catch (error) {
      if (attempt === RECONNECTS) throw error;
    }
    await new Promise((resolve) => setTimeout(resolve, 500 * (attempt + 1)));
  }
  throw new Error(`the stream of session ${sessionId} ended before its final event`);
}
