import { Logger } from '@nestjs/common';
import { Response } from 'express';
import { Bus, InProcessTransport } from '@patchbay/bus';
import { RunnerHeartbeatV1, SessionSummaryV1 } from '@patchbay/contracts';
import { Redactor } from '@patchbay/security';
import { pendingApproval } from '../../../test/fakes/approvals/fake-approvals-engine';
import { strictDouble } from '../../../test/support/strict-double';
import { OverviewStream } from './overview-stream';

/** Known to the gateway only: the engine could not have redacted it. */
const SECRET = 'gateway-only-secret-42';
const AT = '2030-01-01T10:00:00.000Z';

const summary: SessionSummaryV1 = {
  id: 's1s1',
  status: 'running',
  agent: 'claude',
  tmuxSession: 'pb-s1s1',
  runnerId: 'r1',
  lastSeq: 3,
  createdAt: AT,
  updatedAt: AT,
  bindings: [],
  task: { id: 't1t1', status: 'running', prompt: `use ${SECRET}`, channel: 'local', createdAt: AT, startedAt: AT, finishedAt: null },
  model: null,
};
const heartbeat = (leaving: boolean): RunnerHeartbeatV1 => ({
  runnerId: 'r1',
  host: 'box',
  agents: ['claude'],
  activeRuns: 1,
  capacity: 4,
  tmux: { ok: true, detail: 'tmux 3.4' },
  at: AT,
  leaving,
});

/** A response that takes what is written; `writableLength` says how much the client has not read yet. */
function response(writableLength = 0) {
  const written: string[] = [];
  let onClose: () => void = () => undefined;
  const res = strictDouble<Response>('Response', {
    writeHead: () => undefined,
    write: (chunk: string) => written.push(chunk),
    on: (event: string, listener: () => void) => {
      if (event === 'close') onClose = listener;
    },
    end: () => undefined,
    // The stream opens before any spec closes it: its headers are out by then.
    headersSent: true,
    writableEnded: false,
    writableLength,
  });
  return { res, written, clientGoes: () => onClose() };
}

describe('OverviewStream', () => {
  let transport: InProcessTransport;
  let bus: Bus;
  const redactor = new Redactor(new Map([[SECRET, 'gateway secret']]), []);

  beforeEach(() => {
    transport = new InProcessTransport();
    bus = new Bus(transport, { prefix: 'pbtest', requestTimeoutMs: 1_000 });
  });
  afterEach(() => bus.close());

  it("names each event by what it is, with its payload as JSON, redacted with the gateway's secrets", async () => {
    const { res, written } = response();
    const stream = new OverviewStream(bus, res, redactor);
    await stream.open();
    const approval = pendingApproval(
      { sessionId: 's1s1', taskId: 't1t1', agent: 'claude', toolUseId: 'tu1', tool: 'Bash', input: {}, summary: `echo ${SECRET}` },
      'a1a1',
      new Date(AT),
    );
    bus.publish('session.*.summary', summary, ['s1s1']);
    bus.publish('approval.requested', approval);
    bus.publish('approval.decided', { ...approval, status: 'denied', decision: 'deny', decidedBy: 'local:ada', decidedAt: AT });
    bus.publish('runner.heartbeat', heartbeat(false));
    bus.publish('runner.heartbeat', heartbeat(true));
    await transport.flush();
    expect(written[0]).toBe(': patchbay overview stream\n\n');
    const events = written.slice(1).map((chunk) => {
      const [, name, data] = /^event: (\w+)\ndata: (.*)\n\n$/.exec(chunk)!;
      return [name, JSON.parse(data)];
    });
    expect(events.map(([name]) => name)).toEqual(['session', 'approval', 'approval', 'runner', 'runner']);
    expect(events[0][1].task.prompt).toBe('use [redacted:gateway secret]');
    expect(events[1][1].summary).toBe('echo [redacted:gateway secret]');
    expect(events[2][1]).toMatchObject({ id: 'a1a1', status: 'denied' });
    expect(events[4][1]).toMatchObject({ runnerId: 'r1', leaving: true });
    expect(written.join('')).not.toContain(SECRET);
    stream.close();
  });

  it('writes a keepalive comment every 15 s', async () => {
    jest.useFakeTimers();
    try {
      const { res, written } = response();
      const stream = new OverviewStream(bus, res, redactor);
      await stream.open();
      jest.advanceTimersByTime(14_999);
      expect(written).toEqual([': patchbay overview stream\n\n']);
      jest.advanceTimersByTime(1);
      jest.advanceTimersByTime(15_000);
      expect(written.slice(1)).toEqual([': keepalive\n\n', ': keepalive\n\n']);
      stream.close();
      jest.advanceTimersByTime(60_000);
      expect(written).toHaveLength(3);
    } finally {
      jest.useRealTimers();
    }
  });

  it('lets go of its subscriptions and ends when the client goes', async () => {
    const { res, written, clientGoes } = response();
    const subscribe = jest.spyOn(bus, 'subscribe');
    const stream = new OverviewStream(bus, res, redactor);
    await stream.open();
    const subscriptions = subscribe.mock.results.map((result) => result.value as { unsubscribe: () => void });
    const unsubscribed = subscriptions.map((subscription) => jest.spyOn(subscription, 'unsubscribe'));
    expect(subscribe.mock.calls.map(([subject]) => subject)).toEqual(['session.*.summary', 'approval.requested', 'approval.decided', 'runner.heartbeat']);
    clientGoes();
    await stream.whenEnded();
    for (const spy of unsubscribed) expect(spy).toHaveBeenCalledTimes(1);
    expect(res.calls.map(([name]) => name)).toEqual(['writeHead', 'write', 'on', 'end']);
    bus.publish('session.*.summary', summary, ['s1s1']);
    bus.publish('runner.heartbeat', heartbeat(false));
    await transport.flush();
    expect(written).toHaveLength(1);
  });

  it('drops a client that stopped reading (over 1 MiB behind)', async () => {
    const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    try {
      const { res, written } = response(2 << 20);
      const stream = new OverviewStream(bus, res, redactor);
      await stream.open();
      bus.publish('runner.heartbeat', heartbeat(false));
      bus.publish('runner.heartbeat', heartbeat(false));
      await transport.flush();
      await stream.whenEnded();
      expect(written).toHaveLength(2);
      expect(warn).toHaveBeenCalledWith(`an overview stream fell ${2 << 20} bytes behind: closed`);
    } finally {
      warn.mockRestore();
    }
  });
});
