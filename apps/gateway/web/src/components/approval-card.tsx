import { useState } from 'preact/hooks';
import { api, ApiError } from '../api';
import type { ApprovalV1 } from '../types';

interface Props {
  approval: ApprovalV1;
  /** The viewer's role may answer (operators and owners); others see the request only. */
  canAnswer: boolean;
  showSession?: boolean;
  onDecided(approval: ApprovalV1): void;
}

/** One approval request: the tool and its summary, and Allow once, Allow for this session, Deny. */
export function ApprovalCard({ approval, canAnswer, showSession, onDecided }: Props) {
  const [reason, setReason] = useState('');
  const [error, setError] = useState('');
  const answer = async (decision: 'allow_once' | 'allow_session' | 'deny') => {
    try {
      onDecided(await api<ApprovalV1>(`/api/approvals/${approval.id}`, { method: 'POST', body: { decision, ...(decision === 'deny' && reason ? { reason } : {}) } }));
    } catch (failure) {
      setError(failure instanceof ApiError ? failure.message : String(failure));
    }
  };
  return (
    <article class="approval" data-approval={approval.id}>
      <header>
        🔐 {approval.agent} asks to use <strong>{approval.tool}</strong>
        {showSession && (
          <>
            {' '}
            in <a href={`#/session/${approval.sessionId}`}>{approval.sessionId}</a>
          </>
        )}
        <span class="muted"> · denied at {new Date(approval.expiresAt).toLocaleTimeString()} if nobody answers</span>
      </header>
      <pre>{approval.summary}</pre>
      {canAnswer && (
        <div class="answers">
          <button onClick={() => answer('allow_once')}>Allow once</button>
          {approval.scope !== null && <button onClick={() => answer('allow_session')}>Allow for this session</button>}
          <input aria-label="reason" placeholder="reason (for Deny)" value={reason} onInput={(e) => setReason(e.currentTarget.value)} />
          <button class="danger" onClick={() => answer('deny')}>
            Deny
          </button>
        </div>
      )}
      {error && <p class="error">{error}</p>}
    </article>
  );
}
