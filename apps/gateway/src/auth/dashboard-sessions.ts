import { randomBytes } from 'node:crypto';
import { TokenHolder } from './api-tokens';

export interface DashboardSession {
  id: string;
  csrfToken: string;
  holder: TokenHolder;
  expiresAt: number;
}

/**
 * Dashboard logins: a random id (the cookie) → the token's holder and a CSRF token. Kept in
 * memory only, so a gateway restart logs everyone out; expired sessions go when next looked at
 * and when a new one is made.
 */
export class DashboardSessions {
  private readonly sessions = new Map<string, DashboardSession>();

  constructor(
    private readonly ttlMs: number,
    private readonly now: () => number,
  ) {}

  create(holder: TokenHolder): DashboardSession {
    this.sweep();
    const session = { id: randomSecret(), csrfToken: randomSecret(), holder, expiresAt: this.now() + this.ttlMs };
    this.sessions.set(session.id, session);
    return session;
  }

  /** The live session with this id, or null (unknown or expired). */
  find(id: string): DashboardSession | null {
    const session = this.sessions.get(id);
    if (!session) return null;
    if (session.expiresAt > this.now()) return session;
    this.sessions.delete(id);
    return null;
  }

  delete(id: string): void {
    this.sessions.delete(id);
  }

  private sweep(): void {
    const now = this.now();
    for (const [id, session] of this.sessions) if (session.expiresAt <= now) this.sessions.delete(id);
  }
}

function randomSecret(): string {
  return randomBytes(32).toString('base64url');
}
