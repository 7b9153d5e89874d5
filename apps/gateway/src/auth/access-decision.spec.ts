import { HttpStatus } from '@nestjs/common';
import { AccessDecider, RequestFacts } from './access-decision';
import { ApiTokens } from './api-tokens';
import { DashboardSessions } from './dashboard-sessions';
import { RouteAccess } from './route-access.decorator';

const VIEWER = { name: 'watcher', token: 'v'.repeat(24), role: 'viewer' as const };
const OWNER = { name: 'admin', token: 'o'.repeat(24), role: 'owner' as const };
const operator: RouteAccess = { kind: 'role', role: 'operator' };
const viewer: RouteAccess = { kind: 'role', role: 'viewer' };

/** A same-origin request from the page on this machine, as a browser sends it. */
const local: RequestFacts = { method: 'GET', peerAddress: '127.0.0.1', host: '127.0.0.1:7340' };
const json = { contentType: 'application/json' };

function decider(tokens: Array<typeof VIEWER | typeof OWNER>, allowedHosts: string[] = [], now = () => 0) {
  const sessions = new DashboardSessions(60_000, now);
  return { sessions, decider: new AccessDecider(new ApiTokens({ http: { tokens } } as never), sessions, allowedHosts) };
}

describe('AccessDecider', () => {
  describe('a loopback setup without tokens', () => {
    const { decider: d } = decider([]);

    it('lets the local user in, as an owner, from a loopback peer with a loopback Host', () => {
      for (const host of ['127.0.0.1:7340', 'localhost:7340', '[::1]:7340', 'LOCALHOST']) {
        expect(d.decide({ ...local, host }, operator)).toEqual({ allow: true, caller: expect.objectContaining({ kind: 'local', role: 'owner' }) });
      }
      expect(d.decide({ ...local, peerAddress: '::ffff:127.0.0.1' }, operator)).toMatchObject({ allow: true });
    });

    it('refuses a peer on another machine', () => {
      expect(d.decide({ ...local, peerAddress: '192.0.2.7' }, viewer)).toEqual({
        allow: false,
        status: HttpStatus.FORBIDDEN,
        message: 'without an API token only this machine (a loopback peer) may call the API',
      });
    });

    it('refuses a rebinding Host, or none', () => {
      expect(d.decide({ ...local, host: 'evil.example:7340' }, viewer)).toEqual({
        allow: false,
        status: HttpStatus.FORBIDDEN,
        message: 'Host "evil.example:7340" is not localhost, 127.0.0.1, [::1] or one of http.allowedHosts',
      });
      expect(d.decide({ ...local, host: undefined }, viewer)).toMatchObject({ allow: false, message: 'Host header missing' });
    });

    it('serves a Host named in http.allowedHosts, with or without its port', () => {
      expect(decider([], ['box.lan']).decider.decide({ ...local, host: 'box.lan:7340' }, viewer)).toMatchObject({ allow: true });
      expect(decider([], ['box.lan:8080']).decider.decide({ ...local, host: 'box.lan:8080' }, viewer)).toMatchObject({ allow: true });
      expect(decider([], ['box.lan:8080']).decider.decide({ ...local, host: 'box.lan:9090' }, viewer)).toMatchObject({ allow: false });
    });

    it('refuses a cross-site Origin, or a cross-site Referer when Origin is absent', () => {
      const post = { ...local, method: 'POST', ...json };
      expect(d.decide({ ...post, origin: 'http://evil.example' }, operator)).toEqual({
        allow: false,
        status: HttpStatus.FORBIDDEN,
        message: 'Origin "http://evil.example" is not this server\'s own page (cross-site requests are refused)',
      });
      expect(d.decide({ ...post, origin: 'null' }, operator)).toMatchObject({ allow: false, message: 'Origin "null" is not a URL' });
      expect(d.decide({ ...post, referer: 'http://evil.example/page' }, operator)).toMatchObject({ allow: false, message: expect.stringMatching(/^Referer/) });
      expect(d.decide({ ...post, origin: 'http://127.0.0.1:7340' }, operator)).toMatchObject({ allow: true });
      expect(d.decide({ ...post, referer: 'http://127.0.0.1:7340/' }, operator)).toMatchObject({ allow: true });
      // Another port of this machine is another site.
      expect(d.decide({ ...post, origin: 'http://127.0.0.1:8000' }, operator)).toMatchObject({ allow: false });
    });

    it('takes unsafe requests only as JSON: a form body is 415', () => {
      for (const contentType of ['application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'text/plain', undefined]) {
        expect(d.decide({ ...local, method: 'POST', contentType }, operator)).toMatchObject({ allow: false, status: HttpStatus.UNSUPPORTED_MEDIA_TYPE });
      }
      expect(d.decide({ ...local, method: 'DELETE' }, operator)).toEqual({
        allow: false,
        status: HttpStatus.UNSUPPORTED_MEDIA_TYPE,
        message: 'DELETE needs Content-Type: application/json (got none)',
      });
      expect(d.decide({ ...local, method: 'POST', contentType: 'Application/JSON; charset=utf-8' }, operator)).toMatchObject({ allow: true });
      expect(d.decide({ ...local, method: 'GET', contentType: 'text/plain' }, viewer)).toMatchObject({ allow: true });
    });

    it('knows no bearer token', () => {
      expect(d.decide({ ...local, authorization: `Bearer ${OWNER.token}` }, viewer)).toMatchObject({ allow: false, status: HttpStatus.UNAUTHORIZED });
    });
  });

  describe('a setup with tokens', () => {
    const { decider: d, sessions } = decider([VIEWER, OWNER]);
    const remote: RequestFacts = { method: 'GET', peerAddress: '192.0.2.7', host: 'patchbay.example.com' };

    it('asks every caller without credentials for a token, loopback included', () => {
      for (const request of [remote, local]) {
        expect(d.decide(request, viewer)).toEqual({ allow: false, status: HttpStatus.UNAUTHORIZED, message: expect.stringContaining('Authorization: Bearer <token>') });
      }
    });

    it('takes a known bearer token from anywhere, whatever Host and Origin say', () => {
      expect(d.decide({ ...remote, authorization: `Bearer ${OWNER.token}`, origin: 'http://evil.example' }, viewer)).toEqual({
        allow: true,
        caller: { kind: 'token', name: 'admin', role: 'owner', via: 'bearer' },
      });
      expect(d.decide({ ...remote, authorization: `bearer  ${VIEWER.token}` }, viewer)).toMatchObject({ allow: true, caller: { name: 'watcher' } });
    });

    it('refuses an unknown token, another scheme, or a prefix of a real token', () => {
      for (const authorization of ['Bearer nope', `Basic ${OWNER.token}`, `Bearer ${OWNER.token.slice(0, 10)}`, `Bearer ${OWNER.token}x`, 'Bearer', '']) {
        expect(d.decide({ ...remote, authorization }, viewer)).toMatchObject({ allow: false, status: HttpStatus.UNAUTHORIZED });
      }
    });

    it("refuses a role below the route's, naming both", () => {
      expect(d.decide({ ...remote, method: 'POST', ...json, authorization: `Bearer ${VIEWER.token}` }, operator)).toEqual({
        allow: false,
        status: HttpStatus.FORBIDDEN,
        message: 'this needs the operator role; API token "watcher" has viewer',
      });
    });

    it('still takes unsafe requests from token holders only as JSON', () => {
      expect(d.decide({ ...remote, method: 'POST', authorization: `Bearer ${OWNER.token}`, contentType: 'application/x-www-form-urlencoded' }, operator)).toMatchObject({
        allow: false,
        status: HttpStatus.UNSUPPORTED_MEDIA_TYPE,
      });
    });

    it('lets the login route through without credentials, JSON only', () => {
      expect(d.decide({ ...remote, method: 'POST', ...json }, { kind: 'anonymous' })).toEqual({ allow: true, caller: null });
      expect(d.decide({ ...remote, method: 'POST', contentType: 'application/x-www-form-urlencoded' }, { kind: 'anonymous' })).toMatchObject({ allow: false });
    });

    it('takes a dashboard session, demanding its CSRF token on unsafe requests', () => {
      const session = sessions.create({ name: 'admin', role: 'owner' });
      const withCookie = { ...remote, sessionId: session.id };
      expect(d.decide(withCookie, viewer)).toEqual({ allow: true, caller: { kind: 'token', name: 'admin', role: 'owner', via: 'session' } });
      const post = { ...withCookie, method: 'POST', ...json };
      expect(d.decide(post, operator)).toEqual({
        allow: false,
        status: HttpStatus.FORBIDDEN,
        message: 'X-CSRF-Token is missing or wrong: send the csrfToken the login answered with',
      });
      expect(d.decide({ ...post, csrfToken: 'wrong' }, operator)).toMatchObject({ allow: false, status: HttpStatus.FORBIDDEN });
      expect(d.decide({ ...post, csrfToken: session.csrfToken }, operator)).toMatchObject({ allow: true });
      expect(d.decide({ ...remote, sessionId: 'made-up' }, viewer)).toMatchObject({
        allow: false,
        status: HttpStatus.UNAUTHORIZED,
        message: expect.stringContaining('log in again'),
      });
    });

    it('always lets public routes through', () => {
      expect(d.decide({ method: 'POST', contentType: 'application/x-www-form-urlencoded' }, { kind: 'public' })).toEqual({ allow: true, caller: null });
    });
  });

  it('ends a dashboard session after its time to live', () => {
    let now = 1_000;
    const { decider: d, sessions } = decider([OWNER], [], () => now);
    const session = sessions.create({ name: 'admin', role: 'owner' });
    now += 59_999;
    expect(d.decide({ ...local, sessionId: session.id }, viewer)).toMatchObject({ allow: true });
    now += 1;
    expect(d.decide({ ...local, sessionId: session.id }, viewer)).toMatchObject({ allow: false, status: HttpStatus.UNAUTHORIZED });
  });
});
