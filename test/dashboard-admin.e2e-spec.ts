import type { AuditEntryV1, BindingV1, KnownChatV1, PairingRequestV1, PrincipalV1, TaskV1 } from '@patchbay/contracts';
import { FAKE_BOT_TOKEN, FakeTelegramApi } from './fakes/telegram/fake-telegram-api';
import { join } from 'node:path';
import { GATED_AGENT, runPatchbay } from './support/patchbay-processes';
import { PatchbayInstance, waitUntil } from './support/patchbay-instance';
import { describeWith } from './support/services';

jest.setTimeout(120_000);

const OWNER = { name: 'admin', token: 'owner-token-0123456789', role: 'owner' };
const OPERATOR = { name: 'ops', token: 'operator-token-0123456789', role: 'operator' };
const VIEWER = { name: 'watcher', token: 'viewer-token-0123456789', role: 'viewer' };
const ADA = { id: 111, first_name: 'Ada' };
const BOB = { id: 222, first_name: 'Bob' };
const GROUP = -100123;

/**
 * Issue #12: what the dashboard administers through the public HTTP API, on a real
 * all-in-one Patchbay with a fake Telegram: chats attached to and detached from sessions
 * (and the attached chat then gets the session's output), the audit search, principals'
 * roles with the last-owner rule, and the routes refused to a viewer.
 */
describeWith(['tmux'], 'dashboard administration over HTTP', () => {
  const telegram = new FakeTelegramApi();
  let pb: PatchbayInstance;
  let sessionId: string;

  beforeAll(async () => {
    const apiRoot = await telegram.start();
    telegram.addChat({ id: GROUP, type: 'supergroup', title: 'team' });
    pb = PatchbayInstance.prepare('dash-admin');
    await pb.start(
      {
        defaultAgent: 'echo',
        agents: { echo: { command: process.execPath, args: [GATED_AGENT] } },
        http: { tokens: [OWNER, OPERATOR, VIEWER] },
        // One principal the file decides; everyone else on Telegram pairs.
        access: { owners: [], viewers: ['telegram:555'] },
        telegram: { token: FAKE_BOT_TOKEN, apiRoot },
      },
      process.env,
      { token: OWNER.token },
    );
    sessionId = (await as(OPERATOR, 'POST', '/api/messages', { text: 'first', chat: 'dash' })).body.sessionId;
  });

  afterAll(async () => {
    await pb?.stop();
    await telegram.stop();
  });

  async function as(token: { token: string }, method: 'GET' | 'POST' | 'DELETE', path: string, body?: unknown) {
    const response = await fetch(`${pb.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${token.token}`, ...(method === 'GET' ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    return { status: response.status, body: text ? JSON.parse(text) : undefined };
  }

  const botTexts = () => telegram.botMessages(GROUP).map((m) => m.text ?? '');
  const principals = async () => (await as(OWNER, 'GET', '/api/principals')).body.principals as PrincipalV1[];
  const principalOf = async (userId: number) => (await principals()).find((p) => p.identities.includes(`telegram:${userId}`))!;

  /** A Telegram user writes in the group, gets a pairing code, and the owner token lets them in with `role`. */
  async function pair(user: typeof ADA, role: string): Promise<PrincipalV1> {
    telegram.userSends({ chatId: GROUP, from: user, text: `hello from ${user.first_name}` });
    const pending = async () => ((await as(OWNER, 'GET', '/api/pairing')).body.pending as PairingRequestV1[]).find((p) => p.platformUserId === String(user.id));
    await waitUntil(async () => (await pending()) !== undefined, `${user.first_name}'s pairing request`);
    const approved = await as(OWNER, 'POST', `/api/pairing/${(await pending())!.code}/approve`, { role });
    expect(approved.status).toBe(201);
    return approved.body;
  }

  describe('chats and bindings', () => {
    beforeAll(async () => {
      await pair(ADA, 'owner');
    });

    it('lists the chats Patchbay knows, with the session each follows', async () => {
      const { status, body } = await as(VIEWER, 'GET', '/api/chats');
      expect(status).toBe(200);
      const chats = body.chats as KnownChatV1[];
      expect(chats.find((c) => c.channel === 'api' && c.chatId === 'dash')).toMatchObject({ sessionId, title: null });
      expect(chats.find((c) => c.channel === 'telegram' && c.chatId === String(GROUP))).toMatchObject({ sessionId: null, lastSeenAt: expect.any(String) });
    });

    it("attaches a known chat, which then gets the session's output; detaching stops it", async () => {
      const attached = await as(OPERATOR, 'POST', `/api/sessions/${sessionId}/bindings`, { channel: 'telegram', chatId: String(GROUP), delivery: 'append' });
      expect(attached.status).toBe(200);
      expect(attached.body.bindings as BindingV1[]).toEqual([
        { channel: 'api', chatId: 'dash', delivery: 'live' },
        { channel: 'telegram', chatId: String(GROUP), delivery: 'append' },
      ]);
      expect((await as(VIEWER, 'GET', `/api/sessions/${sessionId}/bindings`)).body).toEqual(attached.body);

      await as(OPERATOR, 'POST', '/api/messages', { text: 'second from the dashboard', chat: 'dash' });
      await waitUntil(
        () => botTexts().some((t) => t.includes('second from the dashboard')),
        `the session's answer in the attached group; it got ${JSON.stringify(botTexts())}`,
        20_000,
      );

      const detached = await as(OPERATOR, 'DELETE', `/api/sessions/${sessionId}/bindings/telegram/${encodeURIComponent(String(GROUP))}`);
      expect(detached).toEqual({ status: 200, body: { bindings: [{ channel: 'api', chatId: 'dash', delivery: 'live' }] } });
      const { taskId } = (await as(OPERATOR, 'POST', '/api/messages', { text: 'third, after detaching', chat: 'dash' })).body;
      await pb.taskEvents(sessionId, taskId);
      expect(botTexts().some((t) => t.includes('third, after detaching'))).toBe(false);
    });

    it('answers 404 naming an unknown session, an unknown chat, and a chat not attached', async () => {
      const noSession = await as(OPERATOR, 'POST', '/api/sessions/nosuchsession/bindings', { channel: 'telegram', chatId: String(GROUP) });
      expect([noSession.status, noSession.body.message]).toEqual([404, 'no session nosuchsession']);
      const noChat = await as(OPERATOR, 'POST', `/api/sessions/${sessionId}/bindings`, { channel: 'telegram', chatId: '-999' });
      expect([noChat.status, noChat.body.message]).toEqual([404, 'Patchbay knows no chat -999 on channel telegram (no message came from it)']);
      const notBound = await as(OPERATOR, 'DELETE', `/api/sessions/${sessionId}/bindings/telegram/${GROUP}`);
      expect([notBound.status, notBound.body.message]).toEqual([404, `chat ${GROUP} on channel telegram is not attached to session ${sessionId}`]);
      const badBody = await as(OPERATOR, 'POST', `/api/sessions/${sessionId}/bindings`, { channel: 'telegram', chatId: String(GROUP), delivery: 'loud' });
      expect(badBody.status).toBe(400);
      expect(badBody.body.message).toMatch(/^delivery: /);
    });

    it('refuses a viewer every change (403), and changes nothing', async () => {
      for (const [method, path, body] of [
        ['POST', `/api/sessions/${sessionId}/bindings`, { channel: 'telegram', chatId: String(GROUP) }],
        ['DELETE', `/api/sessions/${sessionId}/bindings/api/dash`, undefined],
        ['POST', `/api/principals/${(await principalOf(ADA.id)).id}/role`, { role: 'viewer' }],
        ['DELETE', `/api/principals/${(await principalOf(ADA.id)).id}`, undefined],
      ] as const) {
        expect({ method, path, status: (await as(VIEWER, method, path, body)).status }).toEqual({ method, path, status: 403 });
      }
      expect((await as(OPERATOR, 'GET', '/api/audit')).status).toBe(403);
      expect((await as(VIEWER, 'GET', `/api/sessions/${sessionId}/bindings`)).body.bindings).toHaveLength(1);
      expect((await principalOf(ADA.id)).role).toBe('owner');
    });
  });

  describe('principals and roles', () => {
    it("refuses to change the last owner's role or revoke it (409), and lets it go once another owner exists", async () => {
      const ada = await principalOf(ADA.id);
      const demote = await as(OWNER, 'POST', `/api/principals/${ada.id}/role`, { role: 'operator' });
      expect(demote.status).toBe(409);
      expect(demote.body.message).toBe(`cannot change the role of Ada (telegram:${ADA.id}): it is the last owner; make another principal an owner first`);
      expect((await as(OWNER, 'DELETE', `/api/principals/${ada.id}`)).status).toBe(409);

      const bob = await pair(BOB, 'operator');
      const promoted = await as(OWNER, 'POST', `/api/principals/${bob.id}/role`, { role: 'owner' });
      expect(promoted).toEqual({ status: 200, body: { ...bob, role: 'owner' } });
      expect((await as(OWNER, 'POST', `/api/principals/${ada.id}/role`, { role: 'operator' })).body.role).toBe('operator');
      expect((await as(OWNER, 'POST', `/api/principals/${bob.id}/role`, { role: 'viewer' })).status).toBe(409);
    });

    it('revokes a principal: its identity gets a pairing code again', async () => {
      const ada = await principalOf(ADA.id);
      const revoked = await as(OWNER, 'DELETE', `/api/principals/${ada.id}`);
      expect(revoked).toEqual({ status: 200, body: ada });
      expect(await principalOf(ADA.id)).toBeUndefined();
      // By message id, not count: the bot may delete a message of its own meanwhile (a finished run's buttons).
      const lastId = Math.max(0, ...telegram.botMessages(GROUP).map((m) => m.message_id));
      telegram.userSends({ chatId: GROUP, from: ADA, text: 'am I still in?' });
      const answer = () => telegram.botMessages(GROUP).find((m) => m.message_id > lastId);
      await waitUntil(() => answer() !== undefined, 'the answer to the revoked sender');
      expect(answer()!.text).toMatch(/^You are not paired with this Patchbay yet/);
    });

    it('does the same from the CLI: patchbay role and patchbay revoke, by identity', async () => {
      // The CLI sends the config's first owner token.
      const env = { PATCHBAY_CONFIG: join(pb.dir, 'patchbay.yaml'), PATCHBAY_URL: pb.url };
      const promote = await runPatchbay(['role', `telegram:${BOB.id}`, 'operator'], env);
      expect(promote).toMatchObject({ code: 1, stderr: expect.stringContaining('it is the last owner') });
      telegram.userSends({ chatId: GROUP, from: ADA, text: 'let me back in' });
      await waitUntil(
        async () => ((await as(OWNER, 'GET', '/api/pairing')).body.pending as PairingRequestV1[]).some((p) => p.platformUserId === String(ADA.id)),
        "Ada's new pairing request",
      );
      const code = ((await as(OWNER, 'GET', '/api/pairing')).body.pending as PairingRequestV1[]).find((p) => p.platformUserId === String(ADA.id))!.code;
      expect((await runPatchbay(['pair', 'approve', code, '--role', 'viewer'], env)).code).toBe(0);
      expect(await runPatchbay(['role', `telegram:${ADA.id}`, 'owner'], env)).toMatchObject({ code: 0, stdout: `Ada (telegram:${ADA.id}) is now owner\n` });
      expect(await runPatchbay(['revoke', `telegram:${BOB.id}`], env)).toMatchObject({ code: 0, stdout: `Bob (telegram:${BOB.id}) was owner; revoked\n` });
      expect(await runPatchbay(['role', 'telegram:404', 'owner'], env)).toMatchObject({ code: 1, stderr: expect.stringContaining('no principal "telegram:404"') });
      expect((await runPatchbay(['role', `telegram:${ADA.id}`, 'admin'], env)).code).toBe(2);
    });

    it('refuses to change a principal patchbay.yaml lists, and names unknown principals and bad roles', async () => {
      const listed = (await principals()).find((p) => p.fromConfig)!;
      const refused = await as(OWNER, 'POST', `/api/principals/${listed.id}/role`, { role: 'owner' });
      expect([refused.status, refused.body.message]).toEqual([409, 'cannot change the role of telegram:555 (telegram:555): patchbay.yaml lists it under access:, change it there']);
      expect((await as(OWNER, 'DELETE', '/api/principals/nosuchone')).body).toMatchObject({ statusCode: 404, message: 'no principal nosuchone' });
      expect((await as(OWNER, 'POST', `/api/principals/${listed.id}/role`, { role: 'admin' })).status).toBe(400);
    });
  });

  describe('audit search', () => {
    const search = async (query: string) => as(OWNER, 'GET', `/api/audit?${query}`);
    const entries = async (query: string) => (await search(query)).body.entries as AuditEntryV1[];

    it('finds the dashboard changes by substring, action and actor, with who made them, newest first', async () => {
      const attach = await entries('q=BINDING.ATT');
      expect(attach.map((e) => [e.actor, e.action, e.target, e.detail])).toEqual([['api:ops', 'binding.attach', `session:${sessionId}`, `telegram:${GROUP} (append)`]]);
      expect((await entries('action=binding.detach')).map((e) => e.actor)).toEqual(['api:ops']);
      const roles = await entries('actor=api:admin&action=principal.role');
      expect(roles.map((e) => e.detail)).toEqual([
        `Ada (telegram:${ADA.id}): viewer → owner`,
        `Ada (telegram:${ADA.id}): owner → operator`,
        `Bob (telegram:${BOB.id}): operator → owner`,
      ]);
      expect((await entries('actor=api:admin&q=revoke')).map((e) => e.detail)).toEqual([`Bob (telegram:${BOB.id}), was owner`, `Ada (telegram:${ADA.id}), was operator`]);
      expect(await entries('q=%25%25')).toEqual([]);
      expect(await entries('q=ops_')).toEqual([]);
    });

    it('answers 400 naming a bad parameter', async () => {
      for (const [query, name] of [
        ['limit=0', 'limit'],
        [`q=${'x'.repeat(201)}`, 'q'],
        ['action=a&action=b', 'action'],
        [`actor=${'y'.repeat(251)}`, 'actor'],
      ]) {
        const { status, body } = await search(query);
        expect({ query, status, named: body.message.startsWith(`${name}: `) }).toEqual({ query, status: 400, named: true });
      }
    });
  });

  it('keeps each task state change in its history, with who made it where Patchbay knows', async () => {
    const { tasks } = (await as(VIEWER, 'GET', '/api/tasks')).body as { tasks: TaskV1[] };
    const first = (await as(VIEWER, 'GET', `/api/tasks/${tasks.at(-1)!.id}`)).body as TaskV1;
    expect(first.history!.map((h) => [h.to, h.by])).toEqual([
      ['new', 'api:ops'],
      ['routed', null],
      ['queued', null],
      ['running', null],
      ['done', null],
    ]);

    // A run stopped from the API: the cancellation names who stopped it.
    const gated = (await as(OPERATOR, 'POST', '/api/messages', { text: 'wait here [gate]' })).body;
    await waitUntil(async () => ((await as(VIEWER, 'GET', `/api/tasks/${gated.taskId}`)).body as TaskV1).status === 'running', 'the gated task to run');
    expect((await as(OPERATOR, 'POST', `/api/sessions/${gated.sessionId}/kill`)).status).toBe(202);
    await waitUntil(async () => ((await as(VIEWER, 'GET', `/api/tasks/${gated.taskId}`)).body as TaskV1).status === 'cancelled', 'the killed task to be cancelled');
    const killed = (await as(VIEWER, 'GET', `/api/tasks/${gated.taskId}`)).body as TaskV1;
    expect(killed.history!.at(-1)).toMatchObject({ from: 'running', to: 'cancelled', reason: 'killed by api:ops', by: 'api:ops' });
  });
});
