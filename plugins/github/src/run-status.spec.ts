import { OutputEventV1 } from '@patchbay/contracts';
import { RunStatusReporter, runStatusOf, summaryOf } from './run-status';

const base = { sessionId: 'sess0001', taskId: 'task0001', runId: 'run00001', at: '2026-01-01T00:00:00Z' };
let seq = 0;
const ev = (e: Record<string, unknown>) => ({ ...base, seq: ++seq, ...e }) as OutputEventV1;

describe('run status', () => {
  it('maps lifecycle events to statuses', () => {
    expect(runStatusOf(ev({ type: 'status', text: 'waiting', state: 'waiting' }))).toBe('queued');
    expect(runStatusOf(ev({ type: 'status', text: 'go', state: 'started' }))).toBe('running');
    expect(runStatusOf(ev({ type: 'text', text: 'hi' }))).toBeNull();
    expect(runStatusOf(ev({ type: 'final', text: 'ok', durationMs: 1, exitCode: 0 }))).toBe('done');
    expect(runStatusOf(ev({ type: 'error', text: 'x', code: 'stopped', exitCode: 143 }))).toBe('cancelled');
    expect(runStatusOf(ev({ type: 'error', text: 'x', code: 'exit', exitCode: 1 }))).toBe('failed');
  });

  it('sums a run up', () => {
    expect(summaryOf(ev({ type: 'final', text: 'ok', durationMs: 4_200, exitCode: 0, costUsd: 0.01, tokens: { input: 10, output: 5 } }))).toBe(
      '**Done** in 4.2 s, $0.0100, 10 tokens in / 5 out (task `task0001`).',
    );
    expect(summaryOf(ev({ type: 'error', text: 'agent exited with code 1', code: 'exit', exitCode: 1 }))).toBe(
      '**Failed** (task `task0001`): agent exited with code 1\n\nComment `/retry` to run it again.',
    );
    expect(summaryOf(ev({ type: 'status', text: 'go', state: 'started' }))).toBeNull();
  });
});

describe('RunStatusReporter', () => {
  function fakeIssue(initial: string[]) {
    const labels = new Set(initial);
    const calls: string[] = [];
    return {
      labels,
      calls,
      issues: {
        labels: async () => [...labels],
        addLabel: async (_chat: string, l: string) => void (calls.push(`+${l}`), labels.add(l)),
        removeLabel: async (_chat: string, l: string) => void (calls.push(`-${l}`), labels.delete(l)),
        comment: async (_chat: string, body: string) => void calls.push(`comment ${body.slice(0, 8)}`),
      },
    };
  }

  it('keeps one status label in step with the run, leaves other labels, and sums up at the end', async () => {
    const issue = fakeIssue(['bug', 'status:done']);
    const reporter = new RunStatusReporter(issue.issues);
    reporter.update('o/r#1', ev({ type: 'status', text: 'go', state: 'started' }));
    await reporter.idle();
    expect([...issue.labels]).toEqual(['bug', 'status:in_progress']);
    reporter.update('o/r#1', ev({ type: 'final', text: 'ok', durationMs: 1, exitCode: 0 }));
    await reporter.idle();
    expect([...issue.labels]).toEqual(['bug', 'status:done']);
    expect(issue.calls).toEqual(['+status:in_progress', '-status:done', '+status:done', '-status:in_progress', 'comment **Done**']);
  });

  it('ignores repeated events and skips a status overtaken before it was applied', async () => {
    const issue = fakeIssue([]);
    const reporter = new RunStatusReporter(issue.issues);
    reporter.update('o/r#2', ev({ type: 'status', text: 'wait', state: 'waiting' }));
    const started = ev({ type: 'status', text: 'go', state: 'started' });
    reporter.update('o/r#2', started);
    reporter.update('o/r#2', started);
    await reporter.idle();
    expect(issue.calls).toEqual(['+status:in_progress']);
  });
});
