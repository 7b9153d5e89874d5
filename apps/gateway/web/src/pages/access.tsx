import { useState } from 'preact/hooks';
import { api } from '../api';
import { useAction, useApi } from '../components/use-api';
import type { PageProps } from '../routes';
import type { AuditEntryV1, PairingRequestV1, PrincipalV1, Role } from '../types';
import { TableHead } from '../components/table-head';

const ROLES: Role[] = ['viewer', 'operator', 'owner'];

/** Owners only: who asks to pair, who may do what, and the audit log. */
export function AccessPage(_: PageProps) {
  const [reload, setReload] = useState(0);
  const again = () => setReload((n) => n + 1);
  return (
    <section>
      <Pairing reload={reload} onChange={again} />
      <Principals reload={reload} onChange={again} />
      <Audit reload={reload} />
    </section>
  );
}

function RoleSelect({ value, onChange, label }: { value: Role; onChange(role: Role): void; label: string }) {
  return (
    <select aria-label={label} value={value} onChange={(e) => onChange(e.currentTarget.value as Role)}>
      {ROLES.map((role) => (
        <option key={role}>{role}</option>
      ))}
    </select>
  );
}

/** Senders waiting to be let in: approve with a role. */
function Pairing({ reload, onChange }: { reload: number; onChange(): void }) {
  const { data, error } = useApi<{ pending: PairingRequestV1[] }>('/api/pairing', reload);
  const [roles, setRoles] = useState<Record<string, Role>>({});
  const action = useAction(onChange);
  return (
    <>
      <h2>Pairing requests</h2>
      {(error || action.error) && <p class="error">{error || action.error}</p>}
      {data && data.pending.length === 0 && <p class="muted">Nobody is waiting to pair.</p>}
      <ul class="pairing">
        {(data?.pending ?? []).map((request) => (
          <li key={request.code} data-pairing={request.code}>
            <strong>{request.displayName ?? request.platformUserId}</strong> on {request.channel}{' '}
            <span class="muted">
              (code {request.code}, until {new Date(request.expiresAt).toLocaleTimeString()})
            </span>{' '}
            <RoleSelect label={`role for ${request.code}`} value={roles[request.code] ?? 'operator'} onChange={(role) => setRoles({ ...roles, [request.code]: role })} />{' '}
            <button
              onClick={() =>
                action.run(() => api(`/api/pairing/${encodeURIComponent(request.code)}/approve`, { method: 'POST', body: { role: roles[request.code] ?? 'operator' } }))
              }
            >
              Approve
            </button>
          </li>
        ))}
      </ul>
    </>
  );
}

/** Everyone Patchbay knows, with their role: change it, or revoke them. */
function Principals({ reload, onChange }: { reload: number; onChange(): void }) {
  const { data, error } = useApi<{ principals: PrincipalV1[] }>('/api/principals', reload);
  const action = useAction(onChange);
  const path = (p: PrincipalV1) => `/api/principals/${encodeURIComponent(p.id)}`;
  return (
    <>
      <h2>People and roles</h2>
      {(error || action.error) && <p class="error">{error || action.error}</p>}
      <table class="list">
        <TableHead columns={['name', 'identities', 'role', '']} />
        <tbody>
          {(data?.principals ?? []).map((p) => (
            <tr key={p.id} data-principal={p.id}>
              <td>{p.name}</td>
              <td>{p.identities.join(', ')}</td>
              <td>
                {p.fromConfig ? (
                  <span title="set in patchbay.yaml">{p.role} (config)</span>
                ) : (
                  <RoleSelect label={`role of ${p.name}`} value={p.role} onChange={(role) => action.run(() => api(`${path(p)}/role`, { method: 'POST', body: { role } }))} />
                )}
              </td>
              <td>
                {!p.fromConfig && (
                  <button class="danger" onClick={() => confirm(`Revoke ${p.name}?`) && action.run(() => api(path(p), { method: 'DELETE' }))}>
                    Revoke
                  </button>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </>
  );
}

/** The audit log, newest first, searched by the engine. */
function Audit({ reload }: { reload: number }) {
  const [query, setQuery] = useState({ q: '', action: '', actor: '' });
  const [asked, setAsked] = useState(query);
  const params = new URLSearchParams(Object.entries({ ...asked, limit: '200' }).filter(([, v]) => v));
  const { data, error } = useApi<{ entries: AuditEntryV1[] }>(`/api/audit?${params}`, reload);
  const field = (name: keyof typeof query, label: string) => (
    <input aria-label={label} placeholder={label} value={query[name]} onInput={(e) => setQuery({ ...query, [name]: e.currentTarget.value })} />
  );
  return (
    <>
      <h2>Audit log</h2>
      <form
        class="filters"
        onSubmit={(e) => {
          e.preventDefault();
          setAsked(query);
        }}
      >
        {field('q', 'search the audit log')}
        {field('action', 'action')}
        {field('actor', 'actor')}
        <button type="submit">Search</button>
      </form>
      {error && <p class="error">{error}</p>}
      <table class="list audit">
        <TableHead columns={['when', 'who', 'action', 'target', 'decision', 'detail']} />
        <tbody>
          {(data?.entries ?? []).map((entry, i) => (
            <tr key={`${entry.at}-${i}`} class={entry.decision}>
              <td>{new Date(entry.at).toLocaleString()}</td>
              <td>{entry.actor}</td>
              <td>{entry.action}</td>
              <td>{entry.target ?? ''}</td>
              <td>{entry.decision}</td>
              <td>{entry.detail ?? ''}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {data && data.entries.length === 0 && <p class="muted">No entries match.</p>}
    </>
  );
}
