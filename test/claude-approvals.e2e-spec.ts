import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Bus, NatsTransport, TransportSubscription } from '@patchbay/bus';
import { newId, OutputEventV1, RunRequestV1 } from '@patchbay/contracts';
import { claudeTestEnv } from './fakes/anthropic/claude-env';
import { FakeAnthropicApi, toolResultText } from './fakes/anthropic/fake-anthropic-api';
import { FakeApprovalsEngine } from './fakes/approvals/fake-approvals-engine';
import { PatchbayProcesses, removeScratch, removeTmuxServer, scratchDir, writeConfig } from './support/patchbay-processes';
import { waitUntil } from './support/patchbay-instance';
import { describeWith, NATS_URL } from './support/services';
import { CLAUDE_BIN, envWithoutClaude } from './support/claude-agent';

jest.setTimeout(180_000);

const WAIT_MS = 60_000;

/**
 * The real claude CLI, run by a real runner process (`patchbay start runner`, over NATS),
 * in approvals mode ask: its Bash call is not allowed by the profile, so claude asks
 * Patchbay's permission MCP server, the runner asks approval.ask, and FakeApprovalsEngine
 * (standing in for the engine) answers what each test decides.
 */
describeWith(['nats', 'tmux'], 'claude approvals: the runner and the permission MCP server (real claude, fake API, NATS)', () => {
  const dir = scratchDir('approvals');
  const work = join(dir, 'work');
  const prefix = `pbtest${randomBytes(4).toString('hex')}`;
  const tmuxSocket = `pbtest-${randomBytes(4).toString('hex')}`;
  const fake = new FakeAnthropicApi();
  const events: OutputEventV1[] = [];
  const heartbeats: string[] = [];
  let bus: Bus;
  let engine: FakeApprovalsEngine;
  let processes: PatchbayProcesses;
  let subs: TransportSubscription[] = [];

  beforeAll(async () => {
    mkdirSync(work);
    const claudeHome = join(dir, 'claude-home');
    mkdirSync(claudeHome);
    await fake.start();
    // No allowedTools: Bash is not allowed up front, so claude asks.
    const config = writeConfig(dir, JSON.stringify({ agents: { claude: { command: CLAUDE_BIN, cwd: work, env: claudeTestEnv(fake.baseUrl, claudeHome) } } }));
    bus = new Bus(await NatsTransport.connect(NATS_URL, 'approvals-e2e'), { prefix, requestTimeoutMs: 30_000 });
    engine = new FakeApprovalsEngine(bus).start();
    subs = [bus.subscribe('session.*.output', (event) => void events.push(event)), bus.subscribe('runner.heartbeat', (beat) => void (beat.leaving || heartbeats.push(beat.at)))];
    processes = new PatchbayProcesses(
      [['runner']],
      {
        ...envWithoutClaude(),
        NATS_URL,
        PATCHBAY_CONFIG: config,
        PATCHBAY_HOME: join(dir, 'home'),
        PATCHBAY_TMUX_SOCKET: tmuxSocket,
        PATCHBAY_BUS_PREFIX: prefix,
        PATCHBAY_RUNNER_ID: 'runner-approvals',
      },
      dir,
    );
    await startRunner();
  });

  afterAll(async () => {
    await processes?.stop();
    for (const sub of subs) sub.unsubscribe();
    engine?.stop();
    await bus?.close();
    await fake.stop();
    removeTmuxServer(tmuxSocket);
    removeScratch(dir);
  });

  async function startRunner(): Promise<void> {
    const before = heartbeats.length;
    if (before === 0) processes.start();
    else processes.restart('runner');
    await waitUntil(() => heartbeats.length > before, `the runner's heartbeat\n${processes.logs()}`, WAIT_MS);
  }

  async function run(prompt: string): Promise<RunRequestV1> {
    const request: RunRequestV1 = { runId: newId(), taskId: newId(), sessionId: newId(), agent: 'claude', prompt, nextSeq: 1, approvals: 'ask' };
    await bus.request('runner.run', request);
    return request;
  }

  const of = (request: RunRequestV1) => events.filter((e) => e.runId === request.runId);
  const ended = (request: RunRequestV1) => of(request).some((e) => e.type === 'final' || e.type === 'error');
  const asked = (count = 1) => waitUntil(() => engine.asks.length >= count, `${count} approval ask(s)\n${processes.logs()}`, WAIT_MS);
  const finalOf = async (request: RunRequestV1) => {
    await waitUntil(() => ended(request), `the run to end\n${processes.logs()}`, WAIT_MS);
    const last = of(request).at(-1)!;
    expect(last).toMatchObject({ type: 'final' });
    return last as Extract<OutputEventV1, { type: 'final' }>;
  };

  /** The model calls Bash once, then answers with what the tool result said. */
  function scriptBash(command: string): string {
    const id = `toolu_approval_${newId(8)}`;
    fake.enqueue({ toolUse: { id, name: 'Bash', input: { command, description: 'Write the marker file' } } }, { answerToolResult: (r) => `The tool said: ${toolResultText(r)}` });
    return id;
  }

  afterEach(() => {
    expect(fake.unexpected()).toEqual([]);
    expect(fake.pending).toBe(0);
    engine.asks.length = 0;
    fake.clearRequests();
  });

  it('allowed: the command runs once and the model gets its result', async () => {
    const toolUseId = scriptBash('echo approved > approved.txt && echo wrote it');
    const request = await run('write the approved file');

    await asked();
    const [ask] = engine.asks;
    expect(ask).toEqual({
      sessionId: request.sessionId,
      taskId: request.taskId,
      agent: 'claude',
      toolUseId,
      tool: 'Bash',
      input: { command: 'echo approved > approved.txt && echo wrote it', description: 'Write the marker file' },
      summary: 'echo approved > approved.txt && echo wrote it\n(Write the marker file)',
    });
    // Nothing runs before the answer.
    expect(existsSync(join(work, 'approved.txt'))).toBe(false);
    engine.decide(toolUseId, 'allow_once', 'telegram:42');

    const final = await finalOf(request);
    expect(readFileSync(join(work, 'approved.txt'), 'utf8')).toBe('approved\n');
    const [result] = fake.toolResults();
    expect(result).toMatchObject({ tool_use_id: toolUseId, is_error: false });
    expect(toolResultText(result)).toContain('wrote it');
    expect(final.text).toContain('The tool said: wrote it');
  });

  it('denied with a reason: nothing runs and the model is told the reason', async () => {
    const toolUseId = scriptBash('echo denied > denied.txt');
    const request = await run('write the denied file');

    await asked();
    engine.decide(toolUseId, 'deny', 'discord:7', 'not on the release branch');

    const final = await finalOf(request);
    expect(existsSync(join(work, 'denied.txt'))).toBe(false);
    const [result] = fake.toolResults();
    expect(result).toMatchObject({ tool_use_id: toolUseId, is_error: true });
    expect(toolResultText(result)).toContain('Denied by discord:7: not on the release branch');
    expect(final.text).toContain('not on the release branch');
  });

  it('the runner is killed while a request waits: after its restart the answer still reaches the agent, and the tool runs once', async () => {
    const toolUseId = scriptBash('echo once >> restart.txt');
    const request = await run('append to the restart file');
    await asked();

    await processes.crash('runner');
    await startRunner();
    // The permission server asks the new runner again, about the same tool use.
    await asked(2);
    const approvalId = engine.approval(toolUseId).id;
    engine.decide(toolUseId, 'allow_once', 'cli:owner');

    await finalOf(request);
    expect(readFileSync(join(work, 'restart.txt'), 'utf8')).toBe('once\n');
    expect(fake.toolResults()).toEqual([expect.objectContaining({ tool_use_id: toolUseId, is_error: false })]);
    const asks = engine.asksFor(toolUseId);
    expect(asks.length).toBeGreaterThanOrEqual(2);
    expect(engine.asks.every((a) => a.toolUseId === toolUseId)).toBe(true);
    expect(engine.approval(toolUseId).id).toBe(approvalId);
  });
});
