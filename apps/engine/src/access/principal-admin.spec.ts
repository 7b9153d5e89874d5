import { PrincipalV1 } from '@patchbay/contracts';
import { AccessStore, PrincipalChange } from '@patchbay/persistence';
import { strictDouble } from '../../../../test/support/strict-double';
import { PrincipalAdmin } from './principal-admin';
import { refusal } from '../../../../test/support/refusal';

const ada: PrincipalV1 = { id: 'p1ada', name: 'Ada', role: 'owner', identities: ['telegram:42'], fromConfig: false };

/**
 * PrincipalAdmin's rules on a strict AccessStore double whose changePrincipal hands the
 * rule the principal and the owner count it would see under its lock, and records what
 * the rule decided.
 */
describe('PrincipalAdmin', () => {
  function admin(principal: PrincipalV1 | null, owners: number) {
    const decided: PrincipalChange[] = [];
    const store = strictDouble<AccessStore>('AccessStore', {
      changePrincipal: async (_id: string, decide: (p: PrincipalV1, owners: number) => PrincipalChange) => {
        if (!principal) return null;
        decided.push(decide(principal, owners));
        return principal;
      },
      audit: async () => undefined,
    });
    return { admin: new PrincipalAdmin(store), store, decided };
  }

  it('changes a role and audits who did it, from what to what', async () => {
    const { admin: a, store, decided } = admin(ada, 2);
    expect(await a.setRole({ principalId: 'p1ada', role: 'viewer', by: 'api:ops' })).toEqual({ ...ada, role: 'viewer' });
    expect(decided).toEqual([{ role: 'viewer' }]);
    expect(store.calls.at(-1)).toEqual([
      'audit',
      [{ actor: 'api:ops', principalId: null, action: 'principal.role', target: 'principal:p1ada', decision: 'allow', detail: 'Ada (telegram:42): owner → viewer' }],
    ]);
  });

  it("refuses to change the last owner's role, and to revoke it, and writes nothing", async () => {
    for (const attempt of [
      (a: PrincipalAdmin) => a.setRole({ principalId: 'p1ada', role: 'operator', by: 'api:ops' }),
      (a: PrincipalAdmin) => a.revoke({ principalId: 'p1ada', by: 'api:ops' }),
    ]) {
      const { admin: a, store, decided } = admin(ada, 1);
      const error = await refusal(attempt(a));
      expect(error.code).toBe('last_owner');
      expect(error.message).toMatch(/Ada \(telegram:42\): it is the last owner; make another principal an owner first/);
      expect(decided).toEqual([]);
      expect(store.calls.map(([name]) => name)).toEqual(['changePrincipal']);
    }
  });

  it('lets the last owner stay an owner, and demotes an owner when another is left', async () => {
    expect((await admin(ada, 1).admin.setRole({ principalId: 'p1ada', role: 'owner', by: 'api:ops' })).role).toBe('owner');
    expect((await admin(ada, 2).admin.setRole({ principalId: 'p1ada', role: 'operator', by: 'api:ops' })).role).toBe('operator');
  });

  it('revokes any principal but the last owner, and audits what it was', async () => {
    const bob: PrincipalV1 = { id: 'p2bob', name: 'Bob', role: 'operator', identities: ['discord:7', 'github:bob'], fromConfig: false };
    const { admin: a, store, decided } = admin(bob, 1);
    expect(await a.revoke({ principalId: 'p2bob', by: 'local:me' })).toEqual(bob);
    expect(decided).toEqual([{ revoke: true }]);
    expect(store.calls.at(-1)![1][0]).toMatchObject({
      actor: 'local:me',
      action: 'principal.revoke',
      target: 'principal:p2bob',
      detail: 'Bob (discord:7, github:bob), was operator',
    });
  });

  it('refuses principals patchbay.yaml lists: the file would undo the change', async () => {
    const listed = { ...ada, role: 'viewer' as const, fromConfig: true };
    const error = await refusal(admin(listed, 3).admin.setRole({ principalId: 'p1ada', role: 'operator', by: 'api:ops' }));
    expect(error.code).toBe('from_config');
    expect(error.message).toMatch(/patchbay\.yaml lists it under access:, change it there/);
    expect((await refusal(admin(listed, 3).admin.revoke({ principalId: 'p1ada', by: 'api:ops' }))).code).toBe('from_config');
  });

  it('names an unknown principal', async () => {
    const error = await refusal(admin(null, 1).admin.revoke({ principalId: 'nope1', by: 'api:ops' }));
    expect([error.code, error.message]).toEqual(['not_found', 'no principal nope1']);
  });
});
