import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigSchema } from '@patchbay/config';
import { newId, OutputEventV1, RunRequestV1 } from '@patchbay/contracts';
import { describeWith } from '../../../test/support/services';
import { SpecRunner } from '../../../test/support/spec-runner';
import { RunnerService } from './runner.service';

jest.setTimeout(30_000);

const git = (cwd: string, ...args: string[]) =>
  execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.com', ...args], { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();

/**
 * An agent that commits a file in its worktree when its prompt says `commit`, and with
 * `gate` waits for `<home>/<prompt>.go` before it ends.
 */
const AGENT = [
  'echo "start $1"',
  'case "$1" in *commit*) echo "$1" > "work-$PATCHBAY_TASK_ID.txt" && git add . && git -c user.name=agent -c user.email=agent@example.com commit -qm "$1";; esac',
  'case "$1" in *gate*) while [ ! -e "$0/$1.go" ]; do sleep 0.05; done;; esac',
  'echo "end $1"',
].join('\n');

describeWith(['tmux'], 'RunnerService: publishing the task branch (real git, real tmux)', () => {
  const root = mkdtempSync(join(tmpdir(), 'pb-publish-'));
  const home = join(root, 'home');
  const origin = join(root, 'origin.git');
  const spec = new SpecRunner();
  const { bus, events } = spec;
  let runner: RunnerService;

  /** A repository with one commit whose origin is `originUrl`. */
  function repository(name: string, originUrl: string): string {
    const repo = join(root, name);
    execFileSync('git', ['init', '-q', '-b', 'main', repo]);
    writeFileSync(join(repo, 'README'), 'project\n');
    git(repo, 'add', '.');
    git(repo, 'commit', '-qm', 'first');
    git(repo, 'remote', 'add', 'origin', originUrl);
    return repo;
  }

  beforeAll(async () => {
    execFileSync('git', ['init', '-q', '--bare', '-b', 'main', origin]);
    const repo = repository('repo', origin);
    git(repo, 'push', '-q', 'origin', 'main');
    // Nothing listens there; the URL carries a secret that must never be shown.
    const unreachable = repository('unreachable', 'https://patchbay:s3cret-token@127.0.0.1:9/nothing.git');
    const agent = (worktree: Record<string, unknown>) => ({ command: 'bash', args: ['-c', AGENT, home, '{prompt}'], worktree: { cleanup: 'never', ...worktree } });
    const config = ConfigSchema.parse({
      home,
      runner: { id: 'runner-publish', capacity: 4 },
      agents: {
        pusher: agent({ repo, push: true }),
        keeper: agent({ repo }),
        failing: agent({ repo: unreachable, push: true }),
        // Like claude: prints its result (the final answer) first, then exits.
        early: {
          command: 'bash',
          args: [
            '-c',
            `{\n${AGENT}\n} >&2\necho '{"type":"result","subtype":"success","is_error":false,"result":"Done early.","duration_ms":5}'\nwhile [ ! -e "$0/$1.exit" ]; do sleep 0.05; done`,
            home,
            '{prompt}',
          ],
          mode: 'structured',
          format: 'claude',
          worktree: { repo, cleanup: 'never', push: true },
        },
      },
    });
    // A restarted runner waits for an engine before it adopts runs.
    bus.respond('engine.status', async () => ({ database: { ok: true, detail: 'spec' } }));
    runner = await spec.start(config);
  });

  afterAll(() => spec.stop(root));

  const request = (agent: string, prompt: string): RunRequestV1 => ({ runId: newId(), taskId: newId(), sessionId: newId(), agent, prompt, nextSeq: 1 });
  const of = (r: RunRequestV1) => spec.of(r);
  const originHas = (branch: string) => {
    try {
      git(origin, 'rev-parse', '--verify', '--quiet', `refs/heads/${branch}`);
      return true;
    } catch {
      return false;
    }
  };
  async function until(condition: () => boolean, what: string): Promise<void> {
    for (const deadline = Date.now() + 15_000; !condition(); await new Promise((r) => setTimeout(r, 20))) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(events)}`);
    }
  }
  /** The run's events once it ended, each seq once (as the engine keeps them: an adopted run publishes some again). */
  async function ended(r: RunRequestV1): Promise<OutputEventV1[]> {
    await until(() => of(r).some((e) => e.type === 'final' || e.type === 'error'), `run ${r.runId} to end`);
    return of(r).filter((e, i, all) => all.findIndex((f) => f.seq === e.seq) === i);
  }
  const kinds = (all: OutputEventV1[]) => all.map((e) => (e.type === 'status' ? `status:${e.state}` : e.type)).filter((k, i, a) => k !== 'text' || a[i - 1] !== 'text');

  it('pushes a branch the agent committed on to origin, saying so just before the final answer', async () => {
    const run = request('pusher', 'commit');
    await runner.accept(run);
    const all = await ended(run);
    const branch = `patchbay/${run.taskId}`;
    expect(kinds(all)).toEqual(['status:started', 'text', 'status:pushed', 'final']);
    expect(all.at(-2)).toMatchObject({ type: 'status', state: 'pushed', branch, text: `pushed branch ${branch} (1 commit) to origin` });
    expect(all.at(-1)).toMatchObject({ type: 'final', text: 'start commit\nend commit' });
    expect(git(origin, 'rev-parse', `refs/heads/${branch}`)).toBe(git(join(root, 'repo'), 'rev-parse', `refs/heads/${branch}`));
    for (const event of all) expect(OutputEventV1.parse(event)).toEqual(event);
  });

  it('pushes nothing without commits, nor without worktree.push', async () => {
    const idle = request('pusher', 'look only');
    const unpushed = request('keeper', 'commit');
    await Promise.all([runner.accept(idle), runner.accept(unpushed)]);
    for (const run of [idle, unpushed]) {
      expect(kinds(await ended(run))).toEqual(['status:started', 'text', 'final']);
      expect(originHas(`patchbay/${run.taskId}`)).toBe(false);
    }
    expect(git(join(root, 'repo'), 'rev-list', '--count', `main..patchbay/${unpushed.taskId}`)).toBe('1');
  });

  it('reports a push that failed as a status line, without the credentials, and still gives the final answer', async () => {
    const run = request('failing', 'commit');
    await runner.accept(run);
    const all = await ended(run);
    expect(kinds(all)).toEqual(['status:started', 'text', 'status:push_failed', 'final']);
    const failed = all.at(-2) as Extract<OutputEventV1, { type: 'status' }>;
    expect(failed).toMatchObject({ branch: `patchbay/${run.taskId}`, text: expect.stringMatching(new RegExp(`^could not push branch patchbay/${run.taskId} to origin: .+`)) });
    expect(failed.text).not.toContain('s3cret');
    expect(all.at(-1)).toMatchObject({ type: 'final', text: 'start commit\nend commit' });
  });

  it('holds a final printed before the agent exits until the branch is pushed, across a runner restart', async () => {
    const run = request('early', 'commit');
    await runner.accept(run);
    const journal = join(home, 'runs', run.runId, 'events.jsonl');
    await until(() => existsSync(journal) && readFileSync(journal, 'utf8').includes('"held"'), 'the held final in the journal');
    expect(of(run).some((e) => e.type === 'final')).toBe(false);
    runner = await spec.restart();
    writeFileSync(join(home, 'commit.exit'), '');
    const all = await ended(run);
    expect(kinds(all)).toEqual(['status:started', 'status:resumed', 'status:pushed', 'final']);
    expect(all.at(-1)).toMatchObject({ type: 'final', text: 'Done early.', exitCode: 0 });
    expect(originHas(`patchbay/${run.taskId}`)).toBe(true);
  });

  it('pushes the branch of a run adopted by a restarted runner', async () => {
    const run = request('pusher', 'commit gate');
    await runner.accept(run);
    await until(() => of(run).some((e) => e.type === 'text'), 'the agent to start');
    runner = await spec.restart();
    writeFileSync(join(home, 'commit gate.go'), '');
    const all = await ended(run);
    expect(all).toContainEqual(expect.objectContaining({ type: 'status', state: 'resumed', text: expect.stringContaining('runner-publish') }));
    expect(all.slice(-2)).toEqual([
      expect.objectContaining({ type: 'status', state: 'pushed', branch: `patchbay/${run.taskId}` }),
      expect.objectContaining({ type: 'final', text: 'start commit gate\nend commit gate' }),
    ]);
    expect(originHas(`patchbay/${run.taskId}`)).toBe(true);
  });
});
