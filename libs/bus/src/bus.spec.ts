import { Controller, INestMicroservice, Injectable, Logger, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Ctx, Payload } from '@nestjs/microservices';
import { ByIdV1, contracts, EngineStatusV1, EventSubject, OutputEventV1, RunnerHeartbeatV1 } from '@patchbay/contracts';
import { AppError, Bus, encode, RefusedMessage } from './bus';
import { BusSigner } from './bus-signer';
import { TransportMessage } from './bus.transport';
import { NoResponderError, PayloadValidationError, RemoteError, RequestTimeoutError } from './bus.errors';
import { BusContext, BusServer, OnBusEvent, OnBusRequest } from './bus.server';
import { BusExceptionFilter } from './bus-exception.filter';
import { InProcessTransport } from './in-process.transport';

const PREFIX = 'tst';

const heartbeat = (runnerId: string): RunnerHeartbeatV1 => ({
  runnerId,
  host: 'host',
  agents: ['demo'],
  activeRuns: 0,
  capacity: 4,
  tmux: { ok: true, detail: 'tmux 3.3a' },
  at: new Date().toISOString(),
  leaving: false,
});

const output = (sessionId: string, seq: number): OutputEventV1 => ({
  type: 'text',
  text: `line ${seq}`,
  sessionId,
  taskId: 'task1234',
  runId: 'run12345',
  seq,
  at: new Date().toISOString(),
});

const status: EngineStatusV1 = { database: { ok: true, detail: 'ok' } };

function newBus(requestTimeoutMs = 2_000): Bus {
  return new Bus(new InProcessTransport(), { prefix: PREFIX, requestTimeoutMs });
}

/** Records what a handler receives; `next(n)` waits until it holds n items. */
function recorder<T>() {
  const items: T[] = [];
  return {
    items,
    add: (item: T) => void items.push(item),
    next: async (n: number) => {
      for (let i = 0; items.length < n; i++) {
        if (i > 200) throw new Error(`expected ${n} items, got ${items.length}`);
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
      return items;
    },
  };
}

describe('Bus', () => {
  let bus: Bus;
  let warn: jest.SpyInstance;

  beforeEach(() => {
    bus = newBus();
    warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
  });

  afterEach(async () => {
    warn.mockRestore();
    await bus.close();
  });

  it('puts the prefix in front of the subject and fills its "*" tokens', () => {
    expect(bus.wireSubject('runner.heartbeat')).toBe('tst.runner.heartbeat');
    expect(bus.wireSubject('session.*.output', ['abcd'])).toBe('tst.session.abcd.output');
    expect(bus.wireSubject('session.*.output')).toBe('tst.session.*.output');
  });

  it('delivers a published event, as JSON on the prefixed subject, to a subscriber', async () => {
    const typed = recorder<[RunnerHeartbeatV1, string]>();
    const raw = recorder<string>();
    bus.subscribe('runner.heartbeat', (payload, wire) => typed.add([payload, wire]));
    bus.transport.subscribe('tst.runner.heartbeat', async (m) => raw.add(new TextDecoder().decode(m.data)));
    const payload = heartbeat('r1');
    bus.publish('runner.heartbeat', payload);
    expect(await typed.next(1)).toEqual([[payload, 'tst.runner.heartbeat']]);
    expect(JSON.parse((await raw.next(1))[0])).toMatchObject({ runnerId: 'r1' });
  });

  it('publishes with params to the filled subject; a subscriber with params gets that one only', async () => {
    const one = recorder<string>();
    const all = recorder<string>();
    bus.subscribe('session.*.output', (event, wire) => one.add(`${wire} ${event.seq}`), { params: ['sessaaaa'] });
    bus.subscribe('session.*.output', (event, wire) => all.add(`${wire} ${event.seq}`));
    bus.publish('session.*.output', output('sessbbbb', 1), ['sessbbbb']);
    bus.publish('session.*.output', output('sessaaaa', 2), ['sessaaaa']);
    expect(await all.next(2)).toEqual(['tst.session.sessbbbb.output 1', 'tst.session.sessaaaa.output 2']);
    expect(one.items).toEqual(['tst.session.sessaaaa.output 2']);
  });

  it('refuses to publish an invalid payload, with a PayloadValidationError naming the subject', async () => {
    const raw = recorder<unknown>();
    bus.transport.subscribe('tst.>', async (m) => raw.add(m));
    const publish = () => bus.publish('session.*.output', { ...output('sessaaaa', 1), seq: -1 }, ['sessaaaa']);
    expect(publish).toThrow(PayloadValidationError);
    expect(publish).toThrow(/^invalid payload on tst\.session\.sessaaaa\.output: .*seq/s);
    await bus.transport.flush();
    expect(raw.items).toEqual([]);
  });

  describe('a raw message that does not fit the contract', () => {
    const wire = 'tst.session.sessaaaa.output';

    it.each([
      ['not JSON', new TextEncoder().encode('{"type": "te'), /^rejected message on tst\.session\.sessaaaa\.output: not JSON$/],
      ['JSON failing the schema', encode({ ...output('sessaaaa', 1), text: undefined }), /^rejected message on tst\.session\.sessaaaa\.output: .*text/s],
    ])('(%s) is logged with subject and reason, skipped, and the next valid one still arrives', async (_what, bytes, logged) => {
      const received = recorder<number>();
      bus.subscribe('session.*.output', (event) => received.add(event.seq));
      bus.transport.publish(wire, bytes);
      bus.publish('session.*.output', output('sessaaaa', 2), ['sessaaaa']);
      expect(await received.next(1)).toEqual([2]);
      expect(warn).toHaveBeenCalledTimes(1);
      expect(warn.mock.calls[0][0]).toMatch(logged);
    });
  });

  describe('with checkIncoming off (one process: the sender checked)', () => {
    let trusting: Bus;
    beforeEach(() => {
      trusting = new Bus(new InProcessTransport(), { prefix: PREFIX, requestTimeoutMs: 2_000, checkIncoming: false });
    });
    afterEach(() => trusting.close());

    it('checks an event once, when it is published', async () => {
      const check = jest.spyOn(contracts['session.*.output'].payload, 'safeParse');
      const received = recorder<number>();
      trusting.subscribe('session.*.output', (event) => received.add(event.seq));
      trusting.publish('session.*.output', output('sessaaaa', 1), ['sessaaaa']);
      expect(await received.next(1)).toEqual([1]);
      expect(check).toHaveBeenCalledTimes(1);
      check.mockRestore();
    });

    it('checks a request and its reply once each, where each is sent', async () => {
      const payload = jest.spyOn(contracts['query.sessions.get'].payload, 'safeParse');
      const reply = jest.spyOn(contracts['query.sessions.get'].reply, 'safeParse');
      trusting.respond('query.sessions.get', async () => ({ session: null }));
      await expect(trusting.request('query.sessions.get', { id: 'abcd' })).resolves.toEqual({ session: null });
      expect([payload.mock.calls.length, reply.mock.calls.length]).toEqual([1, 1]);
      payload.mockRestore();
      reply.mockRestore();
    });

    it('still drops what is not JSON', async () => {
      const received = recorder<number>();
      trusting.subscribe('session.*.output', (event) => received.add(event.seq));
      trusting.transport.publish('tst.session.sessaaaa.output', new TextEncoder().encode('{"type'));
      trusting.publish('session.*.output', output('sessaaaa', 2), ['sessaaaa']);
      expect(await received.next(1)).toEqual([2]);
    });
  });

  it('returns what a responder returns to the requester', async () => {
    const asked = recorder<unknown>();
    bus.respond('engine.status', async (payload) => {
      asked.add(payload);
      return status;
    });
    await expect(bus.request('engine.status', {})).resolves.toEqual(status);
    expect(asked.items).toEqual([{}]);
  });

  it('raises an AppError thrown by the responder as a RemoteError with its code and message', async () => {
    bus.respond('query.sessions.get', async ({ id }) => {
      throw new AppError('not_found', `no session ${id}`);
    });
    const error = await bus.request('query.sessions.get', { id: 'abcd' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RemoteError);
    expect(error).toMatchObject({ code: 'not_found', message: 'no session abcd', subject: 'tst.query.sessions.get' });
  });

  it('raises any other error thrown by the responder as a RemoteError with code internal and an error id, not its message', async () => {
    jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
    bus.respond('engine.status', async () => {
      throw new Error('disk on fire');
    });
    const error = (await bus.request('engine.status', {}).catch((e: unknown) => e)) as RemoteError;
    expect(error).toMatchObject({ code: 'internal', message: `internal error ${error.errorId}` });
    expect(error.errorId).toMatch(/^[a-z2-7]{8}$/);
    jest.restoreAllMocks();
  });

  it('answers a request with an invalid payload with an invalid_payload error, without calling the handler', async () => {
    const handler = jest.fn(async () => ({ session: null }));
    bus.respond('query.sessions.get', handler);
    const reply = await bus.transport.request('tst.query.sessions.get', encode({ id: 'NOT AN ID' }), 1_000);
    expect(JSON.parse(new TextDecoder().decode(reply))).toEqual({
      ok: false,
      error: { code: 'invalid_payload', message: 'invalid payload on tst.query.sessions.get' },
    });
    expect(handler).not.toHaveBeenCalled();
    expect(warn).toHaveBeenCalledWith(expect.stringMatching(/^rejected message on tst\.query\.sessions\.get: .*id/s));
  });

  it('answers with an invalid_payload RemoteError when the responder returns an invalid reply', async () => {
    bus.respond('engine.status', async () => ({ database: { ok: 'yes' } }) as unknown as EngineStatusV1);
    await expect(bus.request('engine.status', {})).rejects.toMatchObject({
      name: 'RemoteError',
      code: 'invalid_payload',
      message: expect.stringMatching(/^invalid payload on tst\.engine\.status: /),
    });
  });

  it('refuses to send an invalid request payload', async () => {
    await expect(bus.request('query.sessions.get', { id: 'x' })).rejects.toThrow(PayloadValidationError);
  });

  it('fails a request nobody answers with NoResponderError', async () => {
    await expect(bus.request('engine.status', {})).rejects.toBeInstanceOf(NoResponderError);
  });

  it('times out after requestTimeoutMs unless the request sets timeoutMs', async () => {
    const slowBus = newBus(50);
    slowBus.respond('engine.status', () => new Promise((resolve) => setTimeout(() => resolve(status), 300)));
    await expect(slowBus.request('engine.status', {})).rejects.toMatchObject({ name: 'RequestTimeoutError', timeoutMs: 50 });
    await expect(slowBus.request('engine.status', {}, { timeoutMs: 2_000 })).resolves.toEqual(status);
    await expect(slowBus.request('engine.status', {}, { timeoutMs: 20 })).rejects.toBeInstanceOf(RequestTimeoutError);
    await slowBus.close();
  });
});

describe('Bus with a signer (signed subjects)', () => {
  const SECRET = 'the-deployments-bus-secret-0123456789';
  const pairing = { code: 'ABCD2345', role: 'operator' as const, by: 'local:local' };
  const principal = { id: 'p1', name: 'Ann', role: 'operator' as const, identities: ['telegram:9'], fromConfig: false };
  let transport: InProcessTransport;
  let warn: jest.SpyInstance;

  beforeEach(() => {
    transport = new InProcessTransport();
    warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
  });
  afterEach(async () => {
    warn.mockRestore();
    await transport.close();
  });

  const signed = () => new Bus(transport, { prefix: PREFIX, requestTimeoutMs: 2_000, signer: new BusSigner(SECRET) });

  it('signs a signed request, and the responder holding the same secret answers it', async () => {
    const engine = signed();
    engine.respond('access.pair.approve', async () => principal);
    const raw: TransportMessage[] = [];
    transport.subscribe('tst.access.pair.approve', async (m) => void raw.push(m));
    await expect(signed().request('access.pair.approve', pairing)).resolves.toMatchObject({ id: 'p1' });
    expect(raw[0].headers).toEqual({ 'Patchbay-Signature': expect.stringMatching(/^v1=/), 'Patchbay-Signed-At': expect.any(String) });
  });

  it('refuses an unsigned request with unauthenticated, without calling the handler, and tells the refusal listeners', async () => {
    const engine = signed();
    const handler = jest.fn(async () => principal);
    engine.respond('access.pair.approve', handler);
    const refused: RefusedMessage[] = [];
    engine.onRefused(async (r) => void refused.push(r));
    const unsigned = new Bus(transport, { prefix: PREFIX, requestTimeoutMs: 2_000 });
    await expect(unsigned.request('access.pair.approve', pairing)).rejects.toMatchObject({ name: 'RemoteError', code: 'unauthenticated' });
    expect(handler).not.toHaveBeenCalled();
    expect(refused).toEqual([{ subject: 'access.pair.approve', wireSubject: 'tst.access.pair.approve', fault: 'unsigned', claimed: pairing }]);
    expect(warn.mock.calls).toEqual([['refused a message on tst.access.pair.approve: unsigned']]);
  });

  it('neither signs nor checks a subject the contracts do not mark signed', async () => {
    const engine = signed();
    engine.respond('engine.status', async () => status);
    const raw: TransportMessage[] = [];
    transport.subscribe('tst.engine.status', async (m) => void raw.push(m));
    await expect(new Bus(transport, { prefix: PREFIX, requestTimeoutMs: 2_000 }).request('engine.status', {})).resolves.toEqual(status);
    await expect(signed().request('engine.status', {})).resolves.toEqual(status);
    expect(raw.map((m) => m.headers)).toEqual([undefined, undefined]);
  });
});

describe('Bus request latency', () => {
  it("tells observeRequest each request's contract subject, outcome and seconds", async () => {
    const seen: Array<[string, string, number]> = [];
    const observed = new Bus(new InProcessTransport(), {
      prefix: PREFIX,
      requestTimeoutMs: 50,
      observeRequest: (subject, outcome, seconds) => seen.push([subject, outcome, seconds]),
    });
    observed.respond('engine.status', async () => status);
    observed.respond('query.sessions.get', async () => {
      throw new AppError('not_found', 'no such session');
    });
    await observed.request('engine.status', {});
    await expect(observed.request('query.sessions.get', { id: 'abcdefgh' })).rejects.toBeInstanceOf(RemoteError);
    await expect(observed.request('runner.*.tmux', {}, { params: ['nobody'] })).rejects.toBeInstanceOf(NoResponderError);
    observed.respond('access.pairings', () => new Promise((resolve) => setTimeout(() => resolve({ pending: [] }), 200)));
    await expect(observed.request('access.pairings', {})).rejects.toBeInstanceOf(RequestTimeoutError);
    expect(seen.map(([subject, outcome]) => `${subject} ${outcome}`)).toEqual([
      'engine.status ok',
      'query.sessions.get remote_error',
      'runner.*.tmux no_responder',
      'access.pairings timeout',
    ]);
    expect(seen.every(([, , seconds]) => seconds >= 0 && seconds < 60)).toBe(true);
    await observed.close();
  });
});

describe('BusServer', () => {
  @Injectable()
  class Recorder {
    started: string[] = [];
    heartbeats: Array<{ runnerId: string; subject: string }> = [];
    outputs: string[] = [];
    announces = 0;
  }

  @Controller()
  class ProbeController {
    constructor(private readonly recorder: Recorder) {}

    /** A heartbeat from runner `slow` takes 100 ms to handle. */
    @OnBusEvent('runner.heartbeat')
    async heartbeat(@Payload() payload: RunnerHeartbeatV1, @Ctx() context: BusContext): Promise<void> {
      this.recorder.started.push(payload.runnerId);
      if (payload.runnerId === 'slow') await new Promise((resolve) => setTimeout(resolve, 100));
      this.recorder.heartbeats.push({ runnerId: payload.runnerId, subject: context.subject });
    }

    @OnBusEvent('session.*.output')
    output(@Payload() event: OutputEventV1, @Ctx() context: BusContext): void {
      this.recorder.outputs.push(`${context.subject} ${event.seq}`);
    }

    @OnBusEvent('runner.announce', { queue: 'announcers' })
    announce(): void {
      this.recorder.announces++;
    }

    @OnBusRequest('engine.status', { queue: 'engines' })
    status(): EngineStatusV1 {
      return status;
    }

    @OnBusRequest('query.sessions.get')
    async session(@Payload() { id }: ByIdV1): Promise<never> {
      throw new AppError('not_found', `no session ${id}`);
    }

    /** Fails as a store does: its message quotes the statement and the value. */
    @OnBusRequest('query.tasks.get')
    async task(@Payload() { id }: ByIdV1): Promise<never> {
      throw Object.assign(new Error(`select * from "task" where "id" = '${id}' - relation "task" does not exist`), { code: '42P01' });
    }
  }

  @Module({ controllers: [ProbeController], providers: [Recorder] })
  class ProbeModule {}

  @Controller()
  class StrayController {
    @OnBusEvent('no.such.subject' as EventSubject)
    stray(): void {}
  }

  @Module({ controllers: [StrayController] })
  class StrayModule {}

  let bus: Bus;
  const apps: INestMicroservice[] = [];

  async function start(module: unknown): Promise<INestMicroservice> {
    const app = await NestFactory.createMicroservice(module as never, { strategy: new BusServer(bus), logger: false });
    app.useGlobalFilters(new BusExceptionFilter());
    apps.push(app);
    await app.listen();
    return app;
  }

  beforeEach(() => {
    bus = newBus();
  });

  afterEach(async () => {
    await Promise.all(apps.splice(0).map((app) => app.close()));
    await bus.close();
  });

  it('delivers events to @OnBusEvent handlers with the payload and the wire subject', async () => {
    const recorder = (await start(ProbeModule)).get(Recorder);
    bus.publish('runner.heartbeat', heartbeat('r1'));
    bus.publish('session.*.output', output('sessaaaa', 3), ['sessaaaa']);
    await bus.transport.flush();
    expect(recorder.heartbeats).toEqual([{ runnerId: 'r1', subject: 'tst.runner.heartbeat' }]);
    expect(recorder.outputs).toEqual(['tst.session.sessaaaa.output 3']);
  });

  it('answers requests with what an @OnBusRequest handler returns', async () => {
    await start(ProbeModule);
    await expect(bus.request('engine.status', {})).resolves.toEqual(status);
  });

  it('hands an AppError thrown in a handler to the requester as a RemoteError with its code', async () => {
    await start(ProbeModule);
    const error = await bus.request('query.sessions.get', { id: 'abcd' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RemoteError);
    expect(error).toMatchObject({ code: 'not_found', message: 'no session abcd' });
  });

  it('hands an unexpected error thrown in a handler to the requester as an error id, logged once with the subject', async () => {
    const logged: string[] = [];
    jest.spyOn(Logger.prototype, 'error').mockImplementation((message: unknown) => void logged.push(String(message)));
    await start(ProbeModule);
    const error = (await bus.request('query.tasks.get', { id: 'abcd' }).catch((e: unknown) => e)) as RemoteError;
    jest.restoreAllMocks();
    expect(error).toMatchObject({ code: 'internal', message: `internal error ${error.errorId}` });
    expect(logged).toEqual([`error ${error.errorId} in tst.query.tasks.get: Error (database error), SQLSTATE 42P01`]);
  });

  it('subscribes with the queue option: two servers share a queue group, plain handlers see everything', async () => {
    const recorders = [(await start(ProbeModule)).get(Recorder), (await start(ProbeModule)).get(Recorder)];
    for (let i = 0; i < 10; i++) bus.publish('runner.announce', {});
    bus.publish('runner.heartbeat', heartbeat('r1'));
    await bus.transport.flush();
    expect(recorders.map((r) => r.announces)).toEqual([5, 5]);
    expect(recorders.map((r) => r.heartbeats.length)).toEqual([1, 1]);
  });

  it('passes the queue option of each handler to the bus', async () => {
    const subscribe = jest.spyOn(bus, 'subscribe');
    const respond = jest.spyOn(bus, 'respond');
    await start(ProbeModule);
    expect(subscribe).toHaveBeenCalledWith('runner.announce', expect.any(Function), { queue: 'announcers' });
    expect(subscribe).toHaveBeenCalledWith('runner.heartbeat', expect.any(Function), { queue: undefined });
    expect(respond).toHaveBeenCalledWith('engine.status', expect.any(Function), { queue: 'engines' });
    expect(respond).toHaveBeenCalledWith('query.sessions.get', expect.any(Function), { queue: undefined });
  });

  it('stops serving once the app is closed', async () => {
    const app = await start(ProbeModule);
    await app.close();
    await expect(bus.request('engine.status', {})).rejects.toBeInstanceOf(NoResponderError);
  });

  it('lets the handlers at work finish when the app closes', async () => {
    const app = await start(ProbeModule);
    const recorder = app.get(Recorder);
    bus.publish('runner.heartbeat', heartbeat('slow'));
    for (let i = 0; recorder.started.length === 0 && i < 100; i++) await new Promise((resolve) => setTimeout(resolve, 5));
    await app.close();
    expect(recorder.heartbeats.map((h) => h.runnerId)).toEqual(['slow']);
  });

  it('refuses to listen with a handler on a subject that is not in the contracts', async () => {
    await expect(start(StrayModule)).rejects.toThrow('bus handler for "no.such.subject": not a subject in libs/contracts/src/subjects.ts');
  });
});
