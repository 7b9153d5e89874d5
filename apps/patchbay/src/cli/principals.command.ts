import { PrincipalV1, Role } from '@patchbay/contracts';
import { ApiClient } from './api-client';

/** `patchbay role <principal> <role>`: the principal by id or by one of its identities (`telegram:42`). */
export async function roleCommand(api: ApiClient, principal: string, role: string): Promise<number> {
  if (!Role.safeParse(role).success) {
    process.stderr.write(`patchbay: role must be one of ${Role.options.join(', ')}, not "${role}"\n`);
    return 2;
  }
  const found = await findPrincipal(api, principal);
  if (!found) return unknown(principal);
  const changed = await api.post<PrincipalV1>(`/api/principals/${found.id}/role`, { role });
  process.stdout.write(`${changed.name} (${changed.identities.join(', ')}) is now ${changed.role}\n`);
  return 0;
}

/** `patchbay revoke <principal>`: its identities become unknown senders again. */
export async function revokeCommand(api: ApiClient, principal: string): Promise<number> {
  const found = await findPrincipal(api, principal);
  if (!found) return unknown(principal);
  const revoked = await api.delete<PrincipalV1>(`/api/principals/${found.id}`);
  process.stdout.write(`${revoked.name} (${revoked.identities.join(', ')}) was ${revoked.role}; revoked\n`);
  return 0;
}

async function findPrincipal(api: ApiClient, ref: string): Promise<PrincipalV1 | undefined> {
  const { principals } = await api.get<{ principals: PrincipalV1[] }>('/api/principals');
  return principals.find((p) => p.id === ref || p.identities.includes(ref));
}

function unknown(ref: string): number {
  process.stderr.write(`patchbay: no principal "${ref}" (give its id or an identity like telegram:42)\n`);
  return 1;
}
