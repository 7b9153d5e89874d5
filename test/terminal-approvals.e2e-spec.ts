import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ApprovalV1, TaskV1 } from '@patchbay/contracts';
import { PatchbayInstance, waitUntil } from './support/patchbay-instance';
import { describeWith } from './support/services';

jest.setTimeout(120_000);

const TUI = join(__dirname, 'fixtures', 'permission-tui.js');

/**
 * Terminal-mode approvals with real tmux: a program in its pane draws Claude Code's
 * permission prompt; the profile's `prompts: [claude]` patterns turn it into an approval
 * request, nothing is typed while it waits, and the answer types the keys (1, or Escape
 * and the reason).
 */
describeWith(['tmux'], 'approvals from a terminal program (prompt patterns, real tmux)', () => {
  const pb = PatchbayInstance.prepare('terminal-approvals');
  let work: string;

  beforeAll(async () => {
    work = join(pb.dir, 'work');
    mkdirSync(work);
    await pb.start({
      defaultAgent: 'tui',
      agents: {
        tui: {
          command: process.execPath,
          args: [TUI],
          mode: 'terminal',
          cwd: work,
          prompts: ['claude'],
          // The command a prompt names is what policy rules match.
          approvals: { allow: ['Bash(echo:*)'] },
        },
      },
    });
  });

  afterAll(async () => {
    await pb.stop();
  });

  const pending = async () => (await pb.get<{ approvals: ApprovalV1[] }>('/api/approvals')).approvals;
  const taskEnded = (taskId: string) =>
    waitUntil(async () => ['done', 'failed'].includes((await pb.get<TaskV1>(`/api/tasks/${taskId}`)).status), `task ${taskId} to end\n${pb.logs()}`, 60_000);
  const onePending = async () => {
    await waitUntil(async () => (await pending()).length === 1, `a pending approval\n${pb.logs()}`, 60_000);
    return (await pending())[0];
  };

  it("asks the prompt's command as a Bash approval, runs nothing while it waits, and Allow types 1", async () => {
    const accepted = await pb.send('touch tui-allowed.txt', 'tui-1');
    const request = await onePending();
    expect(request).toMatchObject({ tool: 'Bash', agent: 'tui', scope: 'Bash(touch tui-allowed.txt)', summary: expect.stringContaining('Do you want to proceed?') });
    expect(request.summary).toContain('touch tui-allowed.txt');
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(existsSync(join(work, 'tui-allowed.txt'))).toBe(false);

    expect((await pb.request('POST', `/api/approvals/${request.id}`, { decision: 'allow_once' })).status).toBe(200);
    await taskEnded(accepted.taskId!);
    expect(existsSync(join(work, 'tui-allowed.txt'))).toBe(true);
    expect((await pb.get<TaskV1>(`/api/tasks/${accepted.taskId}`)).status).toBe('done');
  });

  it('a denial presses Escape and types who denied and why; nothing runs', async () => {
    const accepted = await pb.send('touch tui-denied.txt', 'tui-2');
    const request = await onePending();
    expect((await pb.request('POST', `/api/approvals/${request.id}`, { decision: 'deny', reason: 'not today' })).status).toBe(200);
    await taskEnded(accepted.taskId!);
    expect(existsSync(join(work, 'tui-denied.txt'))).toBe(false);
    expect(readFileSync(join(work, 'denied-reason.txt'), 'utf8')).toMatch(/^Denied by \S+: not today$/);
  });

  it('a prompt the policy allows is answered without asking anyone', async () => {
    const accepted = await pb.send('echo policy-ok', 'tui-3');
    await taskEnded(accepted.taskId!);
    expect((await pb.get<TaskV1>(`/api/tasks/${accepted.taskId}`)).status).toBe('done');
    const all = (await pb.get<{ approvals: ApprovalV1[] }>('/api/approvals?all=1')).approvals;
    expect(all.find((a) => a.summary.includes('echo policy-ok'))).toMatchObject({ status: 'allowed', decidedBy: 'policy' });
  });
});
