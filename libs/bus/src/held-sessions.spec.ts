import { ControlResultV1, InputResultV1, SessionControlV1, SessionInputV1 } from '@patchbay/contracts';
import { Bus } from './bus';
import { NoResponderError } from './bus.errors';
import { HeldSessions, OnHeldSession } from './held-sessions';
import { InProcessTransport } from './in-process.transport';

class Probe {
  readonly typed: Array<[string, string]> = [];

  @OnHeldSession('session.*.input')
  async input(sessionId: string, { text }: SessionInputV1): Promise<InputResultV1> {
    this.typed.push([sessionId, text]);
    return { delivered: true, detail: `typed into ${sessionId}` };
  }

  @OnHeldSession('session.*.control')
  async control(sessionId: string, { action }: SessionControlV1): Promise<ControlResultV1> {
    return { runId: 'run00001', detail: `${action} ${sessionId}` };
  }
}

describe('HeldSessions: session-addressed requests answered only for the sessions held', () => {
  let bus: Bus;
  let sessions: HeldSessions;
  let probe: Probe;

  beforeEach(() => {
    bus = new Bus(new InProcessTransport(), { prefix: 'tst', requestTimeoutMs: 500 });
    sessions = new HeldSessions(bus);
    probe = new Probe();
    sessions.serve(probe);
  });
  afterEach(() => bus.close());

  it('answers every marked request of a held session, with the session id', async () => {
    sessions.hold('sessaaaa');
    await expect(bus.request('session.*.input', { text: 'ls' }, { params: ['sessaaaa'] })).resolves.toEqual({ delivered: true, detail: 'typed into sessaaaa' });
    await expect(bus.request('session.*.control', { action: 'stop', by: 'ada' }, { params: ['sessaaaa'] })).resolves.toEqual({ runId: 'run00001', detail: 'stop sessaaaa' });
    expect(probe.typed).toEqual([['sessaaaa', 'ls']]);
  });

  it('leaves other sessions to whoever holds them, and lets go on release', async () => {
    sessions.hold('sessaaaa');
    await expect(bus.request('session.*.input', { text: 'ls' }, { params: ['sessbbbb'] })).rejects.toBeInstanceOf(NoResponderError);
    sessions.release('sessaaaa');
    await expect(bus.request('session.*.input', { text: 'ls' }, { params: ['sessaaaa'] })).rejects.toBeInstanceOf(NoResponderError);
    expect(probe.typed).toEqual([]);
  });

  it('subscribes a session once however often it is held', async () => {
    sessions.hold('sessaaaa');
    sessions.hold('sessaaaa');
    await bus.request('session.*.input', { text: 'once' }, { params: ['sessaaaa'] });
    expect(probe.typed).toEqual([['sessaaaa', 'once']]);
  });
});
