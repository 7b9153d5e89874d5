import { PairingRequestV1, PrincipalV1 } from '@patchbay/contracts';
import { ApiClient } from './api-client';
import { printTable } from './table';

/** `patchbay pair [list]` and `patchbay pair approve <code> [--role operator|viewer|owner]`. */
export async function pairCommand(api: ApiClient, args: string[], role: string | undefined): Promise<number> {
  const [verb = 'list', code] = args;
  if (verb === 'list' && args.length <= 1) {
    const { pending } = await api.get<{ pending: PairingRequestV1[] }>('/api/pairing');
    printTable(
      ['CODE', 'WHO', 'NAME', 'EXPIRES'],
      pending.map((p) => [p.code, `${p.channel}:${p.platformUserId}`, p.displayName ?? '-', p.expiresAt]),
      '(no pairing requests waiting)',
    );
    return 0;
  }
  if (verb === 'approve' && code && args.length === 2) {
    const principal = await api.post<PrincipalV1>(`/api/pairing/${encodeURIComponent(code)}/approve`, role ? { role } : {});
    process.stdout.write(`${principal.name} (${principal.identities.join(', ')}) is now ${principal.role}\n`);
    return 0;
  }
  process.stderr.write('usage: patchbay pair [list] | patchbay pair approve <code> [--role operator|viewer|owner]\n');
  return 2;
}
