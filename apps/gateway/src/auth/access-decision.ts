import { HttpStatus } from '@nestjs/common';
import { Role } from '@patchbay/contracts';
import { ApiTokens } from './api-tokens';
import { ApiCaller, localCaller } from './caller';
import { secretsEqual } from './constant-time';
import { DashboardSessions } from './dashboard-sessions';
import { contentTypeProblem, hostProblem, isLoopbackAddress, isUnsafeMethod, originProblem } from './request-checks';
import { RouteAccess } from './route-access.decorator';

/** What the guard knows of a request. */
export interface RequestFacts {
  method: string;
  peerAddress?: string;
  host?: string;
  origin?: string;
  referer?: string;
  contentType?: string;
  authorization?: string;
  sessionId?: string;
  csrfToken?: string;
}

export type RefusalStatus = HttpStatus.UNAUTHORIZED | HttpStatus.FORBIDDEN | HttpStatus.UNSUPPORTED_MEDIA_TYPE;
export type AccessDecision = { allow: true; caller: ApiCaller | null } | { allow: false; status: RefusalStatus; message: string };

const RANK: Record<Role, number> = { viewer: 0, operator: 1, owner: 2 };

const NEEDS_TOKEN = 'this API needs a token: send "Authorization: Bearer <token>" (a token in the URL is never accepted), or log in on the dashboard';

/**
 * Decides one request: who the caller is (bearer token, dashboard session, or the tokenless
 * local user on loopback), whether the request may come from where it does, whether its body
 * is JSON, and whether the caller's role reaches the route's.
 */
export class AccessDecider {
  constructor(
    private readonly tokens: ApiTokens,
    private readonly sessions: DashboardSessions,
    private readonly allowedHosts: readonly string[],
  ) {}

  decide(request: RequestFacts, access: RouteAccess): AccessDecision {
    if (access.kind === 'public') return { allow: true, caller: null };
    const identified = this.identify(request, access.kind === 'anonymous');
    if (!identified.allow) return identified;
    const badType = contentTypeProblem(request.method, request.contentType);
    if (badType) return deny(HttpStatus.UNSUPPORTED_MEDIA_TYPE, badType);
    const { caller } = identified;
    if (access.kind === 'role' && caller && RANK[caller.role] < RANK[access.role]) {
      const who = caller.kind === 'token' ? `API token "${caller.name}"` : `local user ${caller.user}`;
      return deny(HttpStatus.FORBIDDEN, `this needs the ${access.role} role; ${who} has ${caller.role}`);
    }
    return identified;
  }

  private identify(request: RequestFacts, anonymous: boolean): AccessDecision {
    if (request.authorization !== undefined) return this.bearer(request.authorization);
    if (this.tokens.required) {
      const session = request.sessionId ? this.sessions.find(request.sessionId) : null;
      if (session) {
        if (isUnsafeMethod(request.method) && !secretsEqual(request.csrfToken ?? '', session.csrfToken)) {
          return deny(HttpStatus.FORBIDDEN, 'X-CSRF-Token is missing or wrong: send the csrfToken the login answered with');
        }
        return { allow: true, caller: { kind: 'token', ...session.holder, via: 'session' } };
      }
      if (anonymous) return { allow: true, caller: null };
      return deny(HttpStatus.UNAUTHORIZED, request.sessionId ? 'the dashboard session expired or is unknown: log in again' : NEEDS_TOKEN);
    }
    return this.tokenless(request);
  }

  private bearer(authorization: string): AccessDecision {
    const match = /^Bearer +(\S+) *$/i.exec(authorization);
    if (!match) return deny(HttpStatus.UNAUTHORIZED, 'Authorization: expected "Bearer <token>"');
    const holder = this.tokens.find(match[1]);
    if (!holder) return deny(HttpStatus.UNAUTHORIZED, 'the API token is not one of http.tokens (or PATCHBAY_API_TOKEN)');
    return { allow: true, caller: { kind: 'token', ...holder, via: 'bearer' } };
  }

  /** No tokens configured (so HTTP is on loopback): only this machine, only from the page's own origin. */
  private tokenless(request: RequestFacts): AccessDecision {
    if (!isLoopbackAddress(request.peerAddress)) {
      return deny(HttpStatus.FORBIDDEN, 'without an API token only this machine (a loopback peer) may call the API');
    }
    const problem = hostProblem(request.host, this.allowedHosts) ?? originProblem(request.origin, request.referer, request.host);
    if (problem) return deny(HttpStatus.FORBIDDEN, problem);
    return { allow: true, caller: localCaller() };
  }
}

function deny(status: RefusalStatus, message: string): AccessDecision {
  return { allow: false, status, message };
}
