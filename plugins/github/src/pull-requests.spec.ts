import { OutputEventV1 } from '@patchbay/contracts';
import { COMMENT_MARKER } from './github.constants';
import type { NewPull } from './github-client';
import { PullRequestOpener, pullRequestFor, refusalOf } from './pull-requests';
import { RunStatusReporter } from './run-status';

const base = { sessionId: 'sess0001', taskId: 'task0001', at: '2026-01-01T00:00:00Z' };
let seq = 0;
const ev = (runId: string, e: Record<string, unknown>) => ({ ...base, runId, seq: ++seq, ...e }) as OutputEventV1;
const pushed = (runId: string) => ev(runId, { type: 'status', state: 'pushed', branch: `patchbay/${runId}`, text: 'pushed' });
const final = (runId: string) => ev(runId, { type: 'final', text: 'ok', durationMs: 1, exitCode: 0 });

function validationFailed(errors: unknown[]): Error {
  return Object.assign(new Error('Validation Failed'), { status: 422, response: { data: { message: 'Validation Failed', errors } } });
}

/** A GitHub that records what the opener asks, for an issue (or a pull request) titled "Fix the typo". */
function fakeGitHub(isPull = false) {
  const calls: string[] = [];
  const pulls: NewPull[] = [];
  let refuse: Error | null = null;
  return {
    calls,
    pulls,
    refuseWith: (error: Error) => (refuse = error),
    api: {
      issue: async () => (calls.push('issue'), { number: 7, title: 'Fix the typo', isPull }),
      defaultBranch: async () => (calls.push('default branch'), 'main'),
      createPull: async (_chat: string, pull: NewPull) => {
        calls.push(`pull ${pull.head}`);
        if (refuse) throw refuse;
        pulls.push(pull);
        return { number: 8, url: 'https://github.com/o/r/pull/8' };
      },
      comment: async (_chat: string, body: string) => void calls.push(`comment ${body}`),
    },
  };
}

describe('the pull request of a task branch', () => {
  it('names the issue without closing it', () => {
    expect(pullRequestFor({ number: 7, title: 'Fix the typo' }, 'patchbay/task0001', 'task0001', 'main')).toEqual({
      title: 'Patchbay: Fix the typo',
      body: `For #7.\n\nThe work of Patchbay task \`task0001\` on branch \`patchbay/task0001\`, for review; merging it does not close the issue.\n\n${COMMENT_MARKER}`,
      head: 'patchbay/task0001',
      base: 'main',
    });
    expect(pullRequestFor({ number: 1, title: 'x'.repeat(300) }, 'b', 't', 'main').title).toHaveLength(256);
  });

  it("tells why GitHub refused it, from the 422's errors", () => {
    expect(refusalOf(validationFailed([{ resource: 'PullRequest', code: 'custom', message: 'A pull request already exists for o:patchbay/x.' }]))).toBe(
      'A pull request already exists for o:patchbay/x.',
    );
    expect(refusalOf(validationFailed([{ resource: 'PullRequest', field: 'head', code: 'invalid' }]))).toBe(
      'GitHub has no such branch in this repository (is it the worktree repository’s origin?)',
    );
    expect(refusalOf(validationFailed([{ resource: 'PullRequest', field: 'base', code: 'invalid' }]))).toBe('base is invalid');
    expect(refusalOf(Object.assign(new Error('Resource not accessible by integration'), { status: 403 }))).toBe('Resource not accessible by integration');
  });
});

describe('PullRequestOpener', () => {
  it('opens a pull request into the default branch when a run that pushed its branch ends done, and links it', async () => {
    const github = fakeGitHub();
    const opener = new PullRequestOpener(github.api);
    opener.follow(pushed('run00001'));
    const end = final('run00001');
    opener.follow(end);
    await opener.ended('o/r#7', end);
    expect(github.calls).toEqual([
      'issue',
      'default branch',
      'pull patchbay/run00001',
      'comment **Pull request** #8 opened from `patchbay/run00001` into `main`: https://github.com/o/r/pull/8',
    ]);
    expect(github.pulls).toEqual([expect.objectContaining({ title: 'Patchbay: Fix the typo', head: 'patchbay/run00001', base: 'main' })]);
  });

  it('opens nothing for a run that pushed nothing, a run that failed after all, or a pull request chat', async () => {
    const github = fakeGitHub();
    const opener = new PullRequestOpener(github.api);
    await opener.ended('o/r#7', final('run00002'));
    opener.follow(pushed('run00003'));
    await opener.ended('o/r#7', ev('run00003', { type: 'error', code: 'agent_failed', text: 'x', exitCode: 1 }));
    await opener.ended('o/r#7', final('run00003'));
    expect(github.calls).toEqual([]);

    const review = fakeGitHub(true);
    const onPull = new PullRequestOpener(review.api);
    onPull.follow(pushed('run00004'));
    await onPull.ended('o/r#2', final('run00004'));
    expect(review.calls).toEqual(['issue']);
  });

  it('tells a refusal on the issue instead of failing', async () => {
    const github = fakeGitHub();
    github.refuseWith(validationFailed([{ resource: 'PullRequest', code: 'custom', message: 'A pull request already exists for o:patchbay/run00005.' }]));
    const opener = new PullRequestOpener(github.api);
    opener.follow(pushed('run00005'));
    await expect(opener.ended('o/r#7', final('run00005'))).resolves.toBeUndefined();
    expect(github.calls.at(-1)).toBe('comment Could not open a pull request from `patchbay/run00005`: A pull request already exists for o:patchbay/run00005.');
  });

  it("comes after the run's summary on the issue, once, however often the final is delivered", async () => {
    const github = fakeGitHub();
    const reporter = new RunStatusReporter(
      { labels: async () => [], addLabel: async () => {}, removeLabel: async () => {}, comment: github.api.comment },
      new PullRequestOpener(github.api),
    );
    reporter.update('o/r#7', pushed('run00006'));
    const end = final('run00006');
    reporter.update('o/r#7', end);
    reporter.update('o/r#7', end);
    await reporter.idle();
    expect(github.calls.filter((c) => c.startsWith('comment')).map((c) => c.slice(0, 24))).toEqual(['comment **Done** in 0.0 ', 'comment **Pull request**']);
  });
});
