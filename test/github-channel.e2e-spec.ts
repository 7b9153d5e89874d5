import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { deliveryHeaders, exampleDelivery } from './fakes/github/github-deliveries';
import { FAKE_GITHUB_TOKEN, FakeGitHubApi, FakeUser } from './fakes/github/fake-github-api';
import { PatchbayInstance, waitUntil } from './support/patchbay-instance';
import { describeWith } from './support/services';

jest.setTimeout(180_000);

const SECRET = 'e2e-webhook-secret';
const REPO = 'Codertocat/Hello-World';
const CODERTOCAT: FakeUser = { login: 'Codertocat', id: 21031067, type: 'User' };
const MALLORY: FakeUser = { login: 'mallory', id: 666, type: 'User' };
const AGENT = join(__dirname, 'fixtures', 'long-answer-agent.js');
const agentConfig = { defaultAgent: 'long', agents: { long: { command: process.execPath, args: [AGENT], env: { LONG_ANSWER_SECTIONS: '3' } } } };

/** A comment on an issue, as GitHub delivers it. */
const mention = (body: string, id: number, user = CODERTOCAT, issue = 1) => {
  const payload = exampleDelivery('issue_comment', 'created');
  payload.issue.number = issue;
  payload.comment = { ...payload.comment, id, body, user: { ...payload.comment.user, login: user.login, id: user.id } };
  payload.sender = payload.comment.user;
  return payload;
};

/**
 * GitHub as a channel, end to end: real webhook deliveries (@octokit/webhooks-examples),
 * signed and POSTed to /webhooks/github; the real Octokit inside Patchbay against a strict
 * fake GitHub REST API that records comments and labels.
 */
describeWith(['tmux'], 'GitHub channel (webhooks and polling, Octokit against a fake REST API)', () => {
  describe('webhook mode', () => {
    const github = new FakeGitHubApi();
    let patchbay: PatchbayInstance;
    let openedDelivery = '';

    beforeAll(async () => {
      const apiUrl = await github.start();
      github.addRepo(REPO);
      github.setPermission(REPO, 'Codertocat', 'write');
      github.addIssue(REPO, { number: 1, id: 444500041, title: 'Spelling error in the README file', body: 'typo', user: CODERTOCAT, labels: ['bug'] });
      github.addIssue(REPO, { number: 2, title: 'Update the README with new information.', body: '', user: CODERTOCAT, pull: { head: 'changes', base: 'master', sha: 'ec26c3e' } });
      github.addIssue(REPO, { number: 5, title: 'Please run my script', body: '', user: MALLORY });
      patchbay = PatchbayInstance.prepare('github');
      await patchbay.start({ ...agentConfig, access: { owners: ['local:*'] }, github: { token: FAKE_GITHUB_TOKEN, apiUrl, webhookSecret: SECRET, label: 'bug' } });
    });

    afterAll(async () => {
      await patchbay?.stop();
      await github.stop();
    });

    const post = async (event: string, payload: unknown, headers: Partial<Record<string, string | undefined>> = {}) => {
      const body = JSON.stringify(payload);
      const sent = { ...deliveryHeaders(event, body, SECRET), ...headers };
      const response = await fetch(`${patchbay.url}/webhooks/github`, {
        method: 'POST',
        headers: Object.fromEntries(Object.entries(sent).filter((e): e is [string, string] => e[1] !== undefined)),
        body,
      });
      return { status: response.status, body: (await response.json()) as Record<string, unknown>, delivery: sent['x-github-delivery']! };
    };
    const tasks = async () => (await patchbay.get<{ tasks: Array<{ id: string; status: string; sessionId: string; prompt: string }> }>('/api/tasks')).tasks;
    const botComments = (issue: number) => github.comments(REPO, issue).filter((c) => c.user.login === 'patchbay-bot');

    it('runs a task for an issue opened with the label: one progress comment edited in place, a summary, status labels', async () => {
      const answer = await post('issues', exampleDelivery('issues', 'opened'));
      openedDelivery = answer.delivery;
      expect(answer).toMatchObject({ status: 202, body: { outcome: 'submitted', trusted: true } });
      expect(await tasks()).toEqual([expect.objectContaining({ prompt: expect.stringMatching(/^GitHub issue Codertocat\/Hello-World#1: Spelling error/) })]);

      await waitUntil(() => github.labels(REPO, 1).includes('status:done'), 'status:done', 60_000);
      await waitUntil(() => botComments(1).some((c) => c.body.startsWith('**Done**')), 'the summary');
      const [progress, summary] = botComments(1);
      expect(progress.body).toContain('All steps done.');
      expect(progress.body.match(/All steps done\./g)).toHaveLength(1);
      expect(progress.history.length).toBeGreaterThan(0);
      expect(summary.body).toMatch(/^\*\*Done\*\* in [\d.]+ s \(task `[a-z0-9]+`\)\./);
      expect(botComments(1)).toHaveLength(2);
      expect(github.labels(REPO, 1)).toEqual(['bug', 'status:done']);
      expect(github.calls.some((c) => c.path.endsWith('/labels') && (c.body as { labels?: string[] })?.labels?.includes('status:in_progress'))).toBe(true);
    });

    it('answers a replayed delivery 200 duplicate, and the same action by another delivery too, starting nothing', async () => {
      // GitHub's redelivery: the same X-GitHub-Delivery, the same body.
      expect(await post('issues', exampleDelivery('issues', 'opened'), { 'x-github-delivery': openedDelivery })).toMatchObject({ status: 200, body: { outcome: 'duplicate' } });
      expect(await post('issues', exampleDelivery('issues', 'labeled'))).toMatchObject({ status: 200, body: { outcome: 'duplicate' } });
      expect(await tasks()).toHaveLength(1);
    });

    it('refuses a bad or missing signature with 401, and enqueues nothing', async () => {
      const payload = mention('@patchbay-bot delete everything', 9001);
      expect((await post('issue_comment', payload, { 'x-hub-signature-256': `sha256=${'0'.repeat(64)}` })).status).toBe(401);
      expect((await post('issue_comment', payload, { 'x-hub-signature-256': undefined })).status).toBe(401);
      await new Promise((r) => setTimeout(r, 300));
      expect(await tasks()).toHaveLength(1);
    });

    it('runs nothing for someone without write permission, posts nothing, and audits it', async () => {
      expect(await post('issue_comment', mention('@patchbay-bot run ./evil.sh', 9002, MALLORY, 5))).toMatchObject({ status: 202, body: { trusted: false } });
      await new Promise((r) => setTimeout(r, 300));
      expect(await tasks()).toHaveLength(1);
      expect(github.comments(REPO, 5)).toEqual([]);
      const { entries } = await patchbay.get<{ entries: Array<{ actor: string; decision: string; detail: string }> }>('/api/audit');
      expect(entries).toContainEqual(expect.objectContaining({ actor: 'github:666', decision: 'deny' }));
    });

    it("ignores the bot's own comment", async () => {
      const own = mention('@patchbay-bot again', 9003, { login: 'patchbay-bot', id: 4242, type: 'User' });
      expect(await post('issue_comment', own)).toMatchObject({ status: 200, body: { outcome: 'ignored' } });
      expect(await tasks()).toHaveLength(1);
    });

    it("takes a mention as the issue session's next task, and answers /status there", async () => {
      expect((await post('issue_comment', mention('@patchbay-bot now fix it', 9004))).status).toBe(202);
      await waitUntil(async () => (await tasks()).filter((t) => t.status === 'done').length === 2, 'the second task', 60_000);
      const [second, first] = await tasks();
      expect(second).toMatchObject({ sessionId: first.sessionId, prompt: 'now fix it' });
      await waitUntil(() => botComments(1).filter((c) => c.body.startsWith('**Done**')).length === 2, 'the second summary');

      expect(await post('issue_comment', mention('/status', 9005))).toMatchObject({ status: 202 });
      await waitUntil(() => botComments(1).some((c) => c.body.startsWith(`Session ${first.sessionId}: idle`)), 'the /status answer');
    });

    it('reviews a pull request when it is opened', async () => {
      expect((await post('pull_request', exampleDelivery('pull_request', 'opened'))).status).toBe(202);
      await waitUntil(() => github.labels(REPO, 2).includes('status:done'), 'the review run', 60_000);
      expect((await tasks())[0].prompt).toMatch(/^Review pull request Codertocat\/Hello-World#2: /);
      expect(botComments(2)[0].body).toContain('All steps done.');
      expect(github.unexpected()).toEqual([]);
      expect(github.peakContentRate()).toBeLessThanOrEqual(80);
    });

    it('takes a delivery far over 100 KB, and tells the agent where the text it could not take is', async () => {
      const long = `@patchbay-bot here is the whole log:\n${'log line with some detail in it\n'.repeat(5_000)}`;
      const answer = await post('issue_comment', mention(long, 9006));
      expect(answer.status).toBe(202);
      const [task] = await tasks();
      expect(task.prompt).toMatch(/^here is the whole log:\n/);
      expect(task.prompt).toMatch(/\[… \d+ more characters not shown here: read the full text on GitHub\]$/);
    });
  });

  describe('pull requests from pushed task branches', () => {
    const github = new FakeGitHubApi();
    let patchbay: PatchbayInstance;
    let origin = '';

    beforeAll(async () => {
      patchbay = PatchbayInstance.prepare('github-pulls');
      // The agent's repository, whose origin is the bare repository behind the fake's Codertocat/Hello-World.
      origin = join(patchbay.dir, 'origin.git');
      const repo = join(patchbay.dir, 'repo');
      const git = (...args: string[]) => execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.com', ...args], { stdio: 'ignore' });
      git('init', '-q', '--bare', '-b', 'main', origin);
      git('init', '-q', '-b', 'main', repo);
      git('-C', repo, 'commit', '-q', '--allow-empty', '-m', 'first');
      git('-C', repo, 'remote', 'add', 'origin', origin);
      git('-C', repo, 'push', '-q', 'origin', 'main');
      const apiUrl = await github.start();
      github.addRepo(REPO, 1, { gitDir: origin });
      github.setPermission(REPO, 'Codertocat', 'write');
      github.addIssue(REPO, { number: 1, id: 444500041, title: 'Spelling error in the README file', body: 'typo', user: CODERTOCAT, labels: ['bug'] });
      await patchbay.start({
        defaultAgent: 'coder',
        agents: { coder: { command: process.execPath, args: [join(__dirname, 'fixtures', 'committing-agent.js')], worktree: { repo, push: true } } },
        github: { token: FAKE_GITHUB_TOKEN, apiUrl, webhookSecret: SECRET, label: 'bug', pullRequests: true },
      });
    });

    afterAll(async () => {
      await patchbay?.stop();
      await github.stop();
    });

    const post = (event: string, payload: unknown) => {
      const body = JSON.stringify(payload);
      return fetch(`${patchbay.url}/webhooks/github`, { method: 'POST', headers: deliveryHeaders(event, body, SECRET), body });
    };
    const tasks = async () => (await patchbay.get<{ tasks: Array<{ id: string; status: string }> }>('/api/tasks')).tasks;
    const botComments = () => github.comments(REPO, 1).filter((c) => c.user.login === 'patchbay-bot');
    const originHas = (branch: string) => {
      try {
        execFileSync('git', ['--git-dir', origin, 'rev-parse', '--verify', '--quiet', `refs/heads/${branch}`], { stdio: 'ignore' });
        return true;
      } catch {
        return false;
      }
    };

    it("opens a pull request from the branch the issue's agent committed on and the runner pushed, and links it", async () => {
      expect((await post('issues', exampleDelivery('issues', 'opened'))).status).toBe(202);
      await waitUntil(() => github.pulls.length === 1, 'the pull request', 60_000);
      const [task] = await tasks();
      const branch = `patchbay/${task.id}`;
      expect(originHas(branch)).toBe(true);
      expect(github.pulls).toEqual([
        { repo: REPO, number: 2, title: 'Patchbay: Spelling error in the README file', head: branch, base: 'main', body: expect.stringMatching(/^For #1\.\n/) },
      ]);
      await waitUntil(() => botComments().some((c) => c.body.startsWith('**Pull request** #2')), 'the link on the issue');
      const [progress, summary, link] = botComments();
      expect(progress.body).toContain(`Committed fix-${task.id}.txt.\n⇡ pushed branch ${branch} (1 commit) to origin`);
      expect(summary.body).toMatch(/^\*\*Done\*\*/);
      expect(link.body).toContain(`opened from \`${branch}\` into \`main\`: https://github.com/${REPO}/pull/2`);
      expect(github.labels(REPO, 1)).toEqual(['bug', 'status:done']);
    });

    it('opens none for a run that committed nothing', async () => {
      expect((await post('issue_comment', mention('@patchbay-bot have another look [no-commit]', 9101))).status).toBe(202);
      await waitUntil(async () => (await tasks()).filter((t) => t.status === 'done').length === 2, 'the second task', 60_000);
      await waitUntil(() => botComments().filter((c) => c.body.startsWith('**Done**')).length === 2, 'the second summary');
      const [second] = await tasks();
      expect(originHas(`patchbay/${second.id}`)).toBe(false);
      expect(github.pulls).toHaveLength(1);
      expect(botComments().filter((c) => c.body.startsWith('Could not open'))).toEqual([]);
      expect(github.unexpected()).toEqual([]);
    });
  });

  describe('polling mode', () => {
    const github = new FakeGitHubApi();
    let patchbay: PatchbayInstance;

    afterAll(async () => {
      await patchbay?.stop();
      await github.stop();
    });

    it('finds a labelled issue without any webhook, runs it once, and shows it on the issue', async () => {
      const apiUrl = await github.start();
      github.addRepo(REPO);
      github.setPermission(REPO, 'Codertocat', 'admin');
      github.addIssue(REPO, { number: 3, title: 'Polled issue', body: 'please', user: CODERTOCAT });
      github.userLabels(REPO, 3, CODERTOCAT, 'patchbay');
      patchbay = PatchbayInstance.prepare('github-polling');
      await patchbay.start({ ...agentConfig, github: { token: FAKE_GITHUB_TOKEN, apiUrl, mode: 'polling', pollIntervalSeconds: 10, repos: [REPO] } });
      await waitUntil(() => github.labels(REPO, 3).includes('status:done'), 'the polled run', 60_000);
      expect(github.comments(REPO, 3).some((c) => c.body.includes('All steps done.'))).toBe(true);
      // The next poll sees the same label event again: nothing new runs.
      const polls = () => github.calls.filter((c) => c.path.endsWith('/issues/events')).length;
      const seen = polls();
      await waitUntil(() => polls() > seen, 'the next poll', 20_000);
      expect((await patchbay.get<{ tasks: unknown[] }>('/api/tasks')).tasks).toHaveLength(1);
      expect(github.unexpected()).toEqual([]);
    });
  });
});
