import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { ApprovalV1, newId, TaskV1 } from '@patchbay/contracts';
import { FakeAnthropicApi, toolResultText } from './fakes/anthropic/fake-anthropic-api';
import { lastEvent, PatchbayInstance, waitUntil } from './support/patchbay-instance';
import { sampleValue } from './support/prometheus-text';
import { describeWith } from './support/services';
import { claudeAgentProfile, envWithoutClaude } from './support/claude-agent';

jest.setTimeout(180_000);

/**
 * The whole path of an approval in one all-in-one Patchbay, out of the box (policy `ask`,
 * no allowedTools): the real claude CLI wants Bash, the engine stores the request and shows
 * it on the API, a person answers over HTTP, and only then does the command run.
 */
describeWith(['tmux'], 'approvals end to end: real claude, the engine, the HTTP API', () => {
  const fake = new FakeAnthropicApi();
  let pb: PatchbayInstance;
  let work: string;

  beforeAll(async () => {
    await fake.start();
    pb = PatchbayInstance.prepare('approvals-flow');
    const claude = claudeAgentProfile(pb.dir, fake.baseUrl);
    work = claude.work;
    await pb.start({ defaultAgent: 'claude', agents: { claude: claude.profile } }, envWithoutClaude());
  });

  afterAll(async () => {
    await pb?.stop();
    await fake.stop();
  });

  afterEach(() => {
    expect(fake.unexpected()).toEqual([]);
    expect(fake.pending).toBe(0);
    fake.clearRequests();
  });

  /** The model calls Bash once, then answers with what the tool result said. */
  function scriptBash(command: string): string {
    const id = `toolu_flow_${newId(8)}`;
    fake.enqueue({ toolUse: { id, name: 'Bash', input: { command, description: 'Write a marker file' } } }, { answerToolResult: (r) => `The tool said: ${toolResultText(r)}` });
    return id;
  }

  /** The one request pending, once it is there. */
  async function onePending(): Promise<ApprovalV1> {
    await waitUntil(async () => (await approvals()).length === 1, `a pending approval\n${pb.logs()}`, 60_000);
    return (await approvals())[0];
  }

  const approvals = async (query = '') => (await pb.get<{ approvals: ApprovalV1[] }>(`/api/approvals${query}`)).approvals;
  const taskDone = (taskId: string) =>
    waitUntil(async () => ['done', 'failed'].includes((await pb.get<TaskV1>(`/api/tasks/${taskId}`)).status), `task ${taskId} to end\n${pb.logs()}`, 60_000);

  it('waits for a person: the request is listed, nothing runs until it is allowed, then the command runs once', async () => {
    const toolUseId = scriptBash('echo approved > approved.txt && echo wrote it');
    const accepted = await pb.send('write the approved file', 'flow-1');

    await waitUntil(async () => (await approvals()).length === 1, `a pending approval\n${pb.logs()}`, 60_000);
    const [pending] = await approvals();
    expect(pending).toMatchObject({
      sessionId: accepted.sessionId,
      agent: 'claude',
      tool: 'Bash',
      toolUseId,
      status: 'pending',
      summary: expect.stringContaining('echo approved > approved.txt'),
    });
    expect(existsSync(join(work, 'approved.txt'))).toBe(false);

    const answer = await pb.request<ApprovalV1>('POST', `/api/approvals/${pending.id}`, { decision: 'allow_once' });
    expect(answer).toMatchObject({ status: 200, body: { status: 'allowed', decision: 'allow_once', decidedBy: expect.stringMatching(/^local:/) } });
    const again = await pb.request('POST', `/api/approvals/${pending.id}`, { decision: 'deny' });
    expect(again.status).toBe(409);

    await taskDone(accepted.taskId!);
    expect(readFileSync(join(work, 'approved.txt'), 'utf8')).toBe('approved\n');
    const events = await pb.taskEvents(accepted.sessionId!, accepted.taskId!);
    expect(lastEvent(events, 'final').text).toContain('The tool said: wrote it');
    expect(await approvals()).toEqual([]);
  });

  it('allows for the session: the same command in the next task of the session asks nobody and runs', async () => {
    const marker = join(work, 'session.txt');
    // No shell control characters: only such a command can be allowed for the session.
    const command = 'touch session.txt';
    scriptBash(command);
    const first = await pb.send('touch the session file', 'flow-session');
    const pending = await onePending();
    expect(pending).toMatchObject({ sessionId: first.sessionId, status: 'pending' });
    const answer = await pb.request<ApprovalV1>('POST', `/api/approvals/${pending.id}`, { decision: 'allow_session' });
    expect(answer).toMatchObject({ status: 200, body: { status: 'allowed', decision: 'allow_session' } });
    await taskDone(first.taskId!);
    expect(existsSync(marker)).toBe(true);
    rmSync(marker);

    const toolUseId = scriptBash(command);
    const second = await pb.send('touch it again', 'flow-session');
    expect(second.sessionId).toBe(first.sessionId);
    await taskDone(second.taskId!);
    expect((await pb.get<TaskV1>(`/api/tasks/${second.taskId}`)).status).toBe('done');
    expect(existsSync(marker)).toBe(true);
    const decided = (await approvals(`?all=1&session=${first.sessionId}`)).find((a) => a.toolUseId === toolUseId);
    expect(decided).toMatchObject({ status: 'allowed', decision: 'allow_session', decidedBy: 'session', taskId: second.taskId });
    expect(await approvals()).toEqual([]);
    // The engine measured both waits: the person's answer, and the session's at once.
    const samples = await pb.metrics();
    expect(sampleValue(samples, 'patchbay_approval_wait_seconds_count', { decision: 'allow_session', by: 'person' })).toBe(1);
    expect(sampleValue(samples, 'patchbay_approval_wait_seconds_count', { decision: 'allow_session', by: 'session' })).toBe(1);
  });
});
