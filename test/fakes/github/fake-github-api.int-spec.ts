import { createAppAuth } from '@octokit/auth-app';
import { Octokit } from '@octokit/rest';
import { execFileSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FAKE_GITHUB_TOKEN, FakeGitHubApi } from './fake-github-api';

const ADA = { login: 'ada', id: 1, type: 'User' as const };

/** The fake GitHub REST API, exercised with the real Octokit client. */
describe('FakeGitHubApi (with the real Octokit)', () => {
  const github = new FakeGitHubApi({ contentPerMinute: 5 });
  let octokit: Octokit;
  let baseUrl: string;

  beforeAll(async () => {
    baseUrl = await github.start();
    octokit = new Octokit({ auth: FAKE_GITHUB_TOKEN, baseUrl });
    github.addRepo('o/r');
    github.addIssue('o/r', { number: 1, title: 'Bug', body: 'It breaks', user: ADA, labels: ['bug'] });
    github.setPermission('o/r', 'ada', 'maintain');
  });

  afterAll(() => github.stop());

  it('knows the token user, and refuses a bad token with 401 Bad credentials', async () => {
    expect((await octokit.rest.users.getAuthenticated()).data).toMatchObject({ login: 'patchbay-bot' });
    await expect(new Octokit({ auth: 'ghp_wrong', baseUrl }).rest.users.getAuthenticated()).rejects.toMatchObject({
      status: 401,
      message: expect.stringContaining('Bad credentials'),
    });
  });

  it('answers permissions per collaborator (legacy field and role name)', async () => {
    const { data } = await octokit.rest.repos.getCollaboratorPermissionLevel({ owner: 'o', repo: 'r', username: 'ada' });
    expect(data).toMatchObject({ permission: 'write', role_name: 'maintain' });
    expect((await octokit.rest.repos.getCollaboratorPermissionLevel({ owner: 'o', repo: 'r', username: 'mallory' })).data.permission).toBe('read');
  });

  it('records comments and their edits; 422 for a body over 65536 characters; 404 for unknown repos and issues', async () => {
    const { data } = await octokit.rest.issues.createComment({ owner: 'o', repo: 'r', issue_number: 1, body: 'working on it' });
    await octokit.rest.issues.updateComment({ owner: 'o', repo: 'r', comment_id: data.id, body: 'done' });
    expect(github.comments('o/r', 1)).toMatchObject([{ body: 'done', history: ['working on it'], user: { login: 'patchbay-bot' } }]);
    await expect(octokit.rest.issues.createComment({ owner: 'o', repo: 'r', issue_number: 1, body: 'x'.repeat(65_537) })).rejects.toMatchObject({
      status: 422,
      response: { data: { errors: [expect.objectContaining({ message: 'body is too long (maximum is 65536 characters)' })] } },
    });
    await expect(octokit.rest.issues.createComment({ owner: 'o', repo: 'nope', issue_number: 1, body: 'x' })).rejects.toMatchObject({ status: 404 });
    await expect(octokit.rest.issues.createComment({ owner: 'o', repo: 'r', issue_number: 9, body: 'x' })).rejects.toMatchObject({ status: 404 });
  });

  it('adds and removes labels; removing one the issue lacks is 404 Label does not exist', async () => {
    await octokit.rest.issues.addLabels({ owner: 'o', repo: 'r', issue_number: 1, labels: ['status:done'] });
    expect(github.labels('o/r', 1)).toEqual(['bug', 'status:done']);
    await expect(octokit.rest.issues.removeLabel({ owner: 'o', repo: 'r', issue_number: 1, name: 'nope' })).rejects.toMatchObject({
      status: 404,
      message: expect.stringContaining('Label does not exist'),
    });
    expect((await octokit.rest.issues.listLabelsOnIssue({ owner: 'o', repo: 'r', issue_number: 1 })).data.map((l) => l.name)).toEqual(['bug', 'status:done']);
  });

  it('lists what polling reads: label events, comments since, open pull requests', async () => {
    github.userLabels('o/r', 1, ADA, 'patchbay');
    github.userComments('o/r', 1, ADA, '@patchbay-bot look');
    github.addIssue('o/r', { number: 2, title: 'Change', body: '', user: ADA, pull: { head: 'feature', base: 'main', sha: 'abc' } });
    const events = (await octokit.rest.issues.listEventsForRepo({ owner: 'o', repo: 'r' })).data;
    expect(events[0]).toMatchObject({ event: 'labeled', label: { name: 'patchbay' }, actor: { login: 'ada' }, issue: { number: 1 } });
    const since = new Date(Date.now() - 60_000).toISOString();
    const comments = (await octokit.rest.issues.listCommentsForRepo({ owner: 'o', repo: 'r', since })).data;
    expect(comments.map((c) => c.body)).toContain('@patchbay-bot look');
    expect((await octokit.rest.pulls.list({ owner: 'o', repo: 'r', state: 'open' })).data).toMatchObject([{ number: 2, head: { ref: 'feature' } }]);
  });

  it('answers a burst of content-creating requests beyond the limit with 403 and retry-after', async () => {
    const results = await Promise.allSettled(Array.from({ length: 6 }, () => octokit.rest.issues.createComment({ owner: 'o', repo: 'r', issue_number: 1, body: 'again' })));
    const refused = results.filter((r) => r.status === 'rejected').map((r) => (r as PromiseRejectedResult).reason);
    expect(refused.length).toBeGreaterThan(0);
    expect(refused[0]).toMatchObject({
      status: 403,
      message: expect.stringContaining('secondary rate limit'),
      response: { headers: { 'retry-after': expect.stringMatching(/^\d+$/) } },
    });
    expect(github.peakContentRate()).toBeLessThanOrEqual(5);
  });

  it('answers unknown routes 404 and lists them as unexpected', async () => {
    await expect(octokit.request('GET /repos/{owner}/{repo}/hooks', { owner: 'o', repo: 'r' })).rejects.toMatchObject({ status: 404 });
    expect(github.unexpected()).toMatchObject([{ method: 'GET', path: '/repos/o/r/hooks', route: null }]);
  });
});

describe('FakeGitHubApi pull requests, on a repository backed by a bare git repository', () => {
  const github = new FakeGitHubApi();
  const root = mkdtempSync(join(tmpdir(), 'pb-fake-pulls-'));
  const bare = join(root, 'origin.git');
  const work = join(root, 'work');
  let octokit: Octokit;
  const git = (cwd: string, ...args: string[]) => execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.com', ...args], { cwd, stdio: 'ignore' });
  const open = (head: string, base = 'trunk') => octokit.rest.pulls.create({ owner: 'o', repo: 'r', title: 'Change', head, base, body: 'For #1' });
  const refusal = (errors: unknown[]) => ({ status: 422, message: expect.stringContaining('Validation Failed'), response: { data: { errors } } });

  beforeAll(async () => {
    execFileSync('git', ['init', '-q', '--bare', '-b', 'trunk', bare]);
    execFileSync('git', ['init', '-q', '-b', 'trunk', work]);
    git(work, 'commit', '-q', '--allow-empty', '-m', 'first');
    git(work, 'push', '-q', bare, 'trunk');
    octokit = new Octokit({ auth: FAKE_GITHUB_TOKEN, baseUrl: await github.start() });
    github.addRepo('o/r', 1, { gitDir: bare });
  });

  afterAll(async () => {
    await github.stop();
    rmSync(root, { recursive: true, force: true });
  });

  it("names the bare repository's HEAD as the default branch", async () => {
    expect((await octokit.rest.repos.get({ owner: 'o', repo: 'r' })).data).toMatchObject({ full_name: 'o/r', default_branch: 'trunk' });
  });

  it('opens a pull request only from a branch that was pushed and has commits, once per head and base', async () => {
    await expect(open('feature')).rejects.toMatchObject(refusal([{ resource: 'PullRequest', field: 'head', code: 'invalid' }]));
    git(work, 'push', '-q', bare, 'trunk:refs/heads/feature');
    await expect(open('feature')).rejects.toMatchObject(refusal([{ resource: 'PullRequest', code: 'custom', message: 'No commits between trunk and feature' }]));
    git(work, 'commit', '-q', '--allow-empty', '-m', 'work');
    git(work, 'push', '-q', bare, 'HEAD:refs/heads/feature');
    await expect(open('feature', 'nope')).rejects.toMatchObject(refusal([{ resource: 'PullRequest', field: 'base', code: 'invalid' }]));
    const { data } = await open('o:feature');
    expect(data).toMatchObject({ number: 1, html_url: 'https://github.com/o/r/pull/1', head: { ref: 'feature' }, base: { ref: 'trunk' } });
    expect(github.pulls).toEqual([{ repo: 'o/r', number: 1, title: 'Change', head: 'feature', base: 'trunk', body: 'For #1' }]);
    await expect(open('feature')).rejects.toMatchObject(refusal([{ resource: 'PullRequest', code: 'custom', message: 'A pull request already exists for o:feature.' }]));
    await expect(octokit.rest.pulls.create({ owner: 'o', repo: 'r', head: 'feature', base: 'trunk' } as never)).rejects.toMatchObject(
      refusal([{ resource: 'PullRequest', field: 'title', code: 'missing_field' }]),
    );
    expect(github.unexpected()).toEqual([]);
  });
});

describe('FakeGitHubApi as a GitHub App (auth-app with a key pair made here)', () => {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
    publicKeyEncoding: { type: 'spki', format: 'pem' },
  });
  const github = new FakeGitHubApi({ app: { id: 77, slug: 'patchbay-app', publicKey } });
  let baseUrl: string;

  beforeAll(async () => {
    baseUrl = await github.start();
    github.addRepo('o/r', 5);
    github.addRepo('other/r', 6);
    github.addIssue('o/r', { number: 1, title: 'Bug', body: '', user: ADA });
  });

  afterAll(() => github.stop());

  it('verifies the app JWT, then issues an installation token that works for that installation only', async () => {
    const app = new Octokit({ authStrategy: createAppAuth, auth: { appId: 77, privateKey }, baseUrl });
    expect((await app.rest.apps.getAuthenticated()).data).toMatchObject({ slug: 'patchbay-app' });
    const { data } = await app.rest.apps.getRepoInstallation({ owner: 'o', repo: 'r' });
    expect(data.id).toBe(5);
    const installation = new Octokit({ authStrategy: createAppAuth, auth: { appId: 77, privateKey, installationId: 5 }, baseUrl });
    await installation.rest.issues.createComment({ owner: 'o', repo: 'r', issue_number: 1, body: 'hello' });
    expect(github.comments('o/r', 1)).toMatchObject([{ user: { login: 'patchbay-app[bot]', type: 'Bot' } }]);
    await expect(installation.rest.issues.listLabelsOnIssue({ owner: 'other', repo: 'r', issue_number: 1 })).rejects.toMatchObject({ status: 404 });
  });

  it('refuses a JWT signed with another key, or naming another app', async () => {
    const other = generateKeyPairSync('rsa', { modulusLength: 2048, privateKeyEncoding: { type: 'pkcs8', format: 'pem' }, publicKeyEncoding: { type: 'spki', format: 'pem' } });
    await expect(new Octokit({ authStrategy: createAppAuth, auth: { appId: 77, privateKey: other.privateKey }, baseUrl }).rest.apps.getAuthenticated()).rejects.toMatchObject({
      status: 401,
    });
    await expect(new Octokit({ authStrategy: createAppAuth, auth: { appId: 78, privateKey }, baseUrl }).rest.apps.getAuthenticated()).rejects.toMatchObject({ status: 401 });
  });
});
