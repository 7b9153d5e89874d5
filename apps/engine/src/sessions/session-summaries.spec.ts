import { Logger } from '@nestjs/common';
import type { AgentProfile } from '@patchbay/agents';
import { Bus } from '@patchbay/bus';
import { SessionSummaryV1 } from '@patchbay/contracts';
import { SessionsStore, SessionEntity, SessionOverview, TaskEntity } from '@patchbay/persistence';
import { strictDouble } from '../../../../test/support/strict-double';
import { SessionSummaries } from './session-summaries';
import { SessionSummaryReader } from './session-summary-reader';

const AT = new Date('2030-01-01T10:00:00Z');

function session(change: Partial<SessionEntity> = {}): SessionEntity {
  return Object.assign(new SessionEntity(), {
    id: 's1s1',
    status: 'running',
    agent: 'claude',
    tmuxSession: 'pb-s1s1',
    runnerId: 'r1',
    lastSeq: 4,
    createdAt: AT,
    updatedAt: AT,
    ...change,
  });
}

function task(change: Partial<TaskEntity> = {}): TaskEntity {
  return Object.assign(new TaskEntity(), {
    id: 't1t1',
    sessionId: 's1s1',
    status: 'running',
    agent: 'claude',
    prompt: 'fix the build',
    channel: 'telegram',
    createdAt: AT,
    startedAt: new Date('2030-01-01T10:00:05Z'),
    ...change,
  });
}

const PROFILES = new Map<string, AgentProfile>([
  ['claude', { command: 'claude', args: [], env: {}, passEnv: [], mode: 'structured', model: 'opus' }],
  ['demo', { command: 'demo', args: [], env: {}, passEnv: [], mode: 'text' }],
]);

/** SessionSummaries over the real reader, a strict store (one query) and a strict bus (one publish). */
function summaries(overviews: (filter: unknown) => Promise<SessionOverview[]>) {
  const store = strictDouble<SessionsStore>('SessionsStore', { sessionOverviews: overviews });
  const bus = strictDouble<Bus>('Bus', { publish: () => undefined });
  return { publisher: new SessionSummaries(new SessionSummaryReader(store, PROFILES), bus), store, bus };
}

describe('SessionSummaries', () => {
  it('publishes the session as stored, with its latest task, its chats and its model, on session.<id>.summary', async () => {
    const bindings = [{ channel: 'telegram', chatId: '42', delivery: 'live' as const }];
    const { publisher, store, bus } = summaries(async () => [{ session: session(), task: task(), bindings }]);
    await publisher.changed('s1s1');
    expect(store.calls).toEqual([['sessionOverviews', [{ id: 's1s1', limit: 1 }]]]);
    const expected: SessionSummaryV1 = {
      id: 's1s1',
      status: 'running',
      agent: 'claude',
      tmuxSession: 'pb-s1s1',
      runnerId: 'r1',
      lastSeq: 4,
      createdAt: AT.toISOString(),
      updatedAt: AT.toISOString(),
      bindings,
      task: { id: 't1t1', status: 'running', prompt: 'fix the build', channel: 'telegram', createdAt: AT.toISOString(), startedAt: '2030-01-01T10:00:05.000Z', finishedAt: null },
      model: 'opus',
    };
    expect(bus.calls).toEqual([['publish', ['session.*.summary', expected, ['s1s1']]]]);
  });

  it("names the session's own model over the profile's, and null when neither has one", async () => {
    const { publisher, bus } = summaries(async (filter) =>
      (filter as { id: string }).id === 'own1'
        ? [{ session: session({ id: 'own1', model: 'sonnet' }), task: null, bindings: [] }]
        : [{ session: session({ agent: 'demo' }), task: null, bindings: [] }],
    );
    await publisher.changed('own1');
    await publisher.changed('s1s1');
    expect(bus.calls.map(([, [, summary]]) => [(summary as SessionSummaryV1).model, (summary as SessionSummaryV1).task])).toEqual([
      ['sonnet', null],
      [null, null],
    ]);
  });

  it('cuts the prompt to 200 characters, never half of a surrogate pair', async () => {
    const long = `${'x'.repeat(199)}😀 and more`;
    const { publisher, bus } = summaries(async () => [{ session: session(), task: task({ prompt: long }), bindings: [] }]);
    await publisher.changed('s1s1');
    const { prompt } = (bus.calls[0][1][1] as SessionSummaryV1).task!;
    expect(prompt).toBe('x'.repeat(199));
  });

  it("reads one session's summaries one after the other, and covers changes told while a read waits with that read", async () => {
    const reads: Array<() => void> = [];
    let status: SessionEntity['status'] = 'idle';
    const { publisher, store, bus } = summaries(async () => {
      const seen = status;
      await new Promise<void>((resolve) => reads.push(resolve));
      return [{ session: session({ status: seen }), task: null, bindings: [] }];
    });
    const first = publisher.changed('s1s1');
    await new Promise((resolve) => setImmediate(resolve));
    // The first read is under way: what changes now needs a read of its own, one for all.
    status = 'running';
    const second = publisher.changed('s1s1');
    const third = publisher.changed('s1s1');
    expect(third).toBe(second);
    await new Promise((resolve) => setImmediate(resolve));
    expect(store.calls).toHaveLength(1);
    reads.shift()!();
    await first;
    await new Promise((resolve) => setImmediate(resolve));
    reads.shift()!();
    await second;
    expect(store.calls).toHaveLength(2);
    expect(bus.calls.map(([, [, summary]]) => (summary as SessionSummaryV1).status)).toEqual(['idle', 'running']);
  });

  it('publishes nothing for a session that is not stored, and never throws when the store fails', async () => {
    const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    const error = jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
    try {
      const missing = summaries(async () => []);
      await missing.publisher.changed('gone');
      expect(missing.bus.calls).toEqual([]);
      expect(warn).toHaveBeenCalledWith('session gone: no such session to summarize');
      const failing = summaries(async () => Promise.reject(new Error('connection refused')));
      await expect(failing.publisher.changed('s1s1')).resolves.toBeUndefined();
      expect(failing.bus.calls).toEqual([]);
      expect(error.mock.calls[0][0]).toMatch(/in publishing the summary of session s1s1: Error: connection refused/);
    } finally {
      warn.mockRestore();
      error.mockRestore();
    }
  });
});
