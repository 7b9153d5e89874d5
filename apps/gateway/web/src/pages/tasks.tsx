import { Fragment } from 'preact';
import { useState } from 'preact/hooks';
import { useApi } from '../components/use-api';
import type { PageProps } from '../routes';
import { age, useNow } from '../time';
import type { TaskV1 } from '../types';
import { TableHead } from '../components/table-head';

/** Recent tasks, newest first; one opened shows each state change it went through. */
export function TasksPage(_: PageProps) {
  const [status, setStatus] = useState('');
  const [open, setOpen] = useState<string | null>(null);
  const { data, error } = useApi<{ tasks: TaskV1[] }>('/api/tasks?limit=200');
  const now = useNow(5000);
  const tasks = (data?.tasks ?? []).filter((t) => !status || t.status === status);
  return (
    <section>
      <h2>Tasks</h2>
      <div class="filters">
        <select aria-label="status" value={status} onChange={(e) => setStatus(e.currentTarget.value)}>
          <option value="">any status</option>
          {[...new Set((data?.tasks ?? []).map((t) => t.status))].sort().map((s) => (
            <option key={s}>{s}</option>
          ))}
        </select>
      </div>
      {error && <p class="error">{error}</p>}
      <table class="list">
        <TableHead columns={['task', 'status', 'agent', 'from', 'prompt', 'age']} />
        <tbody>
          {tasks.map((task) => (
            <Fragment key={task.id}>
              <tr data-task={task.id}>
                <td>
                  <button class="link" aria-expanded={open === task.id} onClick={() => setOpen(open === task.id ? null : task.id)}>
                    {task.id}
                  </button>
                </td>
                <td class={`status ${task.status}`}>{task.status}</td>
                <td>{task.agent}</td>
                <td>{task.channel}</td>
                <td class="task">
                  <a href={`#/session/${task.sessionId}`}>{task.prompt.slice(0, 120)}</a>
                </td>
                <td>{age(task.createdAt, now)}</td>
              </tr>
              {open === task.id && (
                <tr>
                  <td colSpan={6}>
                    <TaskHistory id={task.id} />
                  </td>
                </tr>
              )}
            </Fragment>
          ))}
        </tbody>
      </table>
      {tasks.length === 0 && <p class="muted">No tasks.</p>}
    </section>
  );
}

function TaskHistory({ id }: { id: string }) {
  const { data, error } = useApi<TaskV1>(`/api/tasks/${encodeURIComponent(id)}`);
  if (error) return <p class="error">{error}</p>;
  if (!data) return <p class="muted">Loading…</p>;
  return (
    <ol class="history">
      {(data.history ?? []).map((step) => (
        <li>
          {new Date(step.at).toLocaleString()}: {step.from ?? 'start'} → <strong>{step.to}</strong>
          {step.by && ` by ${step.by}`}
          {step.reason && <span class="muted"> ({step.reason})</span>}
        </li>
      ))}
      {data.error && <li class="error">{data.error}</li>}
    </ol>
  );
}
