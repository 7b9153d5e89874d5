import { useEffect, useState } from 'preact/hooks';
import { api, may } from '../api';
import { ApprovalCard } from '../components/approval-card';
import { useLive } from '../live';
import type { PageProps } from '../routes';
import type { ApprovalV1 } from '../types';

/** What agents wait for a person to allow, across sessions, live: an answer from anywhere takes it away. */
export function ApprovalsPage({ me }: PageProps) {
  const [approvals, setApprovals] = useState<ApprovalV1[]>([]);
  const [error, setError] = useState('');
  useEffect(() => {
    api<{ approvals: ApprovalV1[] }>('/api/approvals').then(
      (answer) => setApprovals(answer.approvals),
      (failure: Error) => setError(failure.message),
    );
  }, []);
  const settle = (approval: ApprovalV1) => setApprovals((all) => [...all.filter((a) => a.id !== approval.id), ...(approval.status === 'pending' ? [approval] : [])]);
  useLive('approval', settle);
  return (
    <section>
      <h2>Waiting for an answer</h2>
      {error && <p class="error">{error}</p>}
      {approvals.length === 0 && <p class="muted">Nothing waits for an answer.</p>}
      {approvals.map((approval) => (
        <ApprovalCard key={approval.id} approval={approval} canAnswer={may(me.role, 'approve')} showSession onDecided={settle} />
      ))}
    </section>
  );
}
