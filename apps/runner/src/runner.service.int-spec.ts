import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigSchema } from '@patchbay/config';
import { newId, OutputEventV1, RunRequestV1 } from '@patchbay/contracts';
import { describeWith } from '../../../test/support/services';
import { SpecRunner } from '../../../test/support/spec-runner';
import { RunnerService } from './runner.service';

jest.setTimeout(30_000);

describeWith(['tmux'], 'RunnerService: capacity, the line, input and control (real tmux)', () => {
  const home = mkdtempSync(join(tmpdir(), 'pb-runner-'));
  const spec = new SpecRunner();
  const { bus } = spec;
  let activeRuns = -1;
  let runner: RunnerService;

  beforeAll(async () => {
    bus.subscribe('runner.heartbeat', (beat) => void (activeRuns = beat.activeRuns));
    runner = await spec.start(
      ConfigSchema.parse({
        home,
        runner: { id: 'runner-spec', capacity: 1 },
        agents: {
          gate: { command: 'bash', args: ['-c', 'echo "start $1"; while [ ! -e "$0/$1.go" ]; do sleep 0.05; done; echo "end $1"', home, '{prompt}'] },
          quick: { command: 'bash', args: ['-c', 'echo "done $0"', '{prompt}'] },
        },
      }),
    );
  });

  afterAll(() => spec.stop(home));

  const request = (prompt: string, extra: Partial<RunRequestV1> = {}): RunRequestV1 => ({
    runId: newId(),
    taskId: newId(),
    sessionId: newId(),
    agent: 'gate',
    prompt,
    nextSeq: 1,
    ...extra,
  });
  const of = (r: RunRequestV1) => spec.of(r);
  async function until(condition: () => boolean, what: string, ms = 10_000): Promise<void> {
    for (const deadline = Date.now() + ms; !condition(); await new Promise((r) => setTimeout(r, 20))) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    }
  }

  it('declines work beyond capacity unless asked to queue it, then runs the line in order with positions', async () => {
    const first = request('one');
    expect(await runner.accept(first)).toEqual({ runnerId: 'runner-spec', tmuxSession: `pb-${first.sessionId}`, position: 0 });
    await expect(runner.accept(request('two'))).rejects.toMatchObject({ code: 'runner_at_capacity' });

    const second = request('two', { queueIfBusy: true });
    const third = request('three', { queueIfBusy: true });
    expect((await runner.accept(second)).position).toBe(1);
    expect((await runner.accept(third)).position).toBe(2);
    expect(of(third)[0]).toMatchObject({ type: 'status', state: 'waiting', text: 'waiting for a free slot on runner runner-spec: position 2 in line' });

    // The same run asked again (an engine that lost the answer) gets the same answer.
    expect((await runner.accept(third)).position).toBe(2);

    writeFileSync(join(home, 'one.go'), '');
    await until(() => of(second).some((e) => e.type === 'status' && e.state === 'started'), 'the second run to start');
    // The one still waiting moved up.
    expect(
      of(third)
        .filter((e) => e.type === 'status' && e.state === 'waiting')
        .map((e) => (e as { text: string }).text),
    ).toEqual(['waiting for a free slot on runner runner-spec: position 2 in line', 'waiting for a free slot on runner runner-spec: position 1 in line']);
    writeFileSync(join(home, 'two.go'), '');
    writeFileSync(join(home, 'three.go'), '');
    await until(() => of(third).some((e) => e.type === 'final'), 'the third run to end');
    expect(of(first).at(-1)).toMatchObject({ type: 'final', text: 'start one\nend one' });
    for (const r of [first, second, third]) expect(of(r).map((e) => e.seq)).toEqual(of(r).map((_, i) => i + 1));
    // The slot is freed (and announced) once the ended run's journal and workspace are settled.
    await until(() => activeRuns === 0, 'the runner to announce its free slot');
  });

  it('tells a long line its positions a bounded number of times, and runs it in order', async () => {
    const gate = request('gate');
    await runner.accept(gate);
    const line = Array.from({ length: 30 }, (_, i) => request(`q${i + 1}`, { agent: 'quick', queueIfBusy: true }));
    for (const [i, r] of line.entries()) expect((await runner.accept(r)).position).toBe(i + 1);
    writeFileSync(join(home, 'gate.go'), '');
    await until(() => of(line.at(-1)!).some((e) => e.type === 'final'), 'the last run in line to end', 45_000);

    const positions = (r: RunRequestV1) =>
      of(r)
        .filter((e) => e.type === 'status' && e.state === 'waiting')
        .map((e) => Number(/position (\d+) in line/.exec((e as { text: string }).text)![1]));
    // Joining, half-way and the front: at most 3 each (telling every move would be 465 here).
    for (const [i, r] of line.entries()) {
      expect(positions(r).length).toBeLessThanOrEqual(3);
      expect(positions(r)[0]).toBe(i + 1);
      expect(positions(r).at(-1)).toBe(1);
    }
    expect(positions(line[29])).toEqual([30, 15, 1]);
    expect(line.reduce((sum, r) => sum + positions(r).length, 0)).toBeLessThanOrEqual(3 * line.length);
    // Capacity 1: each run started after the one before it ended, and ended well.
    const indexOf = (r: RunRequestV1, is: (e: OutputEventV1) => boolean) => spec.events.findIndex((e) => e.runId === r.runId && is(e));
    for (const [i, r] of line.entries()) {
      expect(of(r).at(-1)).toMatchObject({ type: 'final', text: `done q${i + 1}` });
      const started = indexOf(r, (e) => e.type === 'status' && e.state === 'started');
      expect(started).toBeGreaterThan(indexOf(i === 0 ? gate : line[i - 1], (e) => e.type === 'final'));
      expect(of(r).map((e) => e.seq)).toEqual(of(r).map((_, n) => n + 1));
    }
    await until(() => activeRuns === 0, 'the runner to announce its free slot');
  }, 60_000);

  it('answers input, screen and control only for the sessions it holds', async () => {
    const run = request('four');
    await runner.accept(run);
    expect(await bus.request('session.*.input', { text: 'hello' }, { params: [run.sessionId] })).toEqual({
      delivered: false,
      detail: 'agent gate is not interactive; the message runs after the current one',
    });
    // Only a terminal-mode or bridged run has a screen to show.
    await expect(bus.request('session.*.screen', {}, { params: [run.sessionId] })).rejects.toMatchObject({
      code: 'not_found',
      message: `session ${run.sessionId} has no live terminal on runner runner-spec`,
    });
    await expect(bus.request('session.*.control', { action: 'stop', by: 'test' }, { params: [newId()] })).rejects.toMatchObject({
      code: 'no_responder',
    });
    expect(await bus.request('session.*.control', { action: 'kill', by: 'test' }, { params: [run.sessionId] })).toEqual({
      runId: run.runId,
      detail: 'tmux session closed',
    });
    await until(() => of(run).some((e) => e.type === 'error'), 'the run to end');
    expect(of(run).at(-1)).toMatchObject({ type: 'error', code: 'killed', text: 'killed by test', by: 'test' });
    // Once the run has ended nothing answers as if it were live: until its subscriptions are
    // gone the runner says so, then nobody answers at all.
    await expect(bus.request('session.*.control', { action: 'stop', by: 'test' }, { params: [run.sessionId] })).rejects.toMatchObject({
      code: expect.stringMatching(/^(not_found|no_responder)$/),
    });
  });
});
