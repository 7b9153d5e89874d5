import { channelConformance } from '@patchbay/plugin-sdk/testing';
import { FAKE_GITHUB_TOKEN, FakeGitHubApi } from '../../../test/fakes/github/fake-github-api';
import { COMMENT_MARKER } from './github.constants';
import { GitHubPlugin } from './github.plugin';

/** The shared channel suite, with the real Octokit against the fake GitHub REST API. */
channelConformance('GitHub (Octokit, fake REST API)', async ({ clock }) => {
  const fake = new FakeGitHubApi();
  const apiUrl = await fake.start();
  fake.addRepo('o/r');
  fake.addIssue('o/r', { number: 7, title: 'conformance', body: '', user: { login: 'ada', id: 1, type: 'User' } });
  const plugin = new GitHubPlugin(
    { token: FAKE_GITHUB_TOKEN, apiUrl, mode: 'webhook', webhookSecret: 's', pollIntervalSeconds: 60, repos: [], label: 'patchbay', trustedLogins: [], pullRequests: false },
    clock,
  );
  return {
    plugin,
    chatId: 'o/r#7',
    messages: async () => fake.comments('o/r', 7).map((c) => ({ id: String(c.id), text: c.body.slice(0, -COMMENT_MARKER.length - 1) })),
    rateLimitNext: (ms) => fake.rateLimitNext(Math.ceil(ms / 1000)),
    teardown: () => fake.stop(),
  };
});
