import { AckPolicy, DeliverPolicy, RetentionPolicy, StorageType } from 'nats';
import { InboundAcceptedV1, InboundMessageV1, InboundResultV1, newId } from '@patchbay/contracts';
import { deleteInboundStream, describeWith, NATS_URL } from '../../../test/support/services';
import { AppError, Bus, encode } from './bus';
import { RemoteError } from './bus.errors';
import { inboundKey, JetStreamInboundQueue } from './inbound-queue';
import { NatsTransport } from './nats.transport';

jest.setTimeout(30_000);

const inbound = (messageId: string, text: string): InboundMessageV1 => ({
  channel: 'local',
  accountId: 'local',
  messageId,
  chatId: 'chat-1',
  sender: { id: 'local' },
  text,
  receivedAt: new Date().toISOString(),
});

describeWith(['nats'], 'JetStreamInboundQueue (real NATS with JetStream)', () => {
  const prefix = `pbtest${newId(6)}`;
  let transport: NatsTransport;
  let queue: JetStreamInboundQueue;
  let consuming: { stop(): Promise<void> };
  /** Answers as the engine would: the first text under an id, and a refusal for another text under it. */
  const firstText = new Map<string, string>();
  const handler = async (message: InboundMessageV1): Promise<InboundAcceptedV1> => {
    const seen = firstText.get(message.messageId);
    if (seen !== undefined && seen !== message.text) throw new AppError('idempotency_conflict', `message id ${message.messageId} was already used for a different message`);
    firstText.set(message.messageId, message.text);
    return { taskId: null, sessionId: null, duplicate: seen !== undefined, outcome: 'command', reply: `got ${message.text}` };
  };

  beforeAll(async () => {
    transport = await NatsTransport.connect(NATS_URL, 'inbound-queue-spec');
    const bus = new Bus(transport, { prefix, requestTimeoutMs: 5_000 });
    queue = new JetStreamInboundQueue(transport, bus, { maxDeliver: 5, backoffMs: [1_000] });
    consuming = await queue.consume(handler);
  });

  afterAll(async () => {
    await consuming?.stop();
    await transport?.close();
    await deleteInboundStream(prefix);
  });

  const message = inbound;

  it("passes on the engine's refusal of a repeat the stream dropped as a duplicate, instead of calling it queued", async () => {
    expect(await queue.submit(message('key-1', 'first'), 5_000)).toMatchObject({ reply: 'got first' });
    expect(await queue.submit(message('key-1', 'first'), 5_000)).toMatchObject({ duplicate: true, reply: 'got first' });
    const reused = queue.submit(message('key-1', 'second'), 5_000);
    await expect(reused).rejects.toBeInstanceOf(RemoteError);
    await expect(reused).rejects.toMatchObject({ code: 'idempotency_conflict' });
  });
});

describeWith(['nats'], 'JetStreamInboundQueue dead letters (real NATS with JetStream)', () => {
  const prefix = `pbtest${newId(6)}`;
  const stream = `${prefix.toUpperCase()}_INBOUND`;
  let transport: NatsTransport;
  let bus: Bus;
  let queue: JetStreamInboundQueue;
  let consuming: { stop(): Promise<void> } | undefined;
  /** Every try the handler got, by message id. */
  const tries = new Map<string, number>();
  const handled: string[] = [];
  const handler = async (message: InboundMessageV1): Promise<InboundAcceptedV1> => {
    const n = (tries.get(message.messageId) ?? 0) + 1;
    tries.set(message.messageId, n);
    if (message.text === 'poison' || (message.text === 'flaky' && n === 1)) throw new Error('insert into "inbound_message" values (\'secret\') failed');
    handled.push(message.messageId);
    return { taskId: null, sessionId: null, duplicate: false, outcome: 'command', reply: `got ${message.text}` };
  };

  beforeAll(async () => {
    transport = await NatsTransport.connect(NATS_URL, 'dead-letter-spec');
    bus = new Bus(transport, { prefix, requestTimeoutMs: 5_000 });
  });

  afterEach(async () => {
    await consuming?.stop();
    consuming = undefined;
  });

  afterAll(async () => {
    await transport?.close();
    await deleteInboundStream(prefix);
  });

  /** Resolves with the engine's next answer for a message (subscribed before it is sent). */
  const resultOf = (m: InboundMessageV1) =>
    new Promise<InboundResultV1>((resolve) => {
      const sub = bus.subscribe(
        'inbound.result.*',
        (answer) => {
          sub.unsubscribe();
          resolve(answer);
        },
        { params: [inboundKey(m)] },
      );
    });

  it('upgrades a consumer made without max_deliver, keeping its messages, and parks one whose last try died with its engine', async () => {
    // What an older Patchbay left: the stream, a consumer without max_deliver, a message
    // its engines tried 3 times without answering (they died), and one never tried.
    const jsm = await transport.connection.jetstreamManager();
    const js = transport.connection.jetstream();
    await jsm.streams.add({
      name: stream,
      subjects: [`${prefix}.inbound.durable`],
      storage: StorageType.File,
      retention: RetentionPolicy.Workqueue,
      duplicate_window: 120e9,
      max_age: 7 * 24 * 3600e9,
    });
    await jsm.consumers.add(stream, { durable_name: 'engine', ack_policy: AckPolicy.Explicit, deliver_policy: DeliverPolicy.All, ack_wait: 30e9 });
    const interrupted = inbound('old-1', 'interrupted');
    await js.publish(`${prefix}.inbound.durable`, encode(interrupted), { msgID: inboundKey(interrupted) });
    const old = await js.consumers.get(stream, 'engine');
    for (let i = 0; i < 3; i++) {
      for await (const msg of await old.fetch({ max_messages: 1, expires: 5_000 })) msg.nak();
    }
    const waiting = inbound('old-2', 'waiting');
    await js.publish(`${prefix}.inbound.durable`, encode(waiting), { msgID: inboundKey(waiting) });

    const parked = resultOf(interrupted);
    const answered = resultOf(waiting);
    queue = new JetStreamInboundQueue(transport, bus, { maxDeliver: 3, backoffMs: [10] });
    consuming = await queue.consume(handler);

    expect((await jsm.consumers.info(stream, 'engine')).config.max_deliver).toBe(4);
    expect(await answered).toMatchObject({ reply: 'got waiting' });
    expect(await parked).toEqual({
      failed: {
        code: 'dead_letter',
        message: expect.stringMatching(/^could not be handled after 3 tries: interrupted: the engine stopped during the last try; parked as dead letter \w+$/),
      },
    });
    expect(tries.has('old-1')).toBe(false);
    const { letters } = await queue.deadLetters.list(10);
    expect(letters[0]).toMatchObject({ message: { messageId: 'old-1' }, tries: 3, reason: { code: 'interrupted' } });
  });

  it('tries a poison message maxDeliver times, then parks it with its reason, tells the sender, and never delivers it again', async () => {
    queue = new JetStreamInboundQueue(transport, bus, { maxDeliver: 3, backoffMs: [10, 20] });
    consuming = await queue.consume(handler);
    const poison = inbound('poison-1', 'poison');

    const failure = await queue.submit(poison, 20_000).then(
      () => null,
      (error: unknown) => error,
    );

    expect(failure).toBeInstanceOf(RemoteError);
    const { message: told, code } = failure as RemoteError;
    expect(code).toBe('dead_letter');
    const id = /parked as dead letter (\w+)$/.exec(told)?.[1];
    // The last try's error id: its log line explains it, never the error's message.
    const errorId = /internal error ([a-z2-7]{8})/.exec(told)?.[1];
    expect(told).toBe(`could not be handled after 3 tries: internal: internal error ${errorId}; parked as dead letter ${id}`);
    expect(told).not.toMatch(/insert|secret/);
    expect(tries.get('poison-1')).toBe(3);
    const { count, letters } = await queue.deadLetters.list(10);
    expect(count).toBeGreaterThanOrEqual(1);
    expect(letters[0]).toMatchObject({ id, message: { messageId: 'poison-1', text: 'poison' }, tries: 3, reason: { code: 'internal', message: `internal error ${errorId}` } });
    // Off the inbound stream: nothing left to deliver.
    const jsm = await transport.connection.jetstreamManager();
    expect((await jsm.streams.info(stream)).state.messages).toBe(0);
    expect(await jsm.consumers.info(stream, 'engine')).toMatchObject({ num_pending: 0, num_ack_pending: 0, num_redelivered: 0 });
  });

  it('handles exactly once a message that fails once and then succeeds, and parks nothing', async () => {
    queue = new JetStreamInboundQueue(transport, bus, { maxDeliver: 3, backoffMs: [10] });
    consuming = await queue.consume(handler);
    const before = (await queue.deadLetters.list(500)).count;

    expect(await queue.submit(inbound('flaky-1', 'flaky'), 20_000)).toMatchObject({ reply: 'got flaky' });

    expect(tries.get('flaky-1')).toBe(2);
    expect(handled.filter((id) => id === 'flaky-1')).toHaveLength(1);
    expect((await queue.deadLetters.list(500)).count).toBe(before);
  });

  it("answers a refusal (the handler's AppError) at once, without retrying or parking it", async () => {
    queue = new JetStreamInboundQueue(transport, bus, { maxDeliver: 3, backoffMs: [10] });
    consuming = await queue.consume(async (m) => {
      tries.set(m.messageId, (tries.get(m.messageId) ?? 0) + 1);
      throw new AppError('idempotency_conflict', `message id ${m.messageId} was already used for a different message`);
    });
    const before = (await queue.deadLetters.list(500)).count;

    const refused = queue.submit(inbound('refused-1', 'other'), 20_000);

    await expect(refused).rejects.toMatchObject({ code: 'idempotency_conflict', message: 'message id refused-1 was already used for a different message' });
    expect(tries.get('refused-1')).toBe(1);
    expect((await queue.deadLetters.list(500)).count).toBe(before);
  });
});
