import { prng } from '../libs/plugin-sdk/src/testing/prng';
import { PatchbayInstance } from './support/patchbay-instance';
import { GATED_AGENT } from './support/patchbay-processes';
import { rawRequest, RawResponse } from './support/raw-http';
import { describeWith } from './support/services';

jest.setTimeout(300_000);

/** FUZZ_SEED and FUZZ_REQUESTS explore further (FUZZ_SEED=7 FUZZ_REQUESTS=1500 finds the NUL-byte case). */
const SEED = Number(process.env.FUZZ_SEED ?? 0x9e3779b9);
const REQUESTS = Number(process.env.FUZZ_REQUESTS ?? 300);
const TOKEN = 'fuzz-owner-token-5f1c2a9e7d';
/** Express's JSON body limit (100 KB). */
const BODY_LIMIT = 100 * 1024;

/** Ids a route may be handed: empty, huge, encoded slashes and NULs, unicode, numbers. */
const ODD_IDS = [
  'a',
  'abcd1234',
  'ABCD1234',
  'x'.repeat(5_000),
  '%00',
  '%00abcd',
  '%FF%FE',
  '..%2F..%2Fetc%2Fpasswd',
  '%E2%98%83',
  '-1',
  '1e309',
  '%20',
  "'%3B%20drop%20table%20task%3B--",
  'null',
  '%25',
  '[object%20Object]',
];
/** The API's routes with their methods; a few unknown ones and, now and then, the wrong method. */
const ROUTES: ReadonlyArray<[string, string]> = [
  ['POST', '/api/messages'],
  ['POST', '/api/messages'],
  ['GET', '/api/sessions'],
  ['GET', '/api/sessions/{id}'],
  ['GET', '/api/sessions/{id}/events'],
  ['POST', '/api/sessions/{id}/stop'],
  ['POST', '/api/sessions/{id}/kill'],
  ['GET', '/api/runners'],
  ['GET', '/api/tasks'],
  ['GET', '/api/tasks/{id}'],
  ['GET', '/api/pairing'],
  ['POST', '/api/pairing/{id}/approve'],
  ['GET', '/api/principals'],
  ['GET', '/api/audit'],
  ['GET', '/api/jobs'],
  ['POST', '/api/jobs'],
  ['POST', '/api/jobs'],
  ['DELETE', '/api/jobs/{id}'],
  ['POST', '/api/jobs/{id}/enable'],
  ['POST', '/api/jobs/{id}/disable'],
  ['POST', '/api/jobs/{id}/run'],
  ['GET', '/api/jobs/{id}/runs'],
  ['POST', '/api/auth/session'],
  ['GET', '/api/auth/session'],
  ['DELETE', '/api/auth/session'],
  ['GET', '/readyz'],
  ['GET', '/healthz'],
  ['POST', '/webhooks/github'],
  ['POST', '/webhooks/telegram'],
  ['GET', '/api/nope'],
  ['GET', '/api/sessions/{id}/events/extra'],
  ['GET', '//api//sessions'],
  ['GET', '/%'],
];
const QUERIES = [
  '',
  '',
  '?limit=-1',
  '?limit=1e9',
  '?limit=abc',
  '?after=x',
  '?after=99999999999',
  '?task=%00',
  '?limit=5&limit=6',
  `?token=${TOKEN}`,
  '?__proto__[x]=1',
  '?status=x',
  '?channel=%00',
  '?status=idle&channel=local',
];
const METHODS = ['GET', 'POST', 'DELETE', 'PUT', 'PATCH', 'HEAD', 'OPTIONS'];
const CONTENT_TYPES = [
  'application/json',
  'application/json',
  'application/json',
  'application/json; charset=utf-8',
  'application/json; charset=utf-16',
  'text/plain',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=zz',
  '',
  'application/json, text/plain',
];
const BODIES: Array<string | Buffer> = [
  '',
  '{',
  '{"text":',
  'null',
  '[]',
  '"text"',
  '1e999',
  '{"text":123}',
  '{"text":[]}',
  '{"text":{"$gt":""}}',
  '{"text":"   "}',
  '{"text":"hi","chat":"../../x"}',
  '{"text":"hi","extra":true}',
  '{"role":"god"}',
  '{"token":5}',
  `{"token":"${'t'.repeat(600)}"}`,
  '{"name":"x","every":"-5m","prompt":"p"}',
  '{"name":"x","cron":"* * * * * * * *","prompt":"p"}',
  '{"__proto__":{"admin":true}}',
  '['.repeat(3_000) + ']'.repeat(3_000),
  `{"text":"${'y'.repeat(200_000)}"}`,
  '{"text":"nul\\u0000byte"}',
  Buffer.from([0x7b, 0x22, 0x74, 0x65, 0x78, 0x74, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0x22, 0x7d]),
  'text=rm+-rf',
];
const AUTHORIZATIONS = [
  `Bearer ${TOKEN}`,
  `Bearer ${TOKEN}`,
  `Bearer ${TOKEN}`,
  `Bearer ${TOKEN}`,
  undefined,
  undefined,
  'Bearer',
  'Bearer x',
  `Basic ${Buffer.from(`a:${TOKEN}`).toString('base64')}`,
  `Bearer ${'z'.repeat(10_000)}`,
  `bearer ${TOKEN} extra`,
  'Bearer \u00e9t\u00e9',
];
const ODD_HEADERS: Array<Record<string, string>> = [
  {},
  { 'last-event-id': '-1' },
  { 'last-event-id': 'x'.repeat(500) },
  { 'idempotency-key': '../../etc' },
  { 'idempotency-key': 'k'.repeat(300) },
  { cookie: 'pb_session=' + 'q'.repeat(2_000) },
  { cookie: ';;;=;pb_session' },
  { 'x-csrf-token': '' },
  { origin: 'null' },
  { origin: 'http://evil.example' },
  { referer: '::not a url::' },
  { accept: 'text/event-stream' },
];

/** Stack frames, SQL and driver errors: what must never reach a caller. */
const LEAKS = [
  /\bat .+\.(ts|js):\d+:\d+/,
  /\b(SELECT|INSERT INTO|UPDATE \w+ SET|DELETE FROM)\b/,
  /syntax error at or near|violates .* constraint|relation "\w+"|invalid byte sequence|MikroORM|node_modules/i,
];

/**
 * Seeded, bounded fuzzing of the public HTTP API (a few hundred requests, the same ones every
 * run): malformed and mistyped bodies, odd ids and headers, unknown routes, with and without
 * the token. Nothing may answer 5xx, or show a stack trace, SQL, or a configured token.
 */
describeWith(['tmux'], 'HTTP API fuzz', () => {
  let pb: PatchbayInstance;
  let host: string;
  beforeAll(async () => {
    pb = await PatchbayInstance.prepare('http-fuzz').start(
      { defaultAgent: 'echo', agents: { echo: { command: process.execPath, args: [GATED_AGENT] } }, http: { tokens: [{ name: 'fuzz', token: TOKEN, role: 'owner' }] } },
      process.env,
      { token: TOKEN },
    );
    host = new URL(pb.url).host;
  });
  afterAll(() => pb?.stop());

  it(`answers ${REQUESTS} odd requests without a 5xx or a leak`, async () => {
    const random = prng(SEED);
    const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)];
    const problems: string[] = [];
    for (let i = 0; i < REQUESTS; i++) {
      const [routeMethod, route] = pick(ROUTES);
      const method = random() < 0.15 ? pick(METHODS) : routeMethod;
      const path = route.replace('{id}', pick(ODD_IDS)) + pick(QUERIES);
      const authorization = pick(AUTHORIZATIONS);
      const contentType = pick(CONTENT_TYPES);
      const body = ['GET', 'HEAD', 'OPTIONS'].includes(method) ? undefined : pick(BODIES);
      const headers: Record<string, string> = { host, ...pick(ODD_HEADERS) };
      if (authorization !== undefined) headers.authorization = authorization;
      if (contentType) headers['content-type'] = contentType;
      const request = `#${i} ${method} ${path.slice(0, 120)} auth=${authorization?.slice(0, 20)} type=${contentType} body=${String(body ?? '').slice(0, 60)}`;
      let response: RawResponse;
      try {
        response = await rawRequest(pb.url, { method, path, headers, body });
      } catch (error) {
        // The server may answer (and close) before reading a body over its limit; the client then sees a reset.
        const reset = ['ECONNRESET', 'EPIPE'].includes((error as NodeJS.ErrnoException).code ?? '') && (body?.length ?? 0) > BODY_LIMIT;
        if (!reset) problems.push(`${request}: ${(error as Error).message}`);
        continue;
      }
      if (response.status >= 500) problems.push(`${request}: ${response.status} ${response.text.slice(0, 300)}`);
      const leak = LEAKS.find((pattern) => pattern.test(response.text));
      if (leak) problems.push(`${request}: body matches ${leak}: ${response.text.slice(0, 300)}`);
      if (response.text.includes(TOKEN)) problems.push(`${request}: the token is in the body: ${response.text.slice(0, 300)}`);
    }
    expect(problems).toEqual([]);
    // Still serving after all that.
    expect((await pb.request('GET', '/api/sessions')).status).toBe(200);
  });
});
