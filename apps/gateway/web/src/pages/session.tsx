import { useEffect, useRef, useState } from 'preact/hooks';
import { api, ApiError, may } from '../api';
import { ApprovalCard } from '../components/approval-card';
import { Bindings } from '../components/bindings';
import { lazyComponent } from '../components/lazy';
import { OutputView } from '../components/event-view';
import { useLive } from '../live';
import type { PageProps } from '../routes';
import { follow } from '../sse';
import { age, useNow } from '../time';
import type { ApprovalV1, OutputEventV1, SessionSummaryV1, WhoAmI } from '../types';
import { webChat } from './overview';

const TerminalView = lazyComponent(
  () => import('../components/terminal-view').then((m) => m.TerminalView),
  () => <p class="muted">Loading the terminal…</p>,
);

/**
 * One session: what it is doing, its output (the transcript first, then live), what waits
 * for approval, its chats, a message box, Stop and Kill, and its terminal.
 */
export function SessionPage({ me, params }: PageProps) {
  const id = params.id;
  const [summary, setSummary] = useState<SessionSummaryV1 | null>(null);
  const [tab, setTab] = useState<'output' | 'terminal'>('output');
  const [notice, setNotice] = useState('');
  const output = useOutput(id);
  const now = useNow();
  useEffect(() => {
    setSummary(null);
    api<SessionSummaryV1>(`/api/sessions/${encodeURIComponent(id)}`).then(setSummary, (failure: Error) => setNotice(failure.message));
  }, [id]);
  useLive('session', (changed) => {
    if (changed.id !== id) return;
    setSummary(changed);
    // Work came in from elsewhere (a chat, a job): follow it.
    if (changed.status === 'running') output.wake();
  });
  const control = async (action: 'stop' | 'kill') => {
    try {
      setNotice((await api<{ detail: string }>(`/api/sessions/${encodeURIComponent(id)}/${action}`, { method: 'POST', body: {} })).detail);
    } catch (failure) {
      setNotice(failure instanceof ApiError ? failure.message : String(failure));
    }
  };
  const waiting = Object.values(output.approvals).filter((a) => a.status === 'pending');
  return (
    <section class="session">
      <h2>
        Session {id} <span class={`pill ${output.live ? 'ok' : ''}`}>{output.live ? 'live' : 'ended'}</span>
      </h2>
      {summary && (
        <p class="facts">
          <span class={`status ${summary.status}`}>{summary.status}</span> · {summary.agent}
          {summary.model && ` (${summary.model})`} · runner {summary.runnerId ?? 'none'}
          {summary.task && (
            <>
              {' '}
              · task <span class={`status ${summary.task.status}`}>{summary.task.status}</span> {age(summary.task.startedAt ?? summary.task.createdAt, now)}: {summary.task.prompt}
            </>
          )}
        </p>
      )}
      {may(me.role, 'stop') && (
        <div class="controls">
          <button onClick={() => control('stop')}>Stop</button>
          <button class="danger" onClick={() => control('kill')}>
            Kill
          </button>
          {notice && <span class="muted">{notice}</span>}
        </div>
      )}
      {waiting.map((approval) => (
        <ApprovalCard key={approval.id} approval={approval} canAnswer={may(me.role, 'approve')} onDecided={output.decided} />
      ))}
      <div class="tabs" role="tablist">
        {(['output', 'terminal'] as const).map((name) => (
          <button role="tab" aria-selected={tab === name} class={tab === name ? 'active' : ''} onClick={() => setTab(name)}>
            {name === 'output' ? 'Output' : 'Terminal'}
          </button>
        ))}
      </div>
      {tab === 'output' ? <OutputView events={output.events} /> : <TerminalView sessionId={id} canType={may(me.role, 'input')} />}
      {may(me.role, 'prompt') && <MessageBox me={me} session={summary} terminal={tab === 'terminal'} onSent={(detail) => (setNotice(detail), output.wake())} />}
      {summary && <Bindings session={summary} canChange={may(me.role, 'prompt')} onChange={(bindings) => setSummary({ ...summary, bindings })} />}
    </section>
  );
}

/**
 * The session's output stream. The API ends a stream after each run's last event; the page
 * follows on from the last seq it has while more comes, and is woken when new work starts.
 */
function useOutput(id: string) {
  const [events, setEvents] = useState<OutputEventV1[]>([]);
  const [approvals, setApprovals] = useState<Record<string, ApprovalV1>>({});
  const [live, setLive] = useState(true);
  const stream = useRef<{ stop?: () => void; lastSeq: string; open: boolean; got: boolean }>({ lastSeq: '', open: false, got: false });
  const connect = () => {
    const state = stream.current;
    if (state.open) return;
    state.open = true;
    state.got = false;
    setLive(true);
    state.stop = follow(
      `/api/sessions/${encodeURIComponent(id)}/events`,
      {
        onEvent: (type, data, eventId) => {
          if (type === 'approval') {
            const approval = data as ApprovalV1;
            setApprovals((all) => ({ ...all, [approval.id]: approval }));
            return;
          }
          state.got = true;
          state.lastSeq = eventId;
          setEvents((all) => [...all, data as OutputEventV1]);
        },
        onEnd: () => {
          state.open = false;
          setLive(false);
        },
      },
      {
        types: ['message', 'approval'],
        after: state.lastSeq,
        // A stream that brought events may have ended at one run's end: ask for what follows.
        resume: () => (state.got ? ((state.got = false), 0) : false),
      },
    );
  };
  useEffect(() => {
    stream.current = { lastSeq: '', open: false, got: false };
    setEvents([]);
    setApprovals({});
    connect();
    return () => stream.current.stop?.();
  }, [id]);
  return {
    events,
    approvals,
    live,
    wake: connect,
    decided: (approval: ApprovalV1) => setApprovals((all) => ({ ...all, [approval.id]: approval })),
  };
}

/**
 * A prompt for the session, sent from a chat of this browser's own that is attached to the
 * session first; or, on the terminal tab, text typed into the live terminal.
 */
function MessageBox({ me, session, terminal, onSent }: { me: WhoAmI; session: SessionSummaryV1 | null; terminal: boolean; onSent(detail: string): void }) {
  const [text, setText] = useState('');
  const [error, setError] = useState('');
  const send = async (event: Event) => {
    event.preventDefault();
    if (!session || !text.trim()) return;
    const path = `/api/sessions/${encodeURIComponent(session.id)}`;
    try {
      if (terminal) {
        onSent((await api<{ detail: string }>(`${path}/input`, { method: 'POST', body: { text } })).detail);
      } else {
        let chat = session.bindings.find((b) => b.channel === me.actor && b.chatId.startsWith('web-'))?.chatId;
        if (!chat) {
          chat = webChat();
          await api(`${path}/bindings`, { method: 'POST', body: { channel: me.actor, chatId: chat } });
        }
        const accepted = await api<{ reply?: string }>('/api/messages', { method: 'POST', body: { text, chat } });
        onSent(accepted.reply ?? 'sent');
      }
      setText('');
      setError('');
    } catch (failure) {
      setError(failure instanceof ApiError ? failure.message : String(failure));
    }
  };
  return (
    <form class="send" onSubmit={send}>
      <textarea
        aria-label={terminal ? 'terminal input' : 'prompt'}
        rows={2}
        placeholder={terminal ? 'Text to type into the terminal (Enter is pressed after it)' : 'A prompt for this session (Ctrl+Enter sends)'}
        value={text}
        onInput={(e) => setText(e.currentTarget.value)}
        onKeyDown={(e) => e.key === 'Enter' && e.ctrlKey && send(e)}
      />
      <button type="submit">{terminal ? 'Type' : 'Send'}</button>
      {error && <p class="error">{error}</p>}
    </form>
  );
}
