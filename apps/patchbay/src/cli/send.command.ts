import { InboundAcceptedV1 } from '@patchbay/contracts';
import { ApiClient } from './api-client';
import { followSession } from './follow';

/** `patchbay send "text"`: send a message, print the agent's output as it streams. */
export async function sendCommand(api: ApiClient, text: string, chat: string | undefined): Promise<number> {
  const answer = await api.post<InboundAcceptedV1 | { queued: true; messageId: string }>('/api/messages', { text, ...(chat ? { chat } : {}) });
  if ('queued' in answer) {
    process.stderr.write(`stored as message ${answer.messageId}; the engine is busy or restarting and will run it when it is back\n`);
    return 0;
  }
  const accepted = answer;
  if (accepted.outcome === 'command') {
    process.stdout.write(`${accepted.reply ?? ''}\n`);
    return 0;
  }
  if (accepted.taskId === null || accepted.sessionId === null) {
    // Typed into a live interactive session: its output goes on with no end to wait for.
    process.stderr.write(`${accepted.input?.detail ?? 'typed into the session'}: follow it with \`patchbay stream ${accepted.sessionId}\`\n`);
    return 0;
  }
  const how = accepted.duplicate ? ' (already sent)' : accepted.input ? ` (${accepted.input.detail})` : '';
  const line = accepted.ahead ? `, queued behind ${accepted.ahead} task(s) of that session` : '';
  process.stderr.write(`task ${accepted.taskId} in session ${accepted.sessionId}${how}${line}\n`);
  // Why the answer comes from the agent it does (the demo agent, while claude is not logged in).
  if (accepted.reply) process.stderr.write(`${accepted.reply}\n`);
  return followSession(api, accepted.sessionId, accepted.taskId);
}
