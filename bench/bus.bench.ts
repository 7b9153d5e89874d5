import { randomBytes } from 'node:crypto';
import { Bus, BusSigner, BusTransport, encode, InProcessTransport, MAX_REQUEST_AGE_MS, NatsTransport } from '@patchbay/bus';
import { OutputEventV1 } from '@patchbay/contracts';
import { percentile } from './stats';

export interface BusResult {
  transport: string;
  requestP50: number;
  requestP99: number;
  eventsPerSecond: number;
}

const REQUESTS = 2_000;
const EVENTS = 20_000;

/** Request-reply latency and event throughput through the typed Bus (validation included). */
export async function benchBus(name: string, transport: BusTransport): Promise<BusResult> {
  const bus = new Bus(transport, { prefix: `bench${randomBytes(3).toString('hex')}`, requestTimeoutMs: 5_000 });
  const responder = bus.respond('engine.status', async () => ({ database: { ok: true, detail: 'bench' } }));
  const latencies: number[] = [];
  for (let i = 0; i < REQUESTS; i++) {
    const start = process.hrtime.bigint();
    await bus.request('engine.status', {});
    latencies.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  responder.unsubscribe();

  let received = 0;
  let allReceived!: () => void;
  const done = new Promise<void>((resolve) => (allReceived = resolve));
  const sub = bus.subscribe('session.*.output', () => {
    if (++received === EVENTS) allReceived();
  });
  await transport.flush();
  const event = (seq: number): OutputEventV1 => ({
    type: 'text',
    text: 'some streamed agent output, a line or so of it\n',
    sessionId: 'benchsession',
    taskId: 'benchtask',
    runId: 'benchrun',
    seq,
    at: new Date().toISOString(),
  });
  const start = process.hrtime.bigint();
  for (let seq = 1; seq <= EVENTS; seq++) {
    bus.publish('session.*.output', event(seq), ['benchsession']);
    // Yield now and then, as a real publisher does, so sockets drain.
    if (seq % 1_000 === 0) await new Promise((resolve) => setImmediate(resolve));
  }
  await done;
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  sub.unsubscribe();
  await bus.close();
  return {
    transport: name,
    requestP50: percentile(latencies, 50),
    requestP99: percentile(latencies, 99),
    eventsPerSecond: EVENTS / seconds,
  };
}

export async function benchBusTransports(natsUrl: string | null): Promise<BusResult[]> {
  const results = [await benchBus('in-process', new InProcessTransport())];
  if (natsUrl) results.push(await benchBus('NATS', await NatsTransport.connect(natsUrl, 'patchbay-bench')));
  return results;
}

export interface SigningResult {
  payloadBytes: number;
  microsPerMessageP50: number;
  messagesPerSecond: number;
}

const SIGNED_MESSAGES = 20_000;

/** Signing and checking one inbound message (about 1 KB of text): what each signed message costs both ends. */
export function benchSigning(): SigningResult {
  const signer = new BusSigner(randomBytes(32).toString('hex'));
  const body = encode({
    channel: 'telegram',
    accountId: 'bot',
    messageId: '12345',
    chatId: '-100123',
    sender: { id: '42', name: 'Ann' },
    text: 'please look at the failing test '.repeat(32),
    receivedAt: new Date().toISOString(),
  });
  const times: number[] = [];
  const start = process.hrtime.bigint();
  for (let i = 0; i < SIGNED_MESSAGES; i++) {
    const t = process.hrtime.bigint();
    const headers = signer.sign('pb.inbound.durable', body);
    if (!signer.verify('pb.inbound.durable', body, headers, MAX_REQUEST_AGE_MS).ok) throw new Error('signature did not verify');
    times.push(Number(process.hrtime.bigint() - t) / 1e3);
  }
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  return { payloadBytes: body.length, microsPerMessageP50: percentile(times, 50), messagesPerSecond: SIGNED_MESSAGES / seconds };
}
