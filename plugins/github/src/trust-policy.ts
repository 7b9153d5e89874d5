import { PERMISSION_TTL_MS } from './github.constants';

export type TrustDecision = { trusted: boolean; reason: string };

/** Permissions that let someone start runs (`maintain` is reported as `write`). */
const WRITE: ReadonlySet<string> = new Set(['admin', 'write']);

/**
 * Who may make agents run from GitHub: the configured logins, and collaborators with write
 * permission on the repository (asked through the API, remembered PERMISSION_TTL_MS).
 * Everyone else is untrusted. A failed permission lookup is not remembered.
 */
export class TrustPolicy {
  private readonly logins: ReadonlySet<string>;
  private readonly cache = new Map<string, { until: number; decision: Promise<TrustDecision> }>();

  constructor(
    trustedLogins: readonly string[],
    /** The sender's permission on the repository (`admin`, `write`, `read`, `none`). */
    private readonly permissionOf: (repo: string, login: string) => Promise<string>,
    private readonly now: () => number = Date.now,
    private readonly ttlMs = PERMISSION_TTL_MS,
  ) {
    this.logins = new Set(trustedLogins.map((l) => l.toLowerCase()));
  }

  check(repo: string, login: string): Promise<TrustDecision> {
    if (this.logins.has(login.toLowerCase())) return Promise.resolve({ trusted: true, reason: `${login} is in github.trustedLogins` });
    const key = `${repo.toLowerCase()}\u0000${login.toLowerCase()}`;
    const cached = this.cache.get(key);
    if (cached && cached.until > this.now()) return cached.decision;
    const decision = this.permissionOf(repo, login).then((permission) => ({
      trusted: WRITE.has(permission),
      reason: `${login} has ${permission} permission on ${repo}`,
    }));
    this.cache.set(key, { until: this.now() + this.ttlMs, decision });
    decision.catch(() => this.cache.delete(key));
    return decision;
  }
}
