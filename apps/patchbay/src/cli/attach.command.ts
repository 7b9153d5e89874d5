import { spawnSync } from 'node:child_process';
import { PatchbayConfig } from '@patchbay/config';
import { SessionV1 } from '@patchbay/contracts';
import { TmuxClient } from '@patchbay/tmux';
import { ApiClient } from './api-client';

/** `patchbay attach <id>`: join the agent's tmux session (detach with C-b d). */
export async function attachCommand(api: ApiClient, config: PatchbayConfig, sessionId: string): Promise<number> {
  const session = await api.get<SessionV1>(`/api/sessions/${encodeURIComponent(sessionId)}`);
  const tmux = new TmuxClient(config.tmux.socket);
  if (!(await tmux.hasSession(session.tmuxSession))) {
    const where = session.runnerId ? ` (it ran on runner ${session.runnerId}; attach on that machine)` : '';
    process.stderr.write(`tmux session ${session.tmuxSession} is not running here: session is ${session.status}${where}\n`);
    return 1;
  }
  const result = spawnSync('tmux', tmux.attachArgs(session.tmuxSession), { stdio: 'inherit' });
  return result.status ?? 1;
}
