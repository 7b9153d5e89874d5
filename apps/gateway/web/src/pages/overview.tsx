import { useEffect, useState } from 'preact/hooks';
import { api, ApiError, may } from '../api';
import { useLive } from '../live';
import type { PageProps } from '../routes';
import { age, useNow } from '../time';
import type { RunnersV1, SessionSummaryV1 } from '../types';
import { TableHead } from '../components/table-head';

/** A chat id of this browser's own, for a session started here (the API continues a chat's session). */
export function webChat(): string {
  return `web-${crypto.randomUUID().slice(0, 8)}`;
}

/** The channels a session is seen from: its chats, and where its latest task came from. */
function channelsOf(session: SessionSummaryV1): string[] {
  return [...new Set([...session.bindings.map((b) => b.channel), ...(session.task ? [session.task.channel] : [])])];
}

/** Every session and what it is doing now, live; the runners and their waiting line; a box to start a session. */
export function OverviewPage({ me }: PageProps) {
  const [sessions, setSessions] = useState<SessionSummaryV1[]>([]);
  const [filter, setFilter] = useState({ status: '', agent: '', channel: '' });
  const [error, setError] = useState('');
  const now = useNow();
  useEffect(() => {
    api<{ sessions: SessionSummaryV1[] }>('/api/sessions').then(
      (answer) => setSessions(answer.sessions),
      (failure: Error) => setError(failure.message),
    );
  }, []);
  useLive('session', (changed) => {
    setSessions((all) => [changed, ...all.filter((s) => s.id !== changed.id)]);
  });
  const shown = sessions.filter(
    (s) => (!filter.status || s.status === filter.status) && (!filter.agent || s.agent === filter.agent) && (!filter.channel || channelsOf(s).includes(filter.channel)),
  );
  const choices = (pick: (s: SessionSummaryV1) => string[]) => [...new Set(sessions.flatMap(pick))].sort();
  const select = (name: keyof typeof filter, values: string[]) => (
    <select aria-label={name} value={filter[name]} onChange={(e) => setFilter({ ...filter, [name]: e.currentTarget.value })}>
      <option value="">any {name}</option>
      {values.map((value) => (
        <option key={value}>{value}</option>
      ))}
    </select>
  );
  return (
    <section>
      {may(me.role, 'prompt') && <NewMessage />}
      <Runners />
      <div class="filters">
        {select(
          'status',
          choices((s) => [s.status]),
        )}
        {select(
          'agent',
          choices((s) => [s.agent]),
        )}
        {select('channel', choices(channelsOf))}
      </div>
      {error && <p class="error">{error}</p>}
      <table class="sessions">
        <TableHead columns={['session', 'status', 'agent', 'runner', 'chats', 'current task']} />
        <tbody>
          {shown.map((s) => (
            <tr key={s.id} data-session={s.id}>
              <td>
                <a href={`#/session/${s.id}`}>{s.id}</a>
              </td>
              <td class={`status ${s.status}`}>{s.status}</td>
              <td>
                {s.agent}
                {s.model && <span class="muted"> · {s.model}</span>}
              </td>
              <td>{s.runnerId ?? <span class="muted">none</span>}</td>
              <td title={s.bindings.map((b) => `${b.channel}:${b.chatId}`).join('\n')}>
                {s.bindings.length === 0 ? <span class="muted">none</span> : s.bindings.map((b) => b.channel).join(', ')}
              </td>
              <td class="task">
                {s.task ? (
                  <>
                    <span class={`status ${s.task.status}`}>{s.task.status}</span> {s.task.prompt} <span class="muted">· {age(s.task.startedAt ?? s.task.createdAt, now)}</span>
                  </>
                ) : (
                  <span class="muted">none</span>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {shown.length === 0 && <p class="muted">{sessions.length === 0 ? 'No sessions yet.' : 'No session matches these filters.'}</p>}
    </section>
  );
}

/** The live runners (capacity, what they run, tmux) and how many tasks wait for one. */
function Runners() {
  const [state, setState] = useState<RunnersV1 | null>(null);
  const now = useNow();
  useEffect(() => {
    api<RunnersV1>('/api/runners').then(setState, () => setState({ runners: [], queued: 0 }));
  }, []);
  useLive('runner', (beat) => {
    setState((old) => {
      const others = (old?.runners ?? []).filter((r) => r.runnerId !== beat.runnerId);
      return { queued: old?.queued ?? 0, runners: beat.leaving ? others : [...others, { ...beat, seenAt: beat.at }].sort((a, b) => a.runnerId.localeCompare(b.runnerId)) };
    });
  });
  if (!state) return null;
  return (
    <div class="runners" aria-label="runners">
      {state.runners.length === 0 && <span class="pill bad">no runner is connected</span>}
      {state.runners.map((r) => (
        <span
          key={r.runnerId}
          class={`runner ${r.tmux.ok ? '' : 'bad'}`}
          title={`${r.host} · agents: ${r.agents.join(', ')} · tmux: ${r.tmux.detail} · seen ${age(r.seenAt, now)} ago`}
        >
          <strong>{r.runnerId}</strong> {r.activeRuns}/{r.capacity} running
        </span>
      ))}
      {state.queued > 0 && <span class="pill">{state.queued} waiting for a runner</span>}
    </div>
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
