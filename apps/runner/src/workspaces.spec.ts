import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AgentProfile } from '@patchbay/agents';
import { newId, RunRequestV1 } from '@patchbay/contracts';
import { Workspaces } from './workspaces';

const git = (cwd: string, ...args: string[]) =>
  execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.com', ...args], { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();

describe('Workspaces', () => {
  let root: string;
  let repo: string;
  let workspaces: Workspaces;
  const profile = (cleanup: 'always' | 'on_success' | 'never'): AgentProfile => ({
    command: 'x',
    args: [],
    env: {},
    passEnv: [],
    mode: 'text',
    worktree: { repo, base: 'HEAD', cleanup, push: false },
  });
  const request = (sessionId: string, taskId = newId()): RunRequestV1 => ({ runId: newId(), taskId, sessionId, agent: 'x', prompt: 'p', nextSeq: 1 });

  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'pb-workspaces-'));
    repo = join(root, 'repo');
    execFileSync('git', ['init', '-q', '-b', 'main', repo]);
    writeFileSync(join(repo, 'README'), 'project\n');
    git(repo, 'add', '.');
    git(repo, 'commit', '-qm', 'first');
    workspaces = new Workspaces(join(root, 'home'));
  });

  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('runs in the profile cwd when no worktree is configured', async () => {
    const ws = await workspaces.prepare({ command: 'x', args: [], env: {}, passEnv: [], mode: 'text', cwd: '/srv/app' }, request('sess0001'));
    expect(ws.cwd).toBe('/srv/app');
  });

  it('gives a task its own branch in a worktree of the session, removed after success, branch kept', async () => {
    const first = request('sess0001');
    const ws = await workspaces.prepare(profile('on_success'), first);
    expect(ws.cwd).toBe(join(root, 'home', 'worktrees', 'sess0001'));
    expect(git(ws.cwd, 'branch', '--show-current')).toBe(`patchbay/${first.taskId}`);
    expect(readFileSync(join(ws.cwd, 'README'), 'utf8')).toBe('project\n');

    writeFileSync(join(ws.cwd, 'work.txt'), 'done by the agent\n');
    git(ws.cwd, 'add', '.');
    git(ws.cwd, 'commit', '-qm', 'agent work');
    await ws.release('done');
    expect(existsSync(ws.cwd)).toBe(false);
    expect(git(repo, 'branch', '--list', `patchbay/${first.taskId}`)).toContain(`patchbay/${first.taskId}`);

    // The session's next task continues from the previous task's branch, in the same folder.
    const second = request('sess0001');
    const again = await workspaces.prepare(profile('on_success'), second);
    expect(again.cwd).toBe(ws.cwd);
    expect(git(again.cwd, 'branch', '--show-current')).toBe(`patchbay/${second.taskId}`);
    expect(readFileSync(join(again.cwd, 'work.txt'), 'utf8')).toBe('done by the agent\n');
  });

  it('keeps a failed task worktree with on_success, and removes it with always', async () => {
    const kept = await workspaces.prepare(profile('on_success'), request('sess0002'));
    await kept.release('failed');
    expect(existsSync(kept.cwd)).toBe(true);
    const removed = await workspaces.prepare(profile('always'), request('sess0003'));
    await removed.release('failed');
    expect(existsSync(removed.cwd)).toBe(false);
    const never = await workspaces.prepare(profile('never'), request('sess0004'));
    await never.release('done');
    expect(existsSync(never.cwd)).toBe(true);
  });

  it('adds a new branch in place when the session worktree is still there', async () => {
    const first = await workspaces.prepare(profile('never'), request('sess0005'));
    const second = request('sess0005');
    const ws = await workspaces.prepare(profile('never'), second);
    expect(ws.cwd).toBe(first.cwd);
    expect(git(ws.cwd, 'branch', '--show-current')).toBe(`patchbay/${second.taskId}`);
  });

  it('gives parallel sessions separate trees, however many start at once', async () => {
    // git cannot add worktrees to one repository side by side: Workspaces takes them in turn.
    const sessions = ['sessaaaa', 'sessbbbb', 'sesscccc', 'sessdddd', 'sesseeee', 'sessffff', 'sessgggg', 'sesshhhh'];
    const all = await Promise.all(sessions.map((s) => workspaces.prepare(profile('never'), request(s))));
    expect(new Set(all.map((ws) => ws.cwd)).size).toBe(sessions.length);
    const [a, b] = all;
    writeFileSync(join(a.cwd, 'only-a.txt'), 'a');
    expect(existsSync(join(b.cwd, 'only-a.txt'))).toBe(false);
    await Promise.all(all.map((ws) => ws.release('done')));
  });

  it('fails with git’s own message when the repository does not exist', async () => {
    const missing: AgentProfile = { ...profile('never'), worktree: { repo: join(root, 'nope'), base: 'HEAD', cleanup: 'never', push: false } };
    await expect(workspaces.prepare(missing, request('sess0006'))).rejects.toThrow(/git .* failed: .*(not a git repository|cannot change to|No such file)/i);
  });
});
