import { useState } from 'preact/hooks';
import { api, may } from '../api';
import { useAction, useApi } from '../components/use-api';
import type { PageProps } from '../routes';
import type { JobRunV1, JobSpecV1, JobV1 } from '../types';
import { TableHead } from '../components/table-head';

const when = (iso: string | null) => (iso ? new Date(iso).toLocaleString() : '—');
const scheduleOf = (job: JobV1) => (job.cron ? `cron ${job.cron}${job.tz ? ` (${job.tz})` : ''}` : job.every ? `every ${job.every}` : `at ${when(job.at)}`);

/** Scheduled jobs: their schedule and next run, enable or disable, run now, the run log; owners add and remove. */
export function JobsPage({ me }: PageProps) {
  const [reload, setReload] = useState(0);
  const [open, setOpen] = useState<string | null>(null);
  const { data, error } = useApi<{ jobs: JobV1[] }>('/api/jobs', reload);
  const action = useAction(() => setReload((n) => n + 1));
  const admin = may(me.role, 'admin');
  const path = (job: JobV1, rest = '') => `/api/jobs/${encodeURIComponent(job.name)}${rest}`;
  return (
    <section>
      <h2>Jobs</h2>
      {admin && <AddJob onAdded={() => setReload((n) => n + 1)} />}
      {(error || action.error) && <p class="error">{error || action.error}</p>}
      <table class="list">
        <TableHead columns={['job', 'schedule', 'next run', 'last run', 'prompt', '']} />
        <tbody>
          {(data?.jobs ?? []).map((job) => (
            <tr key={job.id} data-job={job.name} class={job.enabled ? '' : 'disabled'}>
              <td>
                <button class="link" onClick={() => setOpen(open === job.name ? null : job.name)}>
                  {job.name}
                </button>
                {!job.enabled && <span class="muted"> (disabled)</span>}
              </td>
              <td>{scheduleOf(job)}</td>
              <td>{job.enabled ? when(job.nextRunAt) : '—'}</td>
              <td>{when(job.lastRunAt)}</td>
              <td class="task">{job.prompt.slice(0, 100)}</td>
              <td class="row-actions">
                {admin && (
                  <>
                    <button onClick={() => action.run(() => api(path(job, '/run'), { method: 'POST', body: {} }).then(() => setOpen(job.name)))}>Run now</button>
                    <button onClick={() => action.run(() => api(path(job, job.enabled ? '/disable' : '/enable'), { method: 'POST', body: {} }))}>
                      {job.enabled ? 'Disable' : 'Enable'}
                    </button>
                    <button class="danger" onClick={() => confirm(`Remove the job ${job.name}?`) && action.run(() => api(path(job), { method: 'DELETE' }))}>
                      Remove
                    </button>
                  </>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {data && data.jobs.length === 0 && <p class="muted">No jobs yet.</p>}
      {data?.jobs
        .filter((job) => job.name === open)
        .map((job) => (
          <JobRuns key={job.id} job={job} reload={reload} />
        ))}
    </section>
  );
}

/** A job's next slots, and its run log, newest first. */
function JobRuns({ job, reload }: { job: JobV1; reload: number }) {
  const { data, error } = useApi<{ runs: JobRunV1[] }>(`/api/jobs/${encodeURIComponent(job.name)}/runs`, reload);
  return (
    <div class="runs">
      <h3>Next runs of {job.name}</h3>
      {job.upcoming.length === 0 ? (
        <p class="muted">None: the job is {job.enabled ? 'done' : 'disabled'}.</p>
      ) : (
        <ol class="upcoming">
          {job.upcoming.map((slot) => (
            <li key={slot}>{when(slot)}</li>
          ))}
        </ol>
      )}
      <h3>Runs of {job.name}</h3>
      {error && <p class="error">{error}</p>}
      {data && data.runs.length === 0 && <p class="muted">It has not run yet.</p>}
      <ul>
        {(data?.runs ?? []).map((run) => (
          <li key={run.id} data-run={run.id}>
            {when(run.firedAt)} · {run.trigger} · <strong>{run.outcome}</strong>
            {run.duplicate && ' (already taken)'}
            {run.sessionId && (
              <>
                {' '}
                · <a href={`#/session/${run.sessionId}`}>session {run.sessionId}</a>
              </>
            )}
            {run.error && <span class="error"> {run.error}</span>}
          </li>
        ))}
      </ul>
    </div>
  );
}

/** A new job: a name, one kind of schedule, a prompt, and optionally an agent. */
function AddJob({ onAdded }: { onAdded(): void }) {
  const [form, setForm] = useState({ name: '', kind: 'every' as 'every' | 'cron' | 'at', schedule: '', prompt: '', agent: '' });
  const action = useAction(() => (setForm({ ...form, name: '', schedule: '', prompt: '' }), onAdded()));
  const field = (name: 'name' | 'schedule' | 'prompt' | 'agent', label: string, placeholder = '') => (
    <input aria-label={label} placeholder={placeholder || label} value={form[name]} onInput={(e) => setForm({ ...form, [name]: e.currentTarget.value })} />
  );
  const add = (event: Event) => {
    event.preventDefault();
    void action.run(() => {
      const spec: Partial<JobSpecV1> = { name: form.name.trim(), prompt: form.prompt };
      if (form.kind !== 'at') spec[form.kind] = form.schedule.trim();
      else if (Number.isNaN(Date.parse(form.schedule))) throw new Error('once at: pick a date and time');
      else spec.at = new Date(form.schedule).toISOString();
      if (form.agent.trim()) spec.agent = form.agent.trim();
      return api('/api/jobs', { method: 'POST', body: spec });
    });
  };
  return (
    <form class="add-job" onSubmit={add}>
      {field('name', 'job name', 'name (e.g. nightly-report)')}
      <select aria-label="schedule kind" value={form.kind} onChange={(e) => setForm({ ...form, kind: e.currentTarget.value as typeof form.kind })}>
        <option value="every">every</option>
        <option value="cron">cron</option>
        <option value="at">once at</option>
      </select>
      {form.kind === 'at' ? (
        <input aria-label="schedule" type="datetime-local" value={form.schedule} onInput={(e) => setForm({ ...form, schedule: e.currentTarget.value })} />
      ) : (
        field('schedule', 'schedule', form.kind === 'every' ? '15m, 2h, 1d' : '0 9 * * 1-5')
      )}
      {field('prompt', 'job prompt', 'prompt')}
      {field('agent', 'agent', 'agent (default)')}
      <button type="submit">Add job</button>
      {action.error && <p class="error">{action.error}</p>}
    </form>
  );
}
