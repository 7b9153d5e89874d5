import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { newId, OutputEventV1, RunRequestV1 } from '@patchbay/contracts';
import { AgentProfile } from '@patchbay/agents';
import { Redactor, TOKEN_SHAPES } from '@patchbay/security';
import { TmuxClient } from '@patchbay/tmux';
import { describeWith } from '../../../test/support/services';
import { AgentRun } from './agent-run';
import { RunJournal } from './run-journal';

jest.setTimeout(20_000);

/** These runs ask no approvals (their requests name no approvals mode). */
const noApprovals = (): never => {
  throw new Error('unexpected approval.ask');
};

describeWith(['tmux'], 'AgentRun in tmux', () => {
  const socket = `pbtest-${newId(8)}`;
  const tmux = new TmuxClient(socket);
  /** What the runner's config would give: a configured secret, and the token shapes. */
  const redactor = new Redactor(new Map([['configured-secret-value', 'github.webhookSecret']]), TOKEN_SHAPES);
  let root: string;
  const runs: AgentRun[] = [];

  /** Patchbay's own secrets, in the runner's environment and in its tmux server's. */
  const SECRETS = {
    TELEGRAM_BOT_TOKEN: '123456789:AAtelegram-secret-in-runner-env',
    GITHUB_TOKEN: 'ghp_runnerEnvSecret0123456789abcdefABCD',
    GITHUB_WEBHOOK_SECRET: 'webhook-secret-in-runner-env',
    PATCHBAY_API_TOKEN: 'api-token-in-runner-env',
    PATCHBAY_BUS_SECRET: 'bus-secret-in-runner-env',
  };
  const PASSED = { PB_TEST_PASSED_KEY: 'passed-through-by-passEnv' };

  beforeAll(() => {
    root = mkdtempSync(join(tmpdir(), 'pb-agent-run-'));
    Object.assign(process.env, SECRETS, PASSED);
    // Jest's process.env is the test's own copy: the tmux server gets the secrets explicitly,
    // kept running by a session of its own.
    execFileSync('tmux', ['-L', socket, 'new-session', '-d', '-s', 'pb-keep-server', 'sleep 600'], { env: { ...process.env } });
  });

  afterEach(async () => {
    await Promise.all(runs.splice(0).map((run) => run.stop('kill', 'test_over', 'test over').catch(() => undefined)));
  });

  afterAll(() => {
    try {
      execFileSync('tmux', ['-L', socket, 'kill-server'], { stdio: 'ignore' });
    } catch {
      // the server already exited with its last session
    }
    // tmux leaves its socket file behind; it lives where tmux puts it by default.
    rmSync(join(process.env.TMUX_TMPDIR ?? '/tmp', `tmux-${process.getuid?.()}`, socket), { force: true });
    rmSync(root, { recursive: true, force: true });
    for (const name of Object.keys({ ...SECRETS, ...PASSED })) delete process.env[name];
  });

  /** Starts an agent that is `bash -c <script> agent <prompt>`, recording what it emits. */
  async function startRun(script: string, prompt = 'hello there', extra: Partial<AgentProfile> = {}) {
    const request: RunRequestV1 = { runId: newId(), taskId: newId(), sessionId: newId(), agent: 'bash-test', prompt, nextSeq: 5 };
    const profile: AgentProfile = { command: 'bash', args: ['-c', script, 'agent', '{prompt}'], env: {}, passEnv: [], mode: 'text', ...extra };
    const events: OutputEventV1[] = [];
    const journal = await RunJournal.create(join(root, request.runId), { request, runnerId: 'runner-test', acceptedAt: new Date().toISOString() });
    const run = new AgentRun(journal, profile, {
      tmux,
      runnerId: 'runner-test',
      redactor,
      publish: (event) => events.push(event),
      askApproval: noApprovals,
      paneChanged: () => undefined,
    });
    runs.push(run);
    await run.start({ cwd: root, publish: async () => null });
    return { run, request, events, journal, profile, session: `pb-${request.sessionId}` };
  }

  const hasSession = (session: string) => {
    try {
      execFileSync('tmux', ['-L', socket, 'has-session', '-t', `=${session}`], { stdio: 'ignore' });
      return true;
    } catch {
      return false;
    }
  };

  async function until(condition: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!condition()) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  /** Every event is a valid OutputEventV1 of this run, numbered from nextSeq without gaps. */
  function expectWellFormed(events: OutputEventV1[], request: RunRequestV1): void {
    for (const event of events) expect(OutputEventV1.parse(event)).toEqual(event);
    expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => request.nextSeq + i));
    const { runId, taskId, sessionId } = request;
    for (const event of events) expect(event).toMatchObject({ runId, taskId, sessionId });
  }

  const texts = (events: OutputEventV1[]) => events.flatMap((e) => (e.type === 'text' ? [e.text] : []));

  it('streams the output of a successful run: status, text as it comes, then final', async () => {
    const script = 'for i in 1 2 3; do printf "line %s: %s\\n" "$i" "$1"; sleep 0.3; done';
    const { run, request, events, session } = await startRun(script);
    expect(hasSession(session)).toBe(true);
    await run.done;

    const expected = 'line 1: hello there\nline 2: hello there\nline 3: hello there\n';
    expectWellFormed(events, request);
    expect(events[0]).toMatchObject({ type: 'status', seq: 5, text: expect.stringContaining(`tmux session ${session}`) });
    expect(events[0]).toMatchObject({ text: expect.stringContaining('runner-test') });
    expect(events.slice(1, -1).every((e) => e.type === 'text')).toBe(true);
    expect(texts(events).join('')).toBe(expected);
    expect(texts(events).length).toBeGreaterThan(1); // streamed line by line, not all at the end
    expect(events.at(-1)).toMatchObject({ type: 'final', exitCode: 0, text: expected.trimEnd() });
    expect((events.at(-1) as { durationMs: number }).durationMs).toBeGreaterThanOrEqual(600);
    await until(() => !hasSession(session), 'the tmux session to end with its agent');
  });

  it("gives the agent none of the runner's environment but the base variables, passEnv and the profile's env", async () => {
    const { run, events } = await startRun('env', 'unused', { passEnv: Object.keys(PASSED), env: { PB_PROFILE_VAR: 'from-profile' } });
    await run.done;
    const printed = texts(events).join('');
    for (const [name, value] of Object.entries(SECRETS)) {
      expect(printed).not.toContain(`${name}=`);
      expect(printed).not.toContain(value);
    }
    expect(printed).toContain('PB_TEST_PASSED_KEY=passed-through-by-passEnv\n');
    expect(printed).toContain('PB_PROFILE_VAR=from-profile\n');
    expect(printed).toContain(`PATH=${process.env.PATH}\n`);
  });

  it('redacts secrets in what it publishes and journals, also a token split across two streamed deltas', async () => {
    const token = 'ghp_aB3dE5fG7hJ9kL1mN3pQ5rS7tU9vW1xY3zA5';
    const delta = `d() { printf '{"type":"stream_event","event":{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"%s"}}}\\n' "$1"; }`;
    // The pause is longer than the runner's text coalescing: the halves arrive in separate reads.
    const script = `${delta}; d "the token is ${token.slice(0, 15)}"; sleep 0.5; d "${token.slice(15)} and configured-secret-value. "`;
    const { run, events, journal } = await startRun(script, 'unused', { mode: 'structured', format: 'claude' });
    await run.done;
    const text = texts(events).join('');
    expect(text).toBe('the token is [redacted:github-token] and [redacted:github.webhookSecret]. ');
    for (const piece of [token.slice(0, 15), token.slice(15), 'configured-secret-value']) {
      expect(JSON.stringify(events)).not.toContain(piece);
      expect(readFileSync(join(journal.dir, 'events.jsonl'), 'utf8')).not.toContain(piece);
    }
  });

  it("keeps a run's files to the runner's user: folders 0700, journal files 0600", async () => {
    // A runs folder made by an earlier version, readable by all, is tightened at start.
    chmodSync(root, 0o755);
    await RunJournal.prepare(root);
    const { run, journal } = await startRun('echo private');
    await run.done;
    const mode = (path: string) => statSync(path).mode & 0o777;
    expect(mode(root)).toBe(0o700);
    expect(mode(journal.dir)).toBe(0o700);
    for (const name of ['run.json', 'events.jsonl']) expect(mode(join(journal.dir, name))).toBe(0o600);
  });

  it('ends a failing run with an agent_failed error carrying the exit status and stderr', async () => {
    const { run, request, events } = await startRun('echo partial; echo "something broke" >&2; exit 7');
    await run.done;
    expectWellFormed(events, request);
    expect(events.map((e) => e.type)).toEqual(['status', 'text', 'error']);
    expect(texts(events)).toEqual(['partial\n']);
    expect(events.at(-1)).toMatchObject({
      type: 'error',
      code: 'agent_failed',
      exitCode: 7,
      text: 'agent bash-test exited with status 7:\nsomething broke',
    });
  });

  /** True while a process with this pid exists. */
  const alive = (pid: number) => {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  };
  /** An agent that would run for a minute, recording its own pid and its child's. */
  const longAgent = (dir: string) => `echo started; echo $$ > ${dir}/agent.pid; sleep 60 & echo $! > ${dir}/child.pid; wait`;
  const pids = (dir: string) => ['agent.pid', 'child.pid'].map((f) => Number(readFileSync(join(dir, f), 'utf8')));

  it('ends a run whose tmux session was killed at once, stopping the agent and its children (exit 129)', async () => {
    const { run, request, events, session } = await startRun(longAgent(root));
    await until(() => texts(events).join('') === 'started\n' && existsSync(join(root, 'child.pid')), 'the first line');
    execFileSync('tmux', ['-L', socket, 'kill-session', '-t', `=${session}`]);
    await run.done;
    expectWellFormed(events, request);
    expect(events.map((e) => e.type)).toEqual(['status', 'text', 'error']);
    expect(events.at(-1)).toMatchObject({
      type: 'error',
      code: 'agent_failed',
      exitCode: 129,
      text: 'agent bash-test was stopped (its tmux session was closed)',
    });
    await until(() => pids(root).every((pid) => !alive(pid)), 'the agent and its child to exit');
  });

  it('stop(kill) ends the run with the given reason, closes its tmux session and stops the agent', async () => {
    const dir = join(root, 'kill');
    mkdirSync(dir);
    const { run, request, events, session } = await startRun(longAgent(dir));
    await until(() => texts(events).length > 0 && existsSync(join(dir, 'child.pid')), 'the first line');
    await run.stop('kill', 'killed', 'killed by a test');
    await run.done;
    expectWellFormed(events, request);
    expect(events.at(-1)).toMatchObject({ type: 'error', code: 'killed', text: 'killed by a test', exitCode: 129 });
    expect(hasSession(session)).toBe(false);
    await until(() => pids(dir).every((pid) => !alive(pid)), 'the agent and its child to exit');
  });

  it('stop(stop) interrupts a non-interactive agent with SIGTERM and reports why', async () => {
    const dir = join(root, 'stop');
    mkdirSync(dir);
    const { run, events } = await startRun(longAgent(dir));
    await until(() => existsSync(join(dir, 'child.pid')), 'the agent to start');
    await run.stop('stop', 'stopped', 'stopped by a test');
    await run.done;
    expect(events.at(-1)).toMatchObject({ type: 'error', code: 'stopped', text: 'stopped by a test', exitCode: 143 });
    await until(() => pids(dir).every((pid) => !alive(pid)), 'the agent and its child to exit');
  });

  it('stops a run that prints nothing for idleTimeoutSeconds, saying why', async () => {
    const { run, events } = await startRun('echo started; sleep 30', 'x', { idleTimeoutSeconds: 1 });
    await run.done;
    expect(events.at(-1)).toMatchObject({
      type: 'error',
      code: 'idle_timeout',
      text: 'agent bash-test printed nothing for 1 s and was stopped',
      exitCode: 129,
    });
  });

  it('stops a run that takes longer than timeoutSeconds, even while it prints', async () => {
    const { run, events } = await startRun('while true; do echo tick; sleep 0.2; done', 'x', { timeoutSeconds: 1, idleTimeoutSeconds: 5 });
    await run.done;
    expect(texts(events).join('')).toMatch(/^(tick\n)+$/);
    expect(events.at(-1)).toMatchObject({ type: 'error', code: 'timeout', text: 'agent bash-test ran longer than 1 s and was stopped' });
  });

  describe('adopted by a restarted runner', () => {
    /** What a new runner process does: reads the journal and adopts the run. */
    async function adopt(started: Awaited<ReturnType<typeof startRun>>, engineLastSeq: number) {
      started.run.detach();
      const [found] = (await RunJournal.unfinished(root)).filter((f) => f.journal.request.runId === started.request.runId);
      const events: OutputEventV1[] = [];
      const run = new AgentRun(
        found.journal,
        started.profile,
        { tmux, runnerId: 'runner-two', redactor, publish: (e) => events.push(e), askApproval: noApprovals, paneChanged: () => undefined },
        found.batches,
      );
      runs.push(run);
      await run.adopt(found.batches, engineLastSeq, { cwd: root, publish: async () => null });
      return { run, events };
    }

    it('continues after the last journaled event, republishing only what the engine lacks', async () => {
      const gate = join(root, `gate-${newId()}`);
      const started = await startRun(`echo before; while [ ! -e ${gate} ]; do sleep 0.05; done; echo after`);
      await until(() => texts(started.events).join('') === 'before\n', 'the first line');
      const seenBefore = started.events.map((e) => e.seq);

      // The engine stored only the first event; the second (text) must be published again.
      const { run, events } = await adopt(started, seenBefore[0]);
      writeFileSync(gate, '');
      await run.done;
      expect(events[0]).toEqual(started.events[1]);
      const all = [started.events[0], ...events];
      expectWellFormed(all, started.request);
      expect(texts(all).join('')).toBe('before\nafter\n');
      expect(events).toContainEqual(expect.objectContaining({ type: 'status', state: 'resumed', text: expect.stringContaining('runner-two') }));
      expect(events.at(-1)).toMatchObject({ type: 'final', exitCode: 0, text: 'before\nafter' });
    });

    it('reports a run whose tmux session vanished without an exit code as lost', async () => {
      const started = await startRun('echo before; sleep 30');
      await until(() => texts(started.events).length > 0, 'the first line');
      started.run.detach();
      execFileSync('tmux', ['-L', socket, 'kill-session', '-t', `=${started.session}`]);
      // As after a reboot: the session is gone and nothing recorded how it ended.
      await until(() => existsSync(join(root, started.request.runId, 'exit-code')), 'the trap to write its exit code');
      rmSync(join(root, started.request.runId, 'exit-code'));
      const { run, events } = await adopt(started, started.events.at(-1)!.seq);
      await run.done;
      expect(events).toEqual([expect.objectContaining({ type: 'error', code: 'session_lost', seq: started.events.at(-1)!.seq + 1 })]);
    });
  });
});
