import { Logger } from '@nestjs/common';
import { PrincipalV1 } from '@patchbay/contracts';
import { createTestDatabase } from '../../../test/support/databases';
import { describeWith } from '../../../test/support/services';
import { AccessStore, PrincipalChange } from './access.store';
import { Database } from './database';

jest.setTimeout(20_000);

describeWith(['postgres'], 'AccessStore', () => {
  let testDb: { url: string; drop: () => Promise<void> };
  let database: Database;
  let store: AccessStore;
  let log: jest.SpyInstance;

  beforeAll(async () => {
    log = jest.spyOn(Logger.prototype, 'log').mockImplementation(() => undefined);
    testDb = await createTestDatabase();
    database = await Database.connect(testDb.url);
    store = new AccessStore(database);
  });

  afterAll(async () => {
    await database?.onApplicationShutdown();
    await testDb?.drop();
    log.mockRestore();
  });

  describe('auditLog search', () => {
    beforeAll(async () => {
      const entries = [
        { actor: 'telegram:42', action: 'prompt', detail: 'progress 100% done' },
        { actor: 'telegram:42', action: 'pair.approve', detail: 'role operator' },
        { actor: 'api:ops', action: 'job.add', detail: 'every 1d' },
        { actor: 'api:ops_team', action: 'binding.attach', detail: 'telegram:-100 (live)' },
        { actor: 'local:me', action: 'principal.role', detail: 'C:\\temp 100x done' },
      ];
      for (const e of entries) await store.audit({ ...e, principalId: null, target: null, decision: 'allow' });
    });

    const actions = async (query: Parameters<AccessStore['auditLog']>[0]) => (await store.auditLog(query)).map((e) => e.action);

    it('matches q as a case-insensitive substring of action, actor or detail, newest first', async () => {
      expect(await actions({ limit: 50, q: 'TELEGRAM' })).toEqual(['binding.attach', 'pair.approve', 'prompt']);
      expect(await actions({ limit: 50, q: 'Approve' })).toEqual(['pair.approve']);
      expect(await actions({ limit: 50, q: 'every' })).toEqual(['job.add']);
      expect(await actions({ limit: 2, q: 'telegram' })).toEqual(['binding.attach', 'pair.approve']);
    });

    it('takes %, _ and \\ in q literally', async () => {
      expect(await actions({ limit: 50, q: '100%' })).toEqual(['prompt']);
      expect(await actions({ limit: 50, q: '%' })).toEqual(['prompt']);
      expect(await actions({ limit: 50, q: 'ops_' })).toEqual(['binding.attach']);
      expect(await actions({ limit: 50, q: '_' })).toEqual(['binding.attach']);
      expect(await actions({ limit: 50, q: 'C:\\temp' })).toEqual(['principal.role']);
      expect(await actions({ limit: 50, q: '\\' })).toEqual(['principal.role']);
    });

    it('filters action and actor exactly, and combines them with q', async () => {
      expect(await actions({ limit: 50, actor: 'api:ops' })).toEqual(['job.add']);
      expect(await actions({ limit: 50, actor: 'API:OPS' })).toEqual([]);
      expect(await actions({ limit: 50, action: 'prompt' })).toEqual(['prompt']);
      expect(await actions({ limit: 50, actor: 'telegram:42', q: 'operator' })).toEqual(['pair.approve']);
      expect(await actions({ limit: 50, action: 'prompt', q: 'operator' })).toEqual([]);
    });
  });

  describe('changePrincipal', () => {
    async function owner(name: string): Promise<PrincipalV1> {
      await store.syncConfig([]);
      const code = `C${name.toUpperCase()}`.padEnd(8, 'X').slice(0, 8);
      const now = new Date();
      await store.createPairing({ code, channel: 'test', platformUserId: name, displayName: name, chatId: null, createdAt: now, expiresAt: new Date(now.getTime() + 60_000) });
      return (await store.approvePairing(code, 'owner', 'local:me', now))!;
    }
    /** The rule PrincipalAdmin applies, reduced: the last owner keeps the role. */
    const demote = (principal: PrincipalV1, owners: number): PrincipalChange => {
      if (principal.role === 'owner' && owners <= 1) throw new Error(`last owner ${principal.name}`);
      return { role: 'viewer' };
    };

    it('lets exactly one of two owners be demoted when both are at once: the owners are locked', async () => {
      const [a, b] = [await owner('ann'), await owner('bea')];
      const results = await Promise.allSettled([store.changePrincipal(a.id, demote), store.changePrincipal(b.id, demote)]);
      expect(results.map((r) => r.status).sort()).toEqual(['fulfilled', 'rejected']);
      const roles = (await store.principals()).filter((p) => [a.id, b.id].includes(p.id)).map((p) => p.role);
      expect(roles.sort()).toEqual(['owner', 'viewer']);
    });

    it('revokes: the identities become unknown senders; the principal as it was comes back', async () => {
      const cid = await owner('cid');
      await owner('dan');
      expect(await store.changePrincipal(cid.id, () => ({ revoke: true }))).toEqual(cid);
      expect(await store.sender('test', 'cid')).toBeNull();
      expect((await store.principals()).map((p) => p.id)).not.toContain(cid.id);
      expect(await store.changePrincipal(cid.id, () => ({ revoke: true }))).toBeNull();
    });
  });
});
