import { useEffect, useState } from 'preact/hooks';
import { api, ApiError, may } from '../api';
import { ApprovalCard } from '../components/approval-card';
import { EventView } from '../components/event-view';
import type { PageProps } from '../routes';
import { follow } from '../sse';
import type { ApprovalV1, OutputEventV1 } from '../types';

/** One session: its output as it streams (the transcript first), what waits for approval, Stop and Kill. */
export function SessionPage({ me, params }: PageProps) {
  const id = params.id;
  const [events, setEvents] = useState<OutputEventV1[]>([]);
  const [approvals, setApprovals] = useState<Record<string, ApprovalV1>>({});
  const [live, setLive] = useState(true);
  const [notice, setNotice] = useState('');
  useEffect(() => {
    setEvents([]);
    setApprovals({});
    setLive(true);
    return follow(
      `/api/sessions/${encodeURIComponent(id)}/events`,
      {
        onEvent: (type, data) => {
          if (type === 'approval') {
            const approval = data as ApprovalV1;
            setApprovals((all) => ({ ...all, [approval.id]: approval }));
          } else setEvents((all) => [...all, data as OutputEventV1]);
        },
        onEnd: () => setLive(false),
      },
      ['message', 'approval'],
    );
  }, [id]);
  const control = async (action: 'stop' | 'kill') => {
    try {
      const answer = await api<{ detail: string }>(`/api/sessions/${encodeURIComponent(id)}/${action}`, { method: 'POST', body: {} });
      setNotice(answer.detail);
    } catch (failure) {
      setNotice(failure instanceof ApiError ? failure.message : String(failure));
    }
  };
  const waiting = Object.values(approvals).filter((a) => a.status === 'pending');
  return (
    <section class="session">
      <h2>
        Session {id} <span class={`pill ${live ? 'ok' : ''}`}>{live ? 'live' : 'ended'}</span>
      </h2>
      {may(me.role, 'prompt') && (
        <div class="controls">
          <button onClick={() => control('stop')}>Stop</button>
          <button class="danger" onClick={() => control('kill')}>
            Kill
          </button>
          {notice && <span class="muted">{notice}</span>}
        </div>
      )}
      {waiting.map((approval) => (
        <ApprovalCard key={approval.id} approval={approval} canAnswer={may(me.role, 'approve')} onDecided={(a) => setApprovals((all) => ({ ...all, [a.id]: a }))} />
      ))}
      <div class="output" role="log">
        {events.map((event) => (
          <EventView key={event.seq} event={event} />
        ))}
      </div>
    </section>
  );
}
