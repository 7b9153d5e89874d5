import { ArgumentsHost } from '@nestjs/common';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Bus, JetStreamInboundQueue, NatsTransport } from '@patchbay/bus';
import { PatchbayConfig } from '@patchbay/config';
import { InboundAcceptedV1, newId } from '@patchbay/contracts';
import { PrivateNatsServer } from '../../../test/support/private-nats-server';
import { freePort } from '../../../test/support/patchbay-processes';
import { BusErrorFilter } from './bus-error.filter';
import { MessagesController } from './messages.controller';

jest.setTimeout(60_000);

/** The status, headers and JSON body of one answer, whether the controller or the filter set them. */
class FakeResponse {
  statusCode = 200;
  body: unknown;
  headersSent = false;
  readonly headers: Record<string, string> = {};
  status(code: number): this {
    this.statusCode = code;
    return this;
  }
  setHeader(name: string, value: string): this {
    this.headers[name.toLowerCase()] = value;
    return this;
  }
  json(body: unknown): this {
    this.body = body;
    return this;
  }
}

async function until(condition: () => boolean, what: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/**
 * POST /api/messages over a private nats-server with JetStream that the suite stops and
 * starts again: while it is down a message is refused with 503 and Retry-After (nothing
 * stored), never a bare 500; once it is back the same call is answered by the engine.
 */
describe('POST /api/messages while the broker is down (a private nats-server)', () => {
  const prefix = `pbtest${newId(6)}`;
  let dir: string;
  let server: PrivateNatsServer;
  let transport: NatsTransport;
  let consuming: { stop(): Promise<void> };
  let controller: MessagesController;
  let filter: BusErrorFilter;
  /** Every message the engine was handed, and whether it had seen its id before (as the engine's unique key would). */
  const handled: { text: string; duplicate: boolean }[] = [];
  const seen = new Set<string>();

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'pb-nats-outage-'));
    const port = await freePort();
    server = new PrivateNatsServer(['-a', '127.0.0.1', '-p', String(port), '-js', '-sd', dir]);
    await server.start();
    transport = await NatsTransport.connect(`nats://127.0.0.1:${port}`, 'intake-outage-spec');
    const bus = new Bus(transport, { prefix, requestTimeoutMs: 2_000 });
    const queue = new JetStreamInboundQueue(transport, bus, { maxDeliver: 2, backoffMs: [500] });
    consuming = await queue.consume(async (message): Promise<InboundAcceptedV1> => {
      const duplicate = seen.has(message.messageId);
      seen.add(message.messageId);
      handled.push({ text: message.text, duplicate });
      return { taskId: null, sessionId: null, duplicate, outcome: 'command', reply: `got ${message.text}` };
    });
    controller = new MessagesController(queue, { bus: { requestTimeoutMs: 2_000 } } as PatchbayConfig);
    filter = new BusErrorFilter({ isHeadersSent: () => false, reply: () => undefined } as never);
  });

  afterAll(async () => {
    server?.freeze(false);
    await consuming?.stop().catch(() => undefined);
    await transport?.close();
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  /** One POST as Nest runs it: the controller's answer, or its error through the filter. */
  async function post(text: string, idempotencyKey?: string): Promise<FakeResponse> {
    const response = new FakeResponse();
    const request = { method: 'POST', path: '/api/messages' };
    const host = {
      getType: () => 'http',
      switchToHttp: () => ({ getRequest: () => request, getResponse: () => response }),
    } as unknown as ArgumentsHost;
    try {
      response.body = await controller.post({ text, chat: 'outage' }, response as never, { kind: 'local', user: 'spec', role: 'owner' }, idempotencyKey);
    } catch (error) {
      filter.catch(error, host);
    }
    return response;
  }

  it('refuses a message at once with 503 and Retry-After while the server is down, and takes it once it is back', async () => {
    expect(await post('/before')).toMatchObject({ statusCode: 200, body: { reply: 'got /before' } });

    await server.stop('SIGKILL');
    await until(() => !transport.isConnected(), 'the client to see the server gone');
    const started = Date.now();
    const refused = await post('/during');
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(refused.statusCode).toBe(503);
    expect(refused.headers).toEqual({ 'retry-after': '5' });
    expect(refused.body).toEqual({ statusCode: 503, error: 'bus_unavailable', message: 'the message bus is unavailable (disconnected); nothing was stored, try again' });

    await server.start();
    await until(() => transport.isConnected(), 'the client to reconnect');
    expect(await post('/after')).toMatchObject({ statusCode: 200, body: { reply: 'got /after' } });
    expect(handled.map(({ text }) => text)).toEqual(['/before', '/after']);
  });

  it('says a publish that got no ack may be stored, and a retry under the same Idempotency-Key is a repeat, not a second message', async () => {
    server.freeze(true);
    const unconfirmed = await post('/frozen', 'outage-key-1');
    server.freeze(false);
    expect(unconfirmed.statusCode).toBe(503);
    expect(unconfirmed.body).toEqual({
      statusCode: 503,
      error: 'bus_unavailable',
      message: 'the message bus is unavailable (TIMEOUT); it may not be stored: try again with the same Idempotency-Key',
    });
    expect(await post('/frozen', 'outage-key-1')).toMatchObject({ statusCode: 200, body: { reply: 'got /frozen' } });
    // The stream did take the unconfirmed publish: its delivery and the retry reach the engine as one message.
    const frozen = () => handled.filter(({ text }) => text === '/frozen');
    await until(() => frozen().length === 2, 'the stored message to reach the engine');
    expect(frozen().map(({ duplicate }) => duplicate)).toEqual([false, true]);
  });
});
