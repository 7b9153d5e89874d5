import { ControlResultV1 } from '@patchbay/contracts';
import { ApiClient } from './api-client';

/** `patchbay stop <session> [--kill]`: interrupt (or end) the session's live run. */
export async function stopCommand(api: ApiClient, sessionId: string, action: 'stop' | 'kill'): Promise<number> {
  const result = await api.post<ControlResultV1>(`/api/sessions/${encodeURIComponent(sessionId)}/${action}`, {});
  process.stdout.write(`run ${result.runId}: ${result.detail}\n`);
  return 0;
}
