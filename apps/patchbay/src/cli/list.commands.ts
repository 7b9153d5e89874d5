import { SessionSummaryListV1, TaskV1 } from '@patchbay/contracts';
import { ApiClient } from './api-client';
import { oneLine, printTable } from './table';

/** `patchbay sessions`: what exists and what runs now. */
export async function sessionsCommand(api: ApiClient): Promise<number> {
  const { sessions } = await api.get<SessionSummaryListV1>('/api/sessions');
  printTable(
    ['SESSION', 'STATUS', 'AGENT', 'TMUX', 'RUNNER', 'EVENTS', 'CHATS', 'UPDATED'],
    sessions.map((s) => [s.id, s.status, s.agent, s.tmuxSession, s.runnerId ?? '-', String(s.lastSeq), String(s.bindings.length), s.updatedAt]),
  );
  return 0;
}

/** `patchbay tasks`: the newest tasks and their state. */
export async function tasksCommand(api: ApiClient): Promise<number> {
  const { tasks } = await api.get<{ tasks: TaskV1[] }>('/api/tasks');
  printTable(
    ['TASK', 'STATUS', 'SESSION', 'AGENT', 'CREATED', 'PROMPT'],
    tasks.map((t) => [t.id, t.status, t.sessionId, t.agent, t.createdAt, oneLine(t.prompt, 40)]),
  );
  return 0;
}
