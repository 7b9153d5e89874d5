import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { Client } from 'pg';
import { Bus, BusSigner, NatsTransport } from '@patchbay/bus';
import { ConfigSchema, PatchbayConfig } from '@patchbay/config';
import { ApprovalAskV1, ApprovalListV1, ApprovalV1, AuditEntryV1 } from '@patchbay/contracts';
import { Database, SessionsStore } from '@patchbay/persistence';
import { RunningPatchbay, startServer } from '../apps/patchbay/src/server';
import { createTestDatabase } from './support/databases';
import { parsePrometheusText, sampleValue } from './support/prometheus-text';
import { removeScratch, scratchDir } from './support/patchbay-processes';
import { describeWith, NATS_URL } from './support/services';

jest.setTimeout(60_000);

const OPERATOR = 'approvals-operator-token-0123456789';
const VIEWER = 'approvals-viewer-token-0123456789';
const OWNER = 'approvals-owner-token-0123456789';
const SECRET = randomBytes(32).toString('hex');

/**
 * Approvals end to end over a real PostgreSQL and NATS: gateway and engine started here, a
 * runner's ask simulated by a bus request from the test (no agent asks yet on this branch).
 */
describeWith(['postgres', 'nats'], 'approvals (real PostgreSQL and NATS)', () => {
  const prefix = `pbtest${randomBytes(4).toString('hex')}`;
  let dir: string;
  let config: PatchbayConfig;
  let database: { url: string; drop: () => Promise<void> };
  let patchbay: RunningPatchbay | undefined;
  let url: string;
  let bus: Bus;
  let db: Database;
  let sessionId: string;
  const events: Array<{ subject: string; approval: ApprovalV1 }> = [];

  const start = async () => {
    patchbay = await startServer(['gateway', 'engine'], { config, file: null });
    url = patchbay.url!;
  };
  const api = (path: string, token: string, body?: unknown) =>
    fetch(`${url}${path}`, {
      method: body === undefined ? 'GET' : 'POST',
      headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  const ask = (toolUseId: string, command = 'make build'): Promise<ApprovalV1> => {
    const request: ApprovalAskV1 = { sessionId, taskId: null, agent: 'claude', toolUseId, tool: 'Bash', input: { command }, summary: command };
    return bus.request('approval.ask', request);
  };
  /** Waits for the event (NATS delivers it asynchronously); no time is asserted. */
  const seen = async (subject: string, id: string): Promise<ApprovalV1> => {
    for (;;) {
      const found = events.find((e) => e.subject === subject && e.approval.id === id);
      if (found) return found.approval;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  };

  beforeAll(async () => {
    dir = scratchDir('approvals');
    database = await createTestDatabase('pb_approvals');
    config = ConfigSchema.parse({
      home: join(dir, 'home'),
      http: {
        port: 0,
        tokens: [
          { name: 'op', token: OPERATOR, role: 'operator' },
          { name: 'watcher', token: VIEWER, role: 'viewer' },
          { name: 'boss', token: OWNER, role: 'owner' },
        ],
      },
      bus: { prefix, requestTimeoutMs: 10_000, natsUrl: NATS_URL, secret: SECRET },
      database: { url: database.url },
    });
    await start();
    bus = new Bus(await NatsTransport.connect(NATS_URL, 'approvals-spec-runner'), { prefix, requestTimeoutMs: 10_000 });
    for (const subject of ['approval.requested', 'approval.decided'] as const) {
      bus.subscribe(subject, (approval) => void events.push({ subject, approval }));
    }
    db = await Database.connect(database.url);
    sessionId = await new SessionsStore(db).openSession('local', `approvals-${randomBytes(3).toString('hex')}`, 'claude');
  });

  afterAll(async () => {
    await patchbay?.stop();
    await bus?.close();
    await db?.onApplicationShutdown();
    await database?.drop();
    if (dir) removeScratch(dir);
  });

  it('ask -> pending -> requested event -> decided over HTTP -> decided event -> a re-ask returns the decision', async () => {
    const pending = await ask('tu-flow');
    expect(pending).toMatchObject({ status: 'pending', sessionId, tool: 'Bash', summary: 'make build' });
    expect(await seen('approval.requested', pending.id)).toEqual(pending);

    const listed = (await (await api(`/api/approvals?session=${sessionId}`, VIEWER)).json()) as ApprovalListV1;
    expect(listed.approvals.map((a) => a.id)).toEqual([pending.id]);

    // A viewer's token and a chat's stranger are both refused by the engine, and audited.
    const viewer = await api(`/api/approvals/${pending.id}`, VIEWER, { decision: 'allow_once' });
    expect(viewer.status).toBe(403);
    expect(await viewer.json()).toMatchObject({ error: 'forbidden', message: 'api:watcher: role viewer may not answer approvals (operators and owners may)' });
    const channel = new Bus(await NatsTransport.connect(NATS_URL, 'approvals-spec-channel'), { prefix, requestTimeoutMs: 10_000, signer: new BusSigner(SECRET) });
    try {
      const press = channel.request('approvals.decide', { approvalId: pending.id, decision: 'allow_once', by: { channel: 'telegram', senderId: 'stranger' } });
      await expect(press).rejects.toMatchObject({ code: 'forbidden' });
    } finally {
      await channel.close();
    }

    const decided = await api(`/api/approvals/${pending.id}`, OPERATOR, { decision: 'allow_once' });
    expect(decided.status).toBe(200);
    const answer = (await decided.json()) as ApprovalV1;
    expect(answer).toMatchObject({ id: pending.id, status: 'allowed', decision: 'allow_once', decidedBy: 'api:op' });
    expect(await seen('approval.decided', pending.id)).toEqual(answer);
    expect(await ask('tu-flow')).toEqual(answer);

    const again = await api(`/api/approvals/${pending.id}`, OPERATOR, { decision: 'deny' });
    expect(again.status).toBe(409);
    expect(await again.json()).toMatchObject({ error: 'already_decided', message: 'already decided by op: allow_once' });

    const audit = (await (await api('/api/audit?limit=20', OWNER)).json()) as { entries: AuditEntryV1[] };
    const mine = audit.entries.filter((e) => e.target === `approval:${pending.id}`).map((e) => [e.actor, e.action, e.decision]);
    expect(mine).toEqual([
      ['api:op', 'approval.decide', 'deny'],
      ['api:op', 'approval.decide', 'allow'],
      ['telegram:stranger', 'approval.decide', 'deny'],
      ['api:watcher', 'approval.decide', 'deny'],
      ['agent:claude', 'approval.request', 'allow'],
    ]);
  });

  it('of answers given at once, exactly one wins', async () => {
    const pending = await ask('tu-race');
    const answers = await Promise.all(['allow_once', 'deny', 'allow_session', 'deny', 'allow_once'].map((decision) => api(`/api/approvals/${pending.id}`, OPERATOR, { decision })));
    expect(answers.map((a) => a.status).sort()).toEqual([200, 409, 409, 409, 409]);
    await seen('approval.decided', pending.id);
    expect(events.filter((e) => e.subject === 'approval.decided' && e.approval.id === pending.id)).toHaveLength(1);
  });

  it("the session's event stream shows the requests pending when it opens", async () => {
    const pending = await ask('tu-stream', 'make deploy');
    // The session runs nothing, so its stream ends after the replay: read it whole.
    const text = await (await api(`/api/sessions/${sessionId}/events`, VIEWER)).text();
    const shown = text
      .split('\n\n')
      .filter((block) => block.startsWith('event: approval\n'))
      .map((block) => JSON.parse(block.split('\ndata: ')[1]) as ApprovalV1);
    expect(shown).toEqual([pending]);
    await api(`/api/approvals/${pending.id}`, OPERATOR, { decision: 'deny' });
  });

  it('says what was wrong with a bad answer', async () => {
    const bad = await api('/api/approvals/abcd1234', OPERATOR, { decision: 'maybe' });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { message: string }).message).toMatch(/^decision: /);
    expect((await api('/api/approvals/abcd1234', OPERATOR, { decision: 'deny' })).status).toBe(404);
  });

  it('measures how long an answer took and counts what waits, on /metrics', async () => {
    const scrape = async () => parsePrometheusText(await (await api('/metrics', OWNER)).text());
    const answered = async () => sampleValue(await scrape(), 'patchbay_approval_wait_seconds_count', { decision: 'allow_once', by: 'person' }) ?? 0;
    const before = await answered();
    const pending = await ask('tu-metrics', 'make metrics');
    expect(sampleValue(await scrape(), 'patchbay_approvals_pending', { agent: 'claude' })).toBe(1);
    expect((await api(`/api/approvals/${pending.id}`, OPERATOR, { decision: 'allow_once' })).status).toBe(200);
    expect(await answered()).toBe(before + 1);
    expect(sampleValue(await scrape(), 'patchbay_approvals_pending', { agent: 'claude' })).toBeUndefined();
  });

  it('after an engine restart, a request that expired meanwhile is denied by the timeout at once', async () => {
    const pending = await ask('tu-restart', 'rm -rf build');
    await patchbay!.stop();
    patchbay = undefined;
    // It ran out while no engine was up.
    const client = new Client({ connectionString: database.url });
    await client.connect();
    await client.query(`update approval set requested_at = requested_at - interval '1 hour', expires_at = requested_at - interval '50 minutes' where id = $1`, [pending.id]);
    await client.end();
    await start();
    const denied = await seen('approval.decided', pending.id);
    expect(denied).toMatchObject({ status: 'denied', decision: 'deny', decidedBy: 'timeout', reason: 'nobody answered within 600 s' });
    expect(await ask('tu-restart', 'rm -rf build')).toEqual(denied);
  });
});
