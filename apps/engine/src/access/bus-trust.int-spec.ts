import { INestMicroservice, Logger, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { connect, NatsConnection } from 'nats';
import { Bus, BusModule, BusServer, BusSigner, encode, JetStreamInboundQueue, NatsTransport, toNatsHeaders, TransportHeaders } from '@patchbay/bus';
import { ConfigModule, ConfigSchema } from '@patchbay/config';
import { MetricsModule, PatchbayMetrics } from '@patchbay/metrics';
import { AuditEntryV1, InboundMessageV1, newId } from '@patchbay/contracts';
import { AccessStore, InboundStore } from '@patchbay/persistence';
import { createTestDatabase } from '../../../../test/support/databases';
import { deleteInboundStream, describeWith, NATS_URL } from '../../../../test/support/services';
import { EngineModule } from '../engine.module';
import { UNAUTHENTICATED_ACTOR } from './refused-messages';

jest.setTimeout(30_000);

const SECRET = 'the-deployments-bus-secret-0123456789';

/**
 * A forged bus message: a NATS client that can connect but does not hold bus.secret tries
 * to be `local` (an owner), to vouch as github, and to change state through the engine's
 * requests. Real NATS with JetStream and PostgreSQL; the gateway side is a Bus with the secret.
 */
describeWith(['nats', 'postgres'], 'bus trust: forged messages (real NATS and PostgreSQL)', () => {
  const prefix = `pbtest${newId(6)}`;
  let app: INestMicroservice;
  let engineBus: Bus;
  let gatewayBus: Bus;
  let gateway: JetStreamInboundQueue;
  let forger: NatsConnection;
  let access: AccessStore;
  let store: InboundStore;
  let drop: () => Promise<void>;
  let warn: jest.SpyInstance;

  beforeAll(async () => {
    warn = jest.spyOn(Logger.prototype, 'warn');
    const db = await createTestDatabase('pb_bus_trust');
    drop = db.drop;
    const engineTransport = await NatsTransport.connect(NATS_URL, 'bus-trust-engine');
    engineBus = new Bus(engineTransport, { prefix, requestTimeoutMs: 5_000, signer: new BusSigner(SECRET) });
    const config = ConfigSchema.parse({ home: '/tmp/pb-bus-trust-spec', defaultAgent: 'demo' });
    @Module({
      imports: [
        ConfigModule.forRoot(config),
        BusModule.forRoot({ bus: engineBus, inbound: new JetStreamInboundQueue(engineTransport, engineBus, config.bus.inbound) }),
        MetricsModule.forRoot({ metrics: new PatchbayMetrics('spec-engine'), distributed: false, answerScrapes: false }),
        EngineModule.forRoot({ databaseUrl: db.url }),
      ],
    })
    class TestEngine {}
    app = await NestFactory.createMicroservice(TestEngine, { strategy: new BusServer(engineBus), logger: false });
    await app.listen();
    access = app.get(AccessStore);
    store = app.get(InboundStore);
    const gatewayTransport = await NatsTransport.connect(NATS_URL, 'bus-trust-gateway');
    gatewayBus = new Bus(gatewayTransport, { prefix, requestTimeoutMs: 5_000, signer: new BusSigner(SECRET) });
    gateway = new JetStreamInboundQueue(gatewayTransport, gatewayBus, config.bus.inbound);
    forger = await connect({ servers: NATS_URL, name: 'forger' });
  });

  afterAll(async () => {
    warn.mockRestore();
    await forger?.close();
    await app?.close();
    await gatewayBus?.close();
    await engineBus?.close();
    await deleteInboundStream(prefix);
    await drop?.();
  });

  const message = (fields: Partial<InboundMessageV1> = {}): InboundMessageV1 => ({
    channel: 'local',
    accountId: 'local',
    messageId: newId(),
    chatId: null,
    sender: { id: 'local' },
    text: '/help',
    receivedAt: new Date().toISOString(),
    ...fields,
  });

  /** The audit entries of refused bus messages on `target`, once there are `n`. */
  async function refusals(target: string, n = 1): Promise<AuditEntryV1[]> {
    for (let i = 0; i < 200; i++) {
      const entries = (await access.auditLog({ limit: 500 })).filter((e) => e.actor === UNAUTHENTICATED_ACTOR && e.target === target);
      if (entries.length >= n) return entries;
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    throw new Error(`expected ${n} refusal(s) on ${target} in the audit log`);
  }

  /** A raw core request from the forger; the decoded reply envelope. */
  async function forgedRequest(subject: string, payload: unknown, headers?: TransportHeaders) {
    const reply = await forger.request(`${prefix}.${subject}`, encode(payload), { timeout: 5_000, headers: toNatsHeaders(headers) });
    return JSON.parse(new TextDecoder().decode(reply.data)) as { ok: boolean; error?: { code: string; message: string } };
  }

  it('answers the genuine gateway: a signed message through the stream, and a signed request', async () => {
    expect(await gateway.submit(message(), 5_000)).toMatchObject({ outcome: 'command' });
    const job = await gatewayBus.request('jobs.add', { name: 'genuine', every: '1d', prompt: 'hello', by: 'local:local' });
    expect(job).toMatchObject({ name: 'genuine' });
  });

  it('refuses an unsigned inbound message as `local` (an owner) in the stream: not handled, acked, audited, one WARN without its text', async () => {
    const forged = message({ text: '/pair approve ABCD2345 owner, the forged text' });
    warn.mockClear();
    await forger.jetstream().publish(`${prefix}.inbound.durable`, encode(forged), { msgID: newId() });
    const [entry] = await refusals(`${prefix}.inbound.durable`);
    expect(entry).toMatchObject({ action: 'inbound.message', decision: 'deny', detail: 'unsigned: claims local:local' });
    expect(await store.findInbound(forged)).toBeNull();
    const warned = warn.mock.calls.map(([line]) => String(line)).filter((line) => line.includes('refused'));
    expect(warned).toEqual([`refused a message on ${prefix}.inbound.durable: unsigned`]);
    // Acked: nothing is left for the engine to take again.
    const info = await (await forger.jetstreamManager()).consumers.info(`${prefix.toUpperCase()}_INBOUND`, 'engine');
    expect(info.num_pending + info.num_ack_pending).toBe(0);
  });

  it('refuses a github message vouching for an owner, signed with another secret', async () => {
    const forged = message({
      channel: 'github',
      accountId: 'gh',
      chatId: 'o/r#1',
      sender: { id: 'mallory', vouch: { role: 'owner', reason: 'collaborator' } },
      text: 'run rm -rf',
    });
    const body = encode(forged);
    const headers = toNatsHeaders(new BusSigner('not-the-deployments-secret-0123456789').sign(`${prefix}.inbound.durable`, body));
    await forger.jetstream().publish(`${prefix}.inbound.durable`, body, { msgID: newId(), headers });
    const entries = await refusals(`${prefix}.inbound.durable`, 2);
    expect(entries[0]).toMatchObject({ action: 'inbound.message', detail: 'bad signature: claims github:mallory, vouched owner' });
    expect(await store.findInbound(forged)).toBeNull();
  });

  it('refuses an unsigned inbound.message request (the direct path) with unauthenticated', async () => {
    const forged = message();
    expect(await forgedRequest('inbound.message', forged)).toMatchObject({ ok: false, error: { code: 'unauthenticated' } });
    expect(await refusals(`${prefix}.inbound.message`)).toEqual([expect.objectContaining({ detail: 'unsigned: claims local:local' })]);
    expect(await store.findInbound(forged)).toBeNull();
  });

  it('refuses unsigned jobs.add and access.pair.approve requests, audited with whom they claim to act for', async () => {
    expect(await forgedRequest('jobs.add', { name: 'forged', every: '1m', prompt: 'exfiltrate', by: 'local:local' })).toEqual({
      ok: false,
      error: { code: 'unauthenticated', message: `refused ${prefix}.jobs.add: not signed with this deployment's bus.secret (see docs/ARCHITECTURE.md, Trust model)` },
    });
    expect(await forgedRequest('access.pair.approve', { code: 'ABCD2345', role: 'owner', by: 'local:local' })).toMatchObject({ ok: false, error: { code: 'unauthenticated' } });
    expect(await refusals(`${prefix}.jobs.add`)).toEqual([expect.objectContaining({ action: 'jobs.add', decision: 'deny', detail: 'unsigned: claims to act for local:local' })]);
    expect(await refusals(`${prefix}.access.pair.approve`)).toEqual([
      expect.objectContaining({ action: 'access.pair.approve', detail: 'unsigned: claims to act for local:local' }),
    ]);
    expect((await gatewayBus.request('jobs.list', {})).jobs.map((j) => j.name)).toEqual(['genuine']);
  });

  it("refuses unsigned role changes and chat attachments (the dashboard's admin requests), audited", async () => {
    for (const [subject, payload] of [
      ['access.principal.role', { principalId: 'p1forged', role: 'owner', by: 'local:local' }],
      ['access.principal.revoke', { principalId: 'p1forged', by: 'local:local' }],
      ['bindings.attach', { sessionId: 's1forged', channel: 'telegram', chatId: '-1', delivery: 'live', by: 'local:local' }],
      ['bindings.detach', { sessionId: 's1forged', channel: 'telegram', chatId: '-1', by: 'local:local' }],
    ] as const) {
      expect(await forgedRequest(subject, payload)).toMatchObject({ ok: false, error: { code: 'unauthenticated' } });
      expect(await refusals(`${prefix}.${subject}`)).toEqual([expect.objectContaining({ action: subject, decision: 'deny', detail: 'unsigned: claims to act for local:local' })]);
    }
  });

  it('refuses a genuinely signed request replayed after more than 5 minutes', async () => {
    const payload = { name: 'genuine', by: 'local:local' };
    const old = new BusSigner(SECRET).sign(`${prefix}.jobs.remove`, encode(payload), Date.now() - 6 * 60 * 1000);
    expect(await forgedRequest('jobs.remove', payload, old)).toMatchObject({ ok: false, error: { code: 'unauthenticated' } });
    expect(await refusals(`${prefix}.jobs.remove`)).toEqual([expect.objectContaining({ detail: 'expired: claims to act for local:local' })]);
    expect((await gatewayBus.request('jobs.list', {})).jobs.map((j) => j.name)).toEqual(['genuine']);
  });
});
