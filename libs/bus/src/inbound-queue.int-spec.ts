import { InboundAcceptedV1, InboundMessageV1, newId } from '@patchbay/contracts';
import { deleteInboundStream, describeWith, NATS_URL } from '../../../test/support/services';
import { AppError, Bus } from './bus';
import { RemoteError } from './bus.errors';
import { JetStreamInboundQueue } from './inbound-queue';
import { NatsTransport } from './nats.transport';

jest.setTimeout(30_000);

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
    queue = new JetStreamInboundQueue(transport, bus);
    consuming = await queue.consume(handler);
  });

  afterAll(async () => {
    await consuming?.stop();
    await transport?.close();
    await deleteInboundStream(prefix);
  });

  const message = (messageId: string, text: string): InboundMessageV1 => ({
    channel: 'local', accountId: 'local', messageId, chatId: null, sender: { id: 'local' }, text, receivedAt: new Date().toISOString(),
  });

  it("passes on the engine's refusal of a repeat the stream dropped as a duplicate, instead of calling it queued", async () => {
    expect(await queue.submit(message('key-1', 'first'), 5_000)).toMatchObject({ reply: 'got first' });
    expect(await queue.submit(message('key-1', 'first'), 5_000)).toMatchObject({ duplicate: true, reply: 'got first' });
    const reused = queue.submit(message('key-1', 'second'), 5_000);
    await expect(reused).rejects.toBeInstanceOf(RemoteError);
    await expect(reused).rejects.toMatchObject({ code: 'idempotency_conflict' });
  });
});
