import { OutputEventV1 } from './messages';

const base = { sessionId: 'sess0001', taskId: 'task0001', runId: 'run00001', seq: 3, at: '2030-01-01T00:00:00.000Z', type: 'status' };

describe('OutputEventV1 status', () => {
  it('carries the pushed branch on pushed and push_failed statuses', () => {
    const pushed = { ...base, state: 'pushed', text: 'pushed branch patchbay/task0001 (2 commits) to origin', branch: 'patchbay/task0001' };
    expect(OutputEventV1.parse(pushed)).toEqual(pushed);
    expect(OutputEventV1.safeParse({ ...pushed, state: 'push_failed' }).success).toBe(true);
  });

  it('refuses a push status without its branch, and a branch on any other status', () => {
    const missing = OutputEventV1.safeParse({ ...base, state: 'pushed', text: 'pushed' });
    expect(missing.error?.issues).toEqual([expect.objectContaining({ path: ['branch'], message: 'branch is set exactly on pushed and push_failed statuses' })]);
    expect(OutputEventV1.safeParse({ ...base, state: 'started', text: 'go', branch: 'patchbay/x' }).success).toBe(false);
    expect(OutputEventV1.safeParse({ ...base, text: 'thinking' }).success).toBe(true);
  });
});
