import type { AuditEntryV1, InboundAcceptedV1 } from '@patchbay/contracts';
import { PatchbayInstance } from './support/patchbay-instance';
import { GATED_AGENT, runPatchbay, scratchDir, removeScratch } from './support/patchbay-processes';
import { rawRequest } from './support/raw-http';
import { describeWith } from './support/services';

jest.setTimeout(120_000);

const AGENTS = { defaultAgent: 'echo', agents: { echo: { command: process.execPath, args: [GATED_AGENT] } } };
const FORM = { 'content-type': 'application/x-www-form-urlencoded' };
const JSON_TYPE = { 'content-type': 'application/json' };

/** Issue #9: the gateway's HTTP API, over real HTTP, on a real all-in-one Patchbay. */
describeWith(['tmux'], 'HTTP API on loopback without tokens', () => {
  let pb: PatchbayInstance;
  let host: string;
  let sessionId: string;

  beforeAll(async () => {
    pb = await PatchbayInstance.prepare('http-local').start(AGENTS);
    host = new URL(pb.url).host;
    sessionId = (await pb.send('hello from this machine')).sessionId!;
  });
  afterAll(() => pb?.stop());

  const taskCount = async () => (await pb.get<{ tasks: unknown[] }>('/api/tasks')).tasks.length;

  it('refuses a cross-origin form POST to /api/messages, and runs nothing', async () => {
    const before = await taskCount();
    const crossSite = await rawRequest(pb.url, {
      method: 'POST',
      path: '/api/messages',
      headers: { host, origin: 'http://evil.example', ...FORM },
      body: 'text=rm+-rf+~',
    });
    expect(crossSite.status).toBe(403);
    expect(JSON.parse(crossSite.text).message).toBe('Origin "http://evil.example" is not this server\'s own page (cross-site requests are refused)');
    // Without an Origin (an old browser, a curl), a form body still never counts.
    const form = await rawRequest(pb.url, { method: 'POST', path: '/api/messages', headers: { host, ...FORM }, body: 'text=hi' });
    expect(form.status).toBe(415);
    expect(JSON.parse(form.text).message).toBe('POST needs Content-Type: application/json (got "application/x-www-form-urlencoded")');
    expect(await taskCount()).toBe(before);
  });

  it('refuses a cross-origin pairing approval', async () => {
    const response = await rawRequest(pb.url, {
      method: 'POST',
      path: '/api/pairing/ABCDEFGH/approve',
      headers: { host, origin: 'http://evil.example', ...JSON_TYPE },
      body: JSON.stringify({ role: 'owner' }),
    });
    expect(response.status).toBe(403);
  });

  it('refuses a DNS-rebinding Host on transcripts and the audit log', async () => {
    for (const path of [`/api/sessions/${sessionId}/events`, '/api/audit', '/api/sessions']) {
      const response = await rawRequest(pb.url, { path, headers: { host: `evil.example:${new URL(pb.url).port}` } });
      expect({ path, status: response.status }).toEqual({ path, status: 403 });
      expect(JSON.parse(response.text).message).toContain('is not localhost, 127.0.0.1, [::1] or one of http.allowedHosts');
    }
    // The same reads from this machine's own page work.
    expect((await rawRequest(pb.url, { path: '/api/audit', headers: { host, origin: pb.url } })).status).toBe(200);
  });

  it('still serves health, the page and its script to anyone', async () => {
    const page = await rawRequest(pb.url, { path: '/', headers: { host: 'evil.example' } });
    expect(page.status).toBe(200);
    const script = /src="(\/assets\/[\w-]+\.js)"/.exec(page.text)![1];
    for (const path of ['/healthz', script]) {
      expect((await rawRequest(pb.url, { path, headers: { host: 'evil.example' } })).status).toBe(200);
    }
  });

  it('submits tokenless messages on the local channel', async () => {
    const { tasks } = await pb.get<{ tasks: Array<{ channel: string }> }>('/api/tasks');
    expect(tasks.map((t) => t.channel)).toEqual(['local']);
  });
});

describeWith(['tmux'], 'HTTP API with tokens', () => {
  const OWNER = { name: 'ci-owner', token: 'owner-token-0123456789', role: 'owner' };
  const VIEWER = { name: 'watcher', token: 'viewer-token-0123456789', role: 'viewer' };
  const ENV_TOKEN = 'env-token-abcdefghijklmnop';
  const cliHome = scratchDir('http-cli');
  let pb: PatchbayInstance;

  beforeAll(async () => {
    pb = await PatchbayInstance.prepare('http-tokens').start(
      { ...AGENTS, http: { tokens: [OWNER, VIEWER] } },
      { ...process.env, PATCHBAY_API_TOKEN: ENV_TOKEN },
      { token: OWNER.token },
    );
  });
  afterAll(async () => {
    removeScratch(cliHome);
    await pb?.stop();
  });

  const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
  const postMessage = (headers: Record<string, string>, text = 'hi') =>
    fetch(`${pb.url}/api/messages`, { method: 'POST', headers: { ...JSON_TYPE, ...headers }, body: JSON.stringify({ text }) });

  it('answers 401 without a token, with a wrong one, and with one in the query string', async () => {
    for (const [path, headers] of [
      ['/api/sessions', {}],
      ['/api/sessions', bearer('not-a-token-of-this-server')],
      [`/api/sessions?token=${OWNER.token}`, {}],
      [`/api/sessions?access_token=${OWNER.token}`, {}],
      ['/readyz', {}],
    ] as const) {
      const response = await fetch(`${pb.url}${path}`, { headers });
      expect({ path, status: response.status }).toEqual({ path, status: 401 });
      expect(response.headers.get('www-authenticate')).toBe('Bearer realm="patchbay"');
      const body = await response.text();
      expect(JSON.parse(body).error).toBe('Unauthorized');
      expect(body).not.toContain(OWNER.token);
    }
    // Loopback is no exception once tokens are configured.
    expect((await postMessage({})).status).toBe(401);
  });

  it('lets a viewer read but not prompt', async () => {
    expect((await fetch(`${pb.url}/api/sessions`, { headers: bearer(VIEWER.token) })).status).toBe(200);
    const refused = await postMessage(bearer(VIEWER.token));
    expect(refused.status).toBe(403);
    expect(((await refused.json()) as { message: string }).message).toBe('this needs the operator role; API token "watcher" has viewer');
    expect((await pb.get<{ tasks: unknown[] }>('/api/tasks')).tasks).toHaveLength(0);
  });

  it("runs an owner token holder's message as api:<name>, vouched, and audits it", async () => {
    const response = await postMessage(bearer(OWNER.token), 'from the owner token');
    expect(response.status).toBe(201);
    const accepted = (await response.json()) as InboundAcceptedV1;
    expect(accepted).toMatchObject({ outcome: 'task' });
    const task = await pb.get<{ channel: string }>(`/api/tasks/${accepted.taskId}`);
    expect(task).toMatchObject({ channel: 'api' });
    const { entries } = await pb.get<{ entries: AuditEntryV1[] }>('/api/audit?limit=500');
    expect(entries).toContainEqual(expect.objectContaining({ actor: 'api:ci-owner', action: 'vouch', decision: 'allow', detail: 'api vouches (owner): API token "ci-owner"' }));
    expect(entries.some((e) => e.actor.startsWith('local:'))).toBe(false);
  });

  it('audits job changes as api:<name>', async () => {
    const added = await pb.request('POST', '/api/jobs', { name: 'nightly', every: '1d', prompt: 'check', by: 'local:forged' });
    expect(added.status).toBe(201);
    const { entries } = await pb.get<{ entries: AuditEntryV1[] }>('/api/audit?limit=500');
    expect(entries).toContainEqual(expect.objectContaining({ actor: 'api:ci-owner', action: 'job.add', target: 'job:nightly' }));
    expect(entries.some((e) => e.actor === 'local:forged')).toBe(false);
    expect((await pb.request('DELETE', '/api/jobs/nightly')).status).toBe(200);
  });

  it('stops a run as api:<name>', async () => {
    const { sessionId } = (await (await postMessage(bearer(OWNER.token), '[gate] hold on')).json()) as InboundAcceptedV1;
    await pb.followUntil(sessionId!, 0, 'the agent at work', (e) => e.type === 'text' && e.text.includes('working on'));
    expect((await pb.control(sessionId!, 'kill')).status).toBe(202);
    const events = await pb.followUntil(sessionId!, 0, 'the end of the run', (e) => e.type === 'error');
    expect(events.at(-1)).toMatchObject({ code: 'killed', text: 'killed by api:ci-owner' });
  });

  it('logs the dashboard in with a cookie session, and wants the CSRF token on unsafe requests', async () => {
    const login = await fetch(`${pb.url}/api/auth/session`, { method: 'POST', headers: JSON_TYPE, body: JSON.stringify({ token: OWNER.token }) });
    expect(login.status).toBe(201);
    const cookie = login.headers.get('set-cookie')!;
    expect(cookie).toMatch(/^pb_session=[\w-]{43}; Path=\/; Expires=[^;]+; HttpOnly; SameSite=Strict$/);
    expect(cookie).not.toContain(OWNER.token);
    const { csrfToken, name, role } = (await login.json()) as { csrfToken: string; name: string; role: string };
    expect({ name, role }).toEqual({ name: 'ci-owner', role: 'owner' });
    const session = { cookie: cookie.split(';')[0] };

    const withoutCsrf = await postMessage(session);
    expect(withoutCsrf.status).toBe(403);
    expect(((await withoutCsrf.json()) as { message: string }).message).toContain('X-CSRF-Token is missing or wrong');
    expect((await postMessage({ ...session, 'x-csrf-token': 'a'.repeat(43) })).status).toBe(403);
    const accepted = await postMessage({ ...session, 'x-csrf-token': csrfToken }, 'from the dashboard');
    expect(accepted.status).toBe(201);
    const { sessionId } = (await accepted.json()) as InboundAcceptedV1;

    // The page's EventSource sends only the cookie.
    const stream = await rawRequest(pb.url, { path: `/api/sessions/${sessionId}/events`, headers: { ...session, accept: 'text/event-stream' } });
    expect(stream.status).toBe(200);
    expect(stream.headers['content-type']).toContain('text/event-stream');
    // A reload finds its CSRF token again.
    expect(await (await fetch(`${pb.url}/api/auth/session`, { headers: session })).json()).toEqual({ actor: 'api', name: 'ci-owner', role: 'owner', csrfToken });

    const logout = await fetch(`${pb.url}/api/auth/session`, { method: 'DELETE', headers: { ...session, ...JSON_TYPE, 'x-csrf-token': csrfToken } });
    expect(logout.status).toBe(204);
    const after = await fetch(`${pb.url}/api/sessions`, { headers: session });
    expect(after.status).toBe(401);
    expect(((await after.json()) as { message: string }).message).toBe('the dashboard session expired or is unknown: log in again');
  });

  it('refuses a login with a wrong token, or as a form', async () => {
    expect((await fetch(`${pb.url}/api/auth/session`, { method: 'POST', headers: JSON_TYPE, body: JSON.stringify({ token: 'x'.repeat(20) }) })).status).toBe(401);
    expect((await fetch(`${pb.url}/api/auth/session`, { method: 'POST', headers: FORM, body: `token=${OWNER.token}` })).status).toBe(415);
  });

  it('lets the CLI in with PATCHBAY_API_TOKEN, and says how to fix a missing one', async () => {
    const env = { PATCHBAY_URL: pb.url, PATCHBAY_HOME: cliHome, PATCHBAY_CONFIG: '' };
    const sent = await runPatchbay(['send', 'from the cli'], { ...env, PATCHBAY_API_TOKEN: ENV_TOKEN });
    expect(sent).toMatchObject({ code: 0, stdout: expect.stringContaining('done: from the cli') });
    const { entries } = await pb.get<{ entries: AuditEntryV1[] }>('/api/audit?limit=500');
    expect(entries).toContainEqual(expect.objectContaining({ actor: 'api:env', action: 'vouch', decision: 'allow' }));

    const refused = await runPatchbay(['sessions'], { ...env, PATCHBAY_API_TOKEN: '' });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('401 Unauthorized');
    expect(refused.stderr).toContain('set PATCHBAY_API_TOKEN');
  });
});
