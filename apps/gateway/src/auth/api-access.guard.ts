import { CanActivate, ExecutionContext, ForbiddenException, HttpStatus, Injectable, UnauthorizedException, UnsupportedMediaTypeException } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request, Response } from 'express';
import { AccessDecider, RequestFacts } from './access-decision';
import { CALLER_KEY, CSRF_HEADER, ROUTE_ACCESS, SESSION_COOKIE } from './auth.constants';
import { RouteAccess } from './route-access.decorator';

/** A route that forgot its rule is an owner's: forgetting never opens anything. */
const DEFAULT_ACCESS: RouteAccess = { kind: 'role', role: 'owner' };

const REFUSALS = {
  [HttpStatus.UNAUTHORIZED]: UnauthorizedException,
  [HttpStatus.FORBIDDEN]: ForbiddenException,
  [HttpStatus.UNSUPPORTED_MEDIA_TYPE]: UnsupportedMediaTypeException,
};

/** The one guard in front of every HTTP route (APP_GUARD): turns AccessDecider's answer into the response. */
@Injectable()
export class ApiAccessGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly decider: AccessDecider,
  ) {}

  canActivate(context: ExecutionContext): boolean {
    if (context.getType() !== 'http') return true;
    const access = this.reflector.getAllAndOverride<RouteAccess>(ROUTE_ACCESS, [context.getHandler(), context.getClass()]) ?? DEFAULT_ACCESS;
    const http = context.switchToHttp();
    const req = http.getRequest<Request>();
    const decision = this.decider.decide(requestFacts(req), access);
    if (!decision.allow) {
      if (decision.status === HttpStatus.UNAUTHORIZED) http.getResponse<Response>().setHeader('WWW-Authenticate', 'Bearer realm="patchbay"');
      throw new REFUSALS[decision.status](decision.message);
    }
    (req as unknown as Record<string, unknown>)[CALLER_KEY] = decision.caller ?? undefined;
    return true;
  }
}

function requestFacts(req: Request): RequestFacts {
  const header = (name: string) => {
    const value = req.headers[name];
    return Array.isArray(value) ? value.join(', ') : value;
  };
  return {
    method: req.method,
    peerAddress: req.socket.remoteAddress,
    host: header('host'),
    origin: header('origin'),
    referer: header('referer'),
    contentType: header('content-type'),
    authorization: header('authorization'),
    sessionId: cookie(header('cookie'), SESSION_COOKIE),
    csrfToken: header(CSRF_HEADER),
  };
}

/** One cookie's value from a Cookie header. */
export function cookie(header: string | undefined, name: string): string | undefined {
  for (const part of header?.split(';') ?? []) {
    const at = part.indexOf('=');
    if (at > 0 && part.slice(0, at).trim() === name) return part.slice(at + 1).trim();
  }
  return undefined;
}
