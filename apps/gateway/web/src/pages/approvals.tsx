import { useEffect, useState } from 'preact/hooks';
import { api, may } from '../api';
import { ApprovalCard } from '../components/approval-card';
import type { PageProps } from '../routes';
import type { ApprovalV1 } from '../types';

/** What agents wait for a person to allow, across sessions; refreshed every 3 s. */
export function ApprovalsPage({ me }: PageProps) {
  const [approvals, setApprovals] = useState<ApprovalV1[]>([]);
  const [error, setError] = useState('');
  useEffect(() => {
    const load = () =>
      api<{ approvals: ApprovalV1[] }>('/api/approvals').then(
        (answer) => (setApprovals(answer.approvals), setError('')),
        (failure: Error) => setError(failure.message),
      );
    void load();
    const timer = setInterval(load, 3000);
    return () => clearInterval(timer);
  }, []);
  return (
    <section>
      <h2>Waiting for an answer</h2>
      {error && <p class="error">{error}</p>}
      {approvals.length === 0 && <p class="muted">Nothing waits for an answer.</p>}
      {approvals.map((approval) => (
        <ApprovalCard key={approval.id} approval={approval} canAnswer={may(me.role, 'approve')} showSession onDecided={(a) => setApprovals((all) => all.filter((x) => x.id !== a.id))} />
      ))}
    </section>
  );
}
