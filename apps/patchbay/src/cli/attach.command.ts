import { spawnSync } from 'node:child_process';
import { PatchbayConfig } from '@patchbay/config';
import { SessionV1 } from '@patchbay/contracts';
import { TmuxClient } from '@patchbay/tmux';
import { ApiClient } from './api-client';

/** How long attach waits for a session that is starting (its run queued or being set up). */
const START_WAIT_MS = 30_000;
const POLL_MS = 500;

/** `patchbay attach <id>`: join the agent's tmux session (detach with C-b d). */
export async function attachCommand(api: ApiClient, config: PatchbayConfig, sessionId: string): Promise<number> {
  const path = `/api/sessions/${encodeURIComponent(sessionId)}`;
  let session = await api.get<SessionV1>(path);
  const tmux = new TmuxClient(config.tmux.socket);
  // A running session no runner has taken yet is starting: wait for it, saying so once.
  const starting = (s: SessionV1) => s.status === 'running' && !s.runnerId;
  if (starting(session)) process.stderr.write('waiting for the session to start…\n');
  for (const deadline = Date.now() + START_WAIT_MS; starting(session) && Date.now() < deadline;) {
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    session = await api.get<SessionV1>(path);
  }
  if (!(await tmux.hasSession(session.tmuxSession))) {
    const where = session.runnerId ? ` (it ran on runner ${session.runnerId}; attach on that machine)` : '';
    process.stderr.write(`tmux session ${session.tmuxSession} is not running here: session is ${session.status}${where}\n`);
    return 1;
  }
  const result = spawnSync('tmux', tmux.attachArgs(session.tmuxSession), { stdio: 'inherit' });
  return result.status ?? 1;
}
