import { TrustPolicy } from './trust-policy';

describe('TrustPolicy', () => {
  let now = 0;
  const permissions: Record<string, string> = { ada: 'admin', bob: 'write', tom: 'read', eve: 'none' };
  const asked: string[] = [];
  const permissionOf = async (repo: string, login: string) => {
    asked.push(`${repo} ${login}`);
    if (login === 'flaky') throw new Error('502');
    return permissions[login] ?? 'none';
  };

  beforeEach(() => {
    now = 0;
    asked.length = 0;
  });

  it('trusts admin and write collaborators, and no one with read or none', async () => {
    const policy = new TrustPolicy([], permissionOf, () => now);
    expect(await policy.check('o/r', 'ada')).toEqual({ trusted: true, reason: 'ada has admin permission on o/r' });
    expect((await policy.check('o/r', 'bob')).trusted).toBe(true);
    expect(await policy.check('o/r', 'tom')).toEqual({ trusted: false, reason: 'tom has read permission on o/r' });
    expect((await policy.check('o/r', 'eve')).trusted).toBe(false);
  });

  it('trusts configured logins without asking, in any case', async () => {
    const policy = new TrustPolicy(['Eve'], permissionOf, () => now);
    expect(await policy.check('o/r', 'eve')).toEqual({ trusted: true, reason: 'eve is in github.trustedLogins' });
    expect(asked).toEqual([]);
  });

  it('asks once per repository and login within the ttl, then again', async () => {
    const policy = new TrustPolicy([], permissionOf, () => now, 1_000);
    await policy.check('o/r', 'bob');
    await policy.check('O/R', 'Bob');
    await policy.check('o/other', 'bob');
    now = 1_000;
    await policy.check('o/r', 'bob');
    expect(asked).toEqual(['o/r bob', 'o/other bob', 'o/r bob']);
  });

  it('does not remember a failed lookup', async () => {
    const policy = new TrustPolicy([], permissionOf, () => now);
    await expect(policy.check('o/r', 'flaky')).rejects.toThrow('502');
    await expect(policy.check('o/r', 'flaky')).rejects.toThrow('502');
    expect(asked).toHaveLength(2);
  });
});
