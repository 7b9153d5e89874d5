import { useEffect, useState } from 'preact/hooks';
import { api, ApiError, may } from '../api';
import type { PageProps } from '../routes';
import type { SessionV1 } from '../types';

/** A chat id of this browser's own, for a session started here (the API continues a chat's session). */
export function webChat(): string {
  return `web-${crypto.randomUUID().slice(0, 8)}`;
}

/** Every session and what it is doing, newest first, refreshed every 3 s; a box to start one. */
export function OverviewPage({ me }: PageProps) {
  const [sessions, setSessions] = useState<SessionV1[]>([]);
  const [status, setStatus] = useState('');
  const [agent, setAgent] = useState('');
  const [error, setError] = useState('');
  useEffect(() => {
    const load = () =>
      api<{ sessions: SessionV1[] }>('/api/sessions').then(
        (answer) => (setSessions(answer.sessions), setError('')),
        (failure: Error) => setError(failure.message),
      );
    void load();
    const timer = setInterval(load, 3000);
    return () => clearInterval(timer);
  }, []);
  const shown = sessions.filter((s) => (!status || s.status === status) && (!agent || s.agent === agent));
  const choices = (pick: (s: SessionV1) => string) => [...new Set(sessions.map(pick))].sort();
  return (
    <section>
      {may(me.role, 'prompt') && <NewMessage />}
      <div class="filters">
        <select aria-label="status" value={status} onChange={(e) => setStatus(e.currentTarget.value)}>
          <option value="">any status</option>
          {choices((s) => s.status).map((s) => (
            <option>{s}</option>
          ))}
        </select>
        <select aria-label="agent" value={agent} onChange={(e) => setAgent(e.currentTarget.value)}>
          <option value="">any agent</option>
          {choices((s) => s.agent).map((a) => (
            <option>{a}</option>
          ))}
        </select>
      </div>
      {error && <p class="error">{error}</p>}
      <table class="sessions">
        <thead>
          <tr>
            <th>session</th>
            <th>status</th>
            <th>agent</th>
            <th>updated</th>
          </tr>
        </thead>
        <tbody>
          {shown.map((s) => (
            <tr key={s.id}>
              <td>
                <a href={`#/session/${s.id}`}>{s.id}</a>
              </td>
              <td class={`status ${s.status}`}>{s.status}</td>
              <td>{s.agent}</td>
              <td>{new Date(s.updatedAt).toLocaleTimeString()}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {shown.length === 0 && <p class="muted">No sessions yet.</p>}
    </section>
  );
}

/** Starts a session: the message goes to a chat of this browser's own. */
function NewMessage() {
  const [text, setText] = useState('');
  const [error, setError] = useState('');
  const send = async (event: Event) => {
    event.preventDefault();
    if (!text.trim()) return;
    try {
      const accepted = await api<{ sessionId: string | null; reply?: string }>('/api/messages', { method: 'POST', body: { text, chat: webChat() } });
      setText('');
      if (accepted.sessionId) location.hash = `#/session/${accepted.sessionId}`;
      else if (accepted.reply) setError(accepted.reply);
    } catch (failure) {
      setError(failure instanceof ApiError ? failure.message : String(failure));
    }
  };
  return (
    <form class="send" onSubmit={send}>
      <textarea
        aria-label="message"
        rows={3}
        placeholder="Message for a new session (Ctrl+Enter sends)"
        value={text}
        onInput={(e) => setText(e.currentTarget.value)}
        onKeyDown={(e) => e.key === 'Enter' && e.ctrlKey && send(e)}
      />
      <button type="submit">Send</button>
      {error && <p class="error">{error}</p>}
    </form>
  );
}
