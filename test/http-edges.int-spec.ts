import { randomBytes } from 'node:crypto';
import { ClientRequest, get, IncomingMessage } from 'node:http';
import { join } from 'node:path';
import { ConfigSchema } from '@patchbay/config';
import { RunningPatchbay, startServer } from '../apps/patchbay/src/server';
import { deliveryHeaders, exampleDelivery } from './fakes/github/github-deliveries';
import { FAKE_GITHUB_TOKEN, FakeGitHubApi } from './fakes/github/fake-github-api';
import { FAKE_BOT_TOKEN, FakeTelegramApi } from './fakes/telegram/fake-telegram-api';
import { createTestDatabase } from './support/databases';
import { removeScratch, removeTmuxServer, scratchDir } from './support/patchbay-processes';
import { describeWith } from './support/services';

jest.setTimeout(60_000);

const GITHUB_SECRET = 'edges-github-secret';
const TELEGRAM_SECRET = 'edges-telegram-secret';

/** Everything the process writes to stdout and stderr while the suite runs (Nest's logger writes there). */
class CapturedOutput {
  private text = '';
  private readonly originals = { stdout: process.stdout.write.bind(process.stdout), stderr: process.stderr.write.bind(process.stderr) };

  start(): void {
    for (const stream of ['stdout', 'stderr'] as const) {
      process[stream].write = ((chunk: string | Uint8Array, ...rest: never[]) => {
        this.text += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
        return this.originals[stream](chunk, ...rest);
      }) as typeof process.stdout.write;
    }
  }

  stop(): void {
    process.stdout.write = this.originals.stdout;
    process.stderr.write = this.originals.stderr;
  }

  /** What was written after `mark` (a length of the output taken earlier). */
  since(mark: number): string {
    return this.text.slice(mark);
  }

  get length(): number {
    return this.text.length;
  }
}

/**
 * The HTTP edges of an all-in-one Patchbay started in this process (real PostgreSQL, tmux,
 * the real grammy and Octokit against the strict fakes): webhooks checked before parsing,
 * what a client's bad request does to the log, how many event streams a client may hold.
 */
describeWith(['postgres', 'tmux'], 'HTTP edges (webhooks, client errors)', () => {
  const telegram = new FakeTelegramApi();
  const github = new FakeGitHubApi();
  const output = new CapturedOutput();
  const tmuxSocket = `pbtest-${randomBytes(4).toString('hex')}`;
  let dir: string;
  let patchbay: RunningPatchbay;
  let url: string;
  let dropDatabase: () => Promise<void>;

  beforeAll(async () => {
    output.start();
    dir = scratchDir('http-edges');
    const database = await createTestDatabase('pb_http_edges');
    dropDatabase = database.drop;
    const apiRoot = await telegram.start();
    const apiUrl = await github.start();
    const config = ConfigSchema.parse({
      home: join(dir, 'home'),
      http: { port: 0, maxStreamsPerClient: 2, maxStreams: 3 },
      bus: { prefix: `pbtest${randomBytes(4).toString('hex')}` },
      database: { url: database.url },
      tmux: { socket: tmuxSocket },
      // Runs until the suite's tmux server goes: a session with a live run to stream.
      defaultAgent: 'waiter',
      agents: { waiter: { command: 'sh', args: ['-c', 'sleep 600', 'sh'] } },
      telegram: { token: FAKE_BOT_TOKEN, apiRoot, mode: 'webhook', webhookUrl: 'http://127.0.0.1:9/webhooks/telegram', webhookSecret: TELEGRAM_SECRET },
      github: { token: FAKE_GITHUB_TOKEN, apiUrl, webhookSecret: GITHUB_SECRET },
    });
    patchbay = await startServer(['gateway', 'engine', 'runner'], { config, file: null });
    url = patchbay.url!;
  });

  afterAll(async () => {
    await patchbay?.stop();
    output.stop();
    await telegram.stop();
    await github.stop();
    await dropDatabase?.();
    removeTmuxServer(tmuxSocket);
    if (dir) removeScratch(dir);
  });

  const postGitHub = (body: string, headers: Record<string, string>) =>
    fetch(`${url}/webhooks/github`, { method: 'POST', headers: { ...deliveryHeaders('issue_comment', body, GITHUB_SECRET), ...headers }, body });
  const postTelegram = (body: string, secret = TELEGRAM_SECRET) =>
    fetch(`${url}/webhooks/telegram`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-telegram-bot-api-secret-token': secret }, body });

  describe('GitHub webhook', () => {
    it('refuses a bad signature with 401 before parsing, even when the body is not JSON', async () => {
      const response = await postGitHub('{not json', { 'x-hub-signature-256': `sha256=${'0'.repeat(64)}` });
      expect(response.status).toBe(401);
      expect(await response.json()).toMatchObject({ message: 'X-Hub-Signature-256 is missing or does not match the body' });
    });

    it('answers a signed body that is not JSON with 400 naming the problem', async () => {
      const response = await postGitHub('{not json', {});
      expect(response.status).toBe(400);
      expect(await response.json()).toMatchObject({ message: 'the body is not a JSON payload' });
    });

    it('still takes a signed JSON delivery', async () => {
      const response = await postGitHub(JSON.stringify(exampleDelivery('issue_comment', 'created')), {});
      expect(response.status).toBeLessThan(300);
    });
  });

  describe('Telegram webhook', () => {
    const withoutSender = JSON.stringify({
      update_id: 9001,
      message: { message_id: 5, date: 1_700_000_000, chat: { id: -100123, type: 'supergroup', title: 'Ops' }, sender_chat: { id: -100123, type: 'supergroup' }, text: 'hello' },
    });

    it('refuses a wrong secret with 403 before parsing, even when the body is not JSON', async () => {
      const response = await postTelegram('{not json', 'wrong-secret');
      expect(response.status).toBe(403);
    });

    it('answers a body with the right secret that is not JSON, or not an update, with 400', async () => {
      const notJson = await postTelegram('{not json');
      expect(notJson.status).toBe(400);
      expect(await notJson.json()).toMatchObject({ message: 'the body is not JSON' });
      const notUpdate = await postTelegram('{"message":{}}');
      expect(notUpdate.status).toBe(400);
      expect(await notUpdate.json()).toMatchObject({ message: 'the body is not a Telegram update (no numeric update_id)' });
    });

    it('answers an update without a sender 200 and ignores it, and the log never shows the bot token', async () => {
      const mark = output.length;
      const response = await postTelegram(withoutSender);
      expect(response.status).toBe(200);
      expect(output.since(mark)).toContain('update 9001 in chat -100123 has no sender: ignored');
      expect(output.since(0)).not.toContain(FAKE_BOT_TOKEN.split(':')[1]);
    });

    it('logs a failed update as one line without the bot token, and answers 500 so Telegram delivers it again', async () => {
      // A chat Telegram (the fake) does not know: the pairing-code reply is refused.
      const update = {
        update_id: 9002,
        message: { message_id: 6, date: 1_700_000_000, chat: { id: 777001, type: 'private' }, from: { id: 777001, is_bot: false, first_name: 'Eve' }, text: 'hi' },
      };
      const mark = output.length;
      const response = await postTelegram(JSON.stringify(update));
      expect(response.status).toBe(500);
      const log = output.since(mark);
      expect(log.split('\n').filter((line) => line.includes('ERROR'))).toEqual([
        expect.stringMatching(/\[TelegramPlugin\].*update 9002: Telegram refused sendMessage: 400 Bad Request: chat not found/),
      ]);
      expect(log).not.toMatch(/\n\s+at /);
      expect(log).not.toContain(FAKE_BOT_TOKEN.split(':')[1]);
    });
  });

  describe("a client's bad request", () => {
    const post = (body: string, contentType = 'application/json') => fetch(`${url}/api/messages`, { method: 'POST', headers: { 'content-type': contentType }, body });
    /** The log lines that mention `text`. */
    const linesWith = (log: string, text: string) => log.split('\n').filter((line) => line.includes(text));

    it.each([
      ['a body over the limit', () => post(JSON.stringify({ text: 'x'.repeat(200_000) })), 413, 'request entity too large'],
      ['an unknown charset', () => post('{}', 'application/json; charset=klingon'), 415, 'unsupported charset "KLINGON"'],
      ['malformed JSON', () => post('{bad'), 400, "Expected property name or '}' in JSON at position 1"],
      ['a webhook body over its limit', () => fetch(`${url}/webhooks/telegram`, { method: 'POST', body: 'x'.repeat(1_100_000) }), 413, 'request entity too large'],
    ])('answers %s with its status, logged as one WARN line without a stack', async (_what, send, status, message) => {
      const mark = output.length;
      const response = await send();
      expect(response.status).toBe(status);
      expect(await response.json()).toMatchObject({ statusCode: status, message });
      const log = output.since(mark);
      expect(linesWith(log, message)).toEqual([expect.stringMatching(new RegExp(`WARN.*\\[HTTP\\].*POST /(api/messages|webhooks/telegram) from .*: ${status} `))]);
      expect(log).not.toMatch(/ERROR|\n\s+at /);
    });

    it('still takes a good JSON body', async () => {
      const response = await post(JSON.stringify({ text: '/help' }));
      expect(response.status).toBe(200);
      expect(await response.json()).toMatchObject({ outcome: 'command' });
    });
  });

  describe('Idempotency-Key', () => {
    const post = (key: string, body: { text: string; chat?: string }) =>
      fetch(`${url}/api/messages`, { method: 'POST', headers: { 'content-type': 'application/json', 'idempotency-key': key }, body: JSON.stringify(body) });

    it('answers the same key with the same body as the first time', async () => {
      const first = await post('key-same', { text: '/help' });
      expect(first.status).toBe(200);
      const again = await post('key-same', { text: '/help' });
      expect(again.status).toBe(200);
      expect(await again.json()).toMatchObject({ duplicate: true, outcome: 'command', reply: ((await first.json()) as { reply: string }).reply });
    });

    it('refuses the same key with another body, or another chat, with 422', async () => {
      expect((await post('key-reused', { text: '/help' })).status).toBe(200);
      for (const body of [{ text: '/status' }, { text: '/help', chat: 'elsewhere' }]) {
        const reused = await post('key-reused', body);
        expect(reused.status).toBe(422);
        expect(await reused.json()).toMatchObject({ error: 'idempotency_conflict', message: 'message id key-reused was already used for a different message' });
      }
    });
  });

  describe('event streams', () => {
    interface OpenedStream {
      status: number;
      body: string;
      close(): void;
    }
    const opened: OpenedStream[] = [];
    let path = '';

    /** GET the session's events from `from` (a loopback address): the status, and for a refusal its body. */
    const openStream = (from: string): Promise<OpenedStream> =>
      new Promise((resolve, reject) => {
        const request: ClientRequest = get(`${url}${path}`, { localAddress: from, agent: false }, (response: IncomingMessage) => {
          const stream = { status: response.statusCode!, body: '', close: () => request.destroy() };
          if (stream.status === 200) {
            opened.push(stream);
            return resolve(stream);
          }
          response.setEncoding('utf8');
          response.on('data', (chunk: string) => (stream.body += chunk));
          response.on('end', () => resolve(stream));
        });
        request.on('error', (error) => (request.destroyed ? undefined : reject(error)));
      });

    beforeAll(async () => {
      const response = await fetch(`${url}/api/messages`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ text: 'wait' }) });
      const { sessionId, taskId } = (await response.json()) as { sessionId: string; taskId: string };
      path = `/api/sessions/${sessionId}/events?task=${taskId}`;
    });

    afterAll(() => opened.forEach((stream) => stream.close()));

    it('lets one address hold http.maxStreamsPerClient streams, and refuses the next with 429', async () => {
      expect((await openStream('127.0.0.1')).status).toBe(200);
      expect((await openStream('127.0.0.1')).status).toBe(200);
      const refused = await openStream('127.0.0.1');
      expect(refused.status).toBe(429);
      expect(JSON.parse(refused.body)).toMatchObject({ message: 'too many open event streams from 127.0.0.1 (at most 2): close one first' });
    });

    it('counts every address against http.maxStreams', async () => {
      expect((await openStream('127.0.0.2')).status).toBe(200);
      const refused = await openStream('127.0.0.2');
      expect(refused.status).toBe(429);
      expect(JSON.parse(refused.body)).toMatchObject({ message: 'too many open event streams (at most 3 in all): try again later' });
    });

    it('frees the slot of a stream the client closed', async () => {
      opened.shift()!.close();
      let again = await openStream('127.0.0.1');
      for (const deadline = Date.now() + 5_000; again.status === 429 && Date.now() < deadline;) {
        await new Promise((resolve) => setTimeout(resolve, 50));
        again = await openStream('127.0.0.1');
      }
      expect(again.status).toBe(200);
    });
  });
});
