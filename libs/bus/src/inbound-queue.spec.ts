import { InboundAcceptedV1, InboundMessageV1 } from '@patchbay/contracts';
import { AppError, Bus } from './bus';
import { RemoteError } from './bus.errors';
import { MAX_DEAD_LETTERS, MemoryDeadLetters } from './dead-letters';
import { DirectInboundQueue } from './inbound-queue';
import { InProcessTransport } from './in-process.transport';

const message = (messageId: string, text: string): InboundMessageV1 => ({
  channel: 'telegram',
  accountId: 'bot',
  messageId,
  chatId: '42',
  sender: { id: '7' },
  text,
  receivedAt: new Date().toISOString(),
});

describe('DirectInboundQueue', () => {
  let bus: Bus;
  let queue: DirectInboundQueue;
  let consuming: { stop(): Promise<void> };
  let calls: number;

  beforeEach(async () => {
    bus = new Bus(new InProcessTransport(), { prefix: 'pb', requestTimeoutMs: 1_000 });
    queue = new DirectInboundQueue(bus);
    calls = 0;
    consuming = await queue.consume(async (m): Promise<InboundAcceptedV1> => {
      calls++;
      if (m.text === 'refused') throw new AppError('idempotency_conflict', 'message id was already used for a different message');
      if (m.text === 'poison') throw new Error('insert into "inbound_message" values (\'secret\')');
      return { taskId: null, sessionId: null, duplicate: false, outcome: 'command', reply: 'ok' };
    });
  });

  afterEach(async () => {
    await consuming.stop();
    await bus.close();
  });

  it('answers a failing message once as a dead letter, with a safe reason, and lists it', async () => {
    const failure = await queue.submit(message('m-1', 'poison'), 1_000).then(
      () => null,
      (error: unknown) => error,
    );

    expect(failure).toBeInstanceOf(RemoteError);
    expect(failure).toMatchObject({ code: 'dead_letter' });
    const { count, letters } = await queue.deadLetters.list(10);
    expect(count).toBe(1);
    // The reason names the error id of the log line that explains it, never the error's message.
    const errorId = /internal error ([a-z2-7]{8})/.exec((failure as Error).message)?.[1];
    expect((failure as Error).message).toBe(`could not be handled after 1 try: internal: internal error ${errorId}; parked as dead letter ${letters[0].id}`);
    expect(letters[0]).toMatchObject({ message: { messageId: 'm-1', text: 'poison' }, tries: 1, reason: { code: 'internal', message: `internal error ${errorId}` } });
    expect(calls).toBe(1);
  });

  it('passes a refusal on as it is, without parking it', async () => {
    await expect(queue.submit(message('m-2', 'refused'), 1_000)).rejects.toMatchObject({ code: 'idempotency_conflict' });
    expect((await queue.deadLetters.list(10)).count).toBe(0);
  });

  it('answers a message it handled, and parks nothing', async () => {
    expect(await queue.submit(message('m-3', 'hello'), 1_000)).toMatchObject({ reply: 'ok' });
    expect((await queue.deadLetters.list(10)).count).toBe(0);
  });
});

describe('MemoryDeadLetters', () => {
  it(`keeps the newest ${MAX_DEAD_LETTERS}, newest first`, async () => {
    const store = new MemoryDeadLetters();
    for (let i = 0; i <= MAX_DEAD_LETTERS; i++) await store.park(message(`m-${i}`, 'x'), 1, { code: 'internal', message: 'unexpected Error' });
    const { count, letters } = await store.list(2);
    expect(count).toBe(MAX_DEAD_LETTERS);
    expect(letters.map((l) => l.message.messageId)).toEqual([`m-${MAX_DEAD_LETTERS}`, `m-${MAX_DEAD_LETTERS - 1}`]);
  });
});
