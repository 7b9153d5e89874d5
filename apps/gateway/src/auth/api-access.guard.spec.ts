import { ExecutionContext, ForbiddenException, UnauthorizedException, UnsupportedMediaTypeException } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { AccessDecider } from './access-decision';
import { ApiAccessGuard, cookie } from './api-access.guard';
import { ApiTokens } from './api-tokens';
import { CALLER_KEY } from './auth.constants';
import { DashboardSessions } from './dashboard-sessions';
import { MinRole, Public } from './route-access.decorator';

class Routes {
  @Public() health() {}
  @MinRole('viewer') list() {}
  forgotten() {}
}

const OPERATOR = { name: 'ops', token: 'p'.repeat(20), role: 'operator' as const };

/** An HTTP ExecutionContext with only what the guard reads; anything else it touches throws. */
function context(handler: keyof Routes, req: Record<string, unknown>) {
  const headers: Record<string, string> = {};
  const res = { setHeader: (name: string, value: string) => (headers[name] = value) };
  const http = { getRequest: () => req, getResponse: () => res };
  const ctx = { getType: () => 'http', getHandler: () => Routes.prototype[handler], getClass: () => Routes, switchToHttp: () => http };
  const strict = new Proxy(ctx, {
    get: (target, key) => {
      if (key in target) return target[key as keyof typeof target];
      throw new Error(`the guard read ExecutionContext.${String(key)}`);
    },
  });
  return { ctx: strict as unknown as ExecutionContext, headers };
}

const request = (headers: Record<string, string>, method = 'GET') => ({ method, headers, socket: { remoteAddress: '127.0.0.1' } });

describe('ApiAccessGuard', () => {
  const sessions = new DashboardSessions(60_000, () => 0);
  const guard = new ApiAccessGuard(new Reflector(), new AccessDecider(new ApiTokens({ http: { tokens: [OPERATOR] } } as never), sessions, []));

  it('hands the identified caller to the route', () => {
    const req = request({ host: 'localhost', authorization: `Bearer ${OPERATOR.token}` });
    expect(guard.canActivate(context('list', req).ctx)).toBe(true);
    expect(req[CALLER_KEY as keyof typeof req]).toEqual({ kind: 'token', name: 'ops', role: 'operator', via: 'bearer' });
  });

  it('answers 401 with a Bearer challenge when the token is missing', () => {
    const { ctx, headers } = context('list', request({ host: 'localhost' }));
    expect(() => guard.canActivate(ctx)).toThrow(UnauthorizedException);
    expect(headers).toEqual({ 'WWW-Authenticate': 'Bearer realm="patchbay"' });
  });

  it('treats a route without a rule as an owner route', () => {
    const { ctx } = context('forgotten', request({ host: 'localhost', authorization: `Bearer ${OPERATOR.token}` }));
    expect(() => guard.canActivate(ctx)).toThrow(new ForbiddenException('this needs the owner role; API token "ops" has operator'));
  });

  it('answers 415 for a form body, and lets public routes be', () => {
    const form = request({ host: 'localhost', authorization: `Bearer ${OPERATOR.token}`, 'content-type': 'application/x-www-form-urlencoded' }, 'POST');
    expect(() => guard.canActivate(context('list', form).ctx)).toThrow(UnsupportedMediaTypeException);
    expect(guard.canActivate(context('health', form).ctx)).toBe(true);
  });

  it('reads the session cookie among others', () => {
    const session = sessions.create({ name: 'ops', role: 'operator' });
    expect(guard.canActivate(context('list', request({ host: 'localhost', cookie: `a=1; pb_session=${session.id}; b=2` })).ctx)).toBe(true);
    expect(cookie('pb_sessionx=1; pb_session=', 'pb_session')).toBe('');
    expect(cookie(undefined, 'pb_session')).toBeUndefined();
  });
});
