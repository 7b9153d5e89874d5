import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { Client } from 'pg';
import { ConfigSchema } from '@patchbay/config';
import { DeadLetterListV1 } from '@patchbay/contracts';
import { ApiClient } from '../apps/patchbay/src/cli/api-client';
import { doctorCommand } from '../apps/patchbay/src/cli/doctor.command';
import { RunningPatchbay, startServer } from '../apps/patchbay/src/server';
import { FAKE_BOT_TOKEN, FakeTelegramApi } from './fakes/telegram/fake-telegram-api';
import { createTestDatabase } from './support/databases';
import { removeScratch, removeTmuxServer, scratchDir } from './support/patchbay-processes';
import { deleteInboundStream, describeWith, NATS_URL } from './support/services';

jest.setTimeout(60_000);

/** Takes the engine's inbound table away (every message then fails in the store), or puts it back. */
async function breakStore(databaseUrl: string, broken: boolean): Promise<void> {
  const client = new Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    await client.query(broken ? 'alter table inbound_message rename to inbound_message_away' : 'alter table inbound_message_away rename to inbound_message');
  } finally {
    await client.end();
  }
}

const sorryParked = /^Sorry, your message could not be handled after .*; parked as dead letter \w+\.$/;

/**
 * A message the engine cannot handle (its store fails: the inbound table is gone for a
 * while) in an all-in-one Patchbay, on the in-process bus (one try) and on NATS (a few
 * quick tries): the sender is told, over HTTP and in a Telegram chat, and the API and
 * `patchbay doctor` show the dead letter. The same view in both modes.
 */
const modes = [
  { name: 'the in-process bus', needs: [] as 'nats'[], bus: {}, tries: 1 },
  { name: 'NATS', needs: ['nats'] as 'nats'[], bus: { natsUrl: NATS_URL, inbound: { maxDeliver: 2, backoffMs: [10] } }, tries: 2 },
];

for (const mode of modes) {
  describeWith(['postgres', 'tmux', ...mode.needs], `dead letters, all-in-one on ${mode.name}`, () => {
    const telegram = new FakeTelegramApi();
    const tmuxSocket = `pbtest-${randomBytes(4).toString('hex')}`;
    const prefix = `pbtest${randomBytes(4).toString('hex')}`;
    let dir: string;
    let patchbay: RunningPatchbay;
    let url: string;
    let database: { url: string; drop: () => Promise<void> };
    let config: ReturnType<typeof ConfigSchema.parse>;

    beforeAll(async () => {
      dir = scratchDir('dead-letters');
      database = await createTestDatabase('pb_dead_letters');
      const apiRoot = await telegram.start();
      config = ConfigSchema.parse({
        home: join(dir, 'home'),
        http: { port: 0 },
        bus: { prefix, requestTimeoutMs: 10_000, ...mode.bus },
        database: { url: database.url },
        tmux: { socket: tmuxSocket },
        telegram: { token: FAKE_BOT_TOKEN, apiRoot },
      });
      patchbay = await startServer(['gateway', 'engine', 'runner'], { config, file: null });
      url = patchbay.url!;
      await storeBroken(true);
    });

    afterAll(async () => {
      await storeBroken(false).catch(() => undefined);
      await patchbay?.stop();
      await telegram.stop();
      await database?.drop();
      if (mode.needs.includes('nats')) await deleteInboundStream(prefix);
      removeTmuxServer(tmuxSocket);
      if (dir) removeScratch(dir);
    });

    const storeBroken = (broken: boolean) => breakStore(database.url, broken);

    const tries = mode.tries === 1 ? '1 try' : `${mode.tries} tries`;
    const told = new RegExp(`^could not be handled after ${tries}: internal: internal error [a-z2-7]{8}; parked as dead letter (\\w+)$`);

    it('tells the HTTP sender, then lists the dead letter to operators', async () => {
      const response = await fetch(`${url}/api/messages`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ text: '/help' }) });
      const body = (await response.json()) as { error: string; message: string };

      expect(response.status).toBe(502);
      expect(body).toMatchObject({ error: 'dead_letter', message: expect.stringMatching(told) });
      expect(body.message).not.toMatch(/inbound_message|select|insert/i);
      const id = told.exec(body.message)![1];
      const listed = (await (await fetch(`${url}/api/inbound/dead`)).json()) as DeadLetterListV1;
      expect(listed.count).toBe(1);
      expect(listed.deadLetters).toEqual([
        expect.objectContaining({
          id,
          channel: 'local',
          sender: 'local',
          tries: mode.tries,
          reason: expect.stringMatching(/^internal: internal error [a-z2-7]{8}$/),
          text: '/help',
        }),
      ]);
    });

    it('answers a Telegram sender in the chat, so Telegram does not deliver it again', async () => {
      telegram.userSends({ chatId: 501, from: { id: 501, first_name: 'Ann' }, text: 'hello bot' });
      const reply = await telegram.waitForCall((c) => c.method === 'sendMessage', { timeoutMs: 30_000 });

      expect(reply.params.text).toMatch(sorryParked);
      const listed = (await (await fetch(`${url}/api/inbound/dead`)).json()) as DeadLetterListV1;
      expect(listed.deadLetters[0]).toMatchObject({ channel: 'telegram', chatId: '501', sender: '501', text: 'hello bot', tries: mode.tries });
    });

    it('patchbay doctor counts the dead letters as a warning', async () => {
      let printed = '';
      const write = process.stdout.write;
      process.stdout.write = ((chunk: string) => ((printed += chunk), true)) as typeof process.stdout.write;
      try {
        await doctorCommand({ config, file: null }, new ApiClient(url));
      } finally {
        process.stdout.write = write;
      }
      expect(printed).toContain('! dead letters: 2 (see GET /api/inbound/dead) → read their reasons');
    });

    it('lets an owner send a dead letter again once the cause is fixed, and drop another', async () => {
      await storeBroken(false);
      const list = async () => (await (await fetch(`${url}/api/inbound/dead`)).json()) as DeadLetterListV1;
      const unsafe = (method: string, path: string) => fetch(`${url}${path}`, { method, headers: { 'content-type': 'application/json' } });
      const { deadLetters } = await list();
      const fromHttp = deadLetters.find((l) => l.channel === 'local')!;
      const fromTelegram = deadLetters.find((l) => l.channel === 'telegram')!;

      const retried = await unsafe('POST', `/api/inbound/dead/${fromHttp.id}/retry`);
      expect(retried.status).toBe(200);
      expect(await retried.json()).toMatchObject({ outcome: 'command', reply: expect.stringContaining('/help') });
      const dropped = await unsafe('DELETE', `/api/inbound/dead/${fromTelegram.id}`);
      expect(dropped.status).toBe(204);

      expect(await list()).toEqual({ count: 0, deadLetters: [] });
      // The Telegram sender was told once, in the reply: not again by the notice for senders
      // who stopped waiting (the notice, were it sent, went out long before these calls ended).
      expect(telegram.calls.filter((c) => c.method === 'sendMessage' && String(c.params.chat_id) === '501')).toHaveLength(1);
      expect((await unsafe('POST', `/api/inbound/dead/${fromHttp.id}/retry`)).status).toBe(404);
      expect((await unsafe('DELETE', `/api/inbound/dead/${fromTelegram.id}`)).status).toBe(404);
    });
  });
}

/**
 * The engine gives up on a message only after its sender stopped waiting (it was told
 * "busy or restarting"): the chat still hears that it was parked, once.
 */
describeWith(['postgres', 'tmux', 'nats'], 'dead letters, parked after the sender stopped waiting', () => {
  const telegram = new FakeTelegramApi();
  const tmuxSocket = `pbtest-${randomBytes(4).toString('hex')}`;
  const prefix = `pbtest${randomBytes(4).toString('hex')}`;
  let dir: string;
  let patchbay: RunningPatchbay;
  let database: { url: string; drop: () => Promise<void> };

  beforeAll(async () => {
    dir = scratchDir('dead-letters-late');
    database = await createTestDatabase('pb_dead_letters_late');
    const apiRoot = await telegram.start();
    const config = ConfigSchema.parse({
      home: join(dir, 'home'),
      http: { port: 0 },
      // The chat waits 300 ms for an answer; the second try comes 1.5 s after the first.
      bus: { prefix, requestTimeoutMs: 300, natsUrl: NATS_URL, inbound: { maxDeliver: 2, backoffMs: [1_500] } },
      database: { url: database.url },
      tmux: { socket: tmuxSocket },
      telegram: { token: FAKE_BOT_TOKEN, apiRoot },
    });
    patchbay = await startServer(['gateway', 'engine', 'runner'], { config, file: null });
    await breakStore(database.url, true);
  });

  afterAll(async () => {
    await breakStore(database.url, false).catch(() => undefined);
    await patchbay?.stop();
    await telegram.stop();
    await database?.drop();
    await deleteInboundStream(prefix);
    removeTmuxServer(tmuxSocket);
    if (dir) removeScratch(dir);
  });

  it('tells the chat when the message is parked', async () => {
    telegram.userSends({ chatId: 502, from: { id: 502, first_name: 'Bo' }, text: 'hello later' });
    const toChat = () => telegram.calls.filter((c) => c.method === 'sendMessage' && String(c.params.chat_id) === '502');
    const busy = await telegram.waitForCall((c) => c.method === 'sendMessage' && String(c.params.chat_id) === '502', { timeoutMs: 30_000 });
    expect(busy.params.text).toMatch(/busy or restarting/);

    const notice = await telegram.waitForCall((c) => c.method === 'sendMessage' && String(c.params.chat_id) === '502' && sorryParked.test(String(c.params.text)), {
      timeoutMs: 30_000,
    });
    expect(notice.params.text).toMatch(/after 2 tries/);
    expect(toChat()).toHaveLength(2);
  });
});
