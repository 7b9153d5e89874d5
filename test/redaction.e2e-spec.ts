import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from 'pg';
import type { OutputEventV1 } from '@patchbay/contracts';
import { deliveryHeaders, exampleDelivery } from './fakes/github/github-deliveries';
import { FAKE_GITHUB_TOKEN, FakeGitHubApi } from './fakes/github/fake-github-api';
import { FAKE_BOT_TOKEN, FakeTelegramApi } from './fakes/telegram/fake-telegram-api';
import { createTestDatabase } from './support/databases';
import { PatchbayInstance, waitUntil } from './support/patchbay-instance';
import { describeWith } from './support/services';

jest.setTimeout(120_000);

const OWNER = { id: 111, first_name: 'Ada' };
const REPO = 'Codertocat/Hello-World';
const WEBHOOK_SECRET = 'redaction-e2e-webhook-secret';
/** A token of GitHub's shape that is in no config: caught by its shape. */
const PRINTED_TOKEN = 'ghp_PrintedByTheAgent0123456789abcdefABCD';
/** One a user sends: the engine redacts it before it is stored or given to the agent. */
const SENT_TOKEN = 'ghp_SentByTheUserInAChat0123456789abcdefAB';
const SECRETS = [PRINTED_TOKEN, SENT_TOKEN, FAKE_BOT_TOKEN, FAKE_GITHUB_TOKEN, WEBHOOK_SECRET];

/**
 * An agent that prints what must never leave: a GitHub token, the configured bot token (it
 * knows them from its arguments, as none is in its environment), then its prompt.
 */
const leakyAgent = {
  command: 'bash',
  args: ['-c', `echo "found ${PRINTED_TOKEN} and the bot token ${FAKE_BOT_TOKEN}"; echo "asked: $1"`, 'leaky', '{prompt}'],
};

/**
 * Secrets an agent prints are redacted on every way out: SSE, Telegram (grammy against the
 * strict fake), GitHub comments (Octokit against the fake), the database and the run's journal.
 */
describeWith(['tmux', 'postgres'], 'Redaction of agent output (all-in-one, real channels against fakes)', () => {
  const telegram = new FakeTelegramApi();
  const github = new FakeGitHubApi();
  let patchbay: PatchbayInstance;
  let db: Awaited<ReturnType<typeof createTestDatabase>>;

  beforeAll(async () => {
    db = await createTestDatabase();
    const apiRoot = await telegram.start();
    const apiUrl = await github.start();
    github.addRepo(REPO);
    github.setPermission(REPO, 'Codertocat', 'write');
    github.addIssue(REPO, {
      number: 1,
      id: 444500041,
      title: 'Spelling error in the README file',
      body: 'typo',
      user: { login: 'Codertocat', id: 21031067, type: 'User' },
      labels: ['bug'],
    });
    patchbay = PatchbayInstance.prepare('redaction');
    await patchbay.start(
      {
        defaultAgent: 'leaky',
        agents: { leaky: leakyAgent },
        access: { owners: ['telegram:111', 'local:*'] },
        telegram: { token: FAKE_BOT_TOKEN, apiRoot },
        github: { token: FAKE_GITHUB_TOKEN, apiUrl, webhookSecret: WEBHOOK_SECRET, label: 'bug' },
      },
      { ...process.env, DATABASE_URL: db.url },
    );
  });

  afterAll(async () => {
    await patchbay?.stop();
    await telegram.stop();
    await github.stop();
    await db?.drop();
  });

  const expectNoSecret = (what: string, text: string) => {
    for (const secret of SECRETS) if (text.includes(secret)) throw new Error(`${what} holds ${secret}:\n${text.slice(0, 2_000)}`);
  };
  const REDACTED = `found [redacted:github-token] and the bot token [redacted:telegram.token]`;

  it('redacts what reaches Telegram and SSE, and the user’s own token before the agent sees it', async () => {
    telegram.userSends({ chatId: OWNER.id, from: OWNER, text: `deploy with ${SENT_TOKEN}` });
    const texts = () =>
      telegram
        .botMessages(OWNER.id)
        .map((m) => m.text)
        .join('\n');
    await waitUntil(() => texts().includes('asked:'), 'the answer in Telegram', 60_000);
    const sent = JSON.stringify(telegram.calls.filter((c) => /^(sendMessage|editMessageText)$/i.test(c.method)).map((c) => c.params));
    expectNoSecret('what Telegram received', sent);
    expect(texts()).toContain(REDACTED);
    expect(texts()).toContain('asked: deploy with [redacted:github-token]');

    const [task] = (await patchbay.get<{ tasks: Array<{ id: string; sessionId: string; prompt: string }> }>('/api/tasks')).tasks;
    expect(task.prompt).toBe('deploy with [redacted:github-token]');
    const events = await patchbay.taskEvents(task.sessionId, task.id);
    expectNoSecret('the SSE stream', JSON.stringify(events));
    expect(
      events
        .filter((e) => e.type === 'text')
        .map((e) => (e as { text: string }).text)
        .join(''),
    ).toContain(REDACTED);
  });

  it('redacts the progress and summary comments on GitHub', async () => {
    const body = JSON.stringify(exampleDelivery('issues', 'opened'));
    const response = await fetch(`${patchbay.url}/webhooks/github`, { method: 'POST', headers: deliveryHeaders('issues', body, WEBHOOK_SECRET), body });
    expect(response.status).toBe(202);
    await waitUntil(() => github.labels(REPO, 1).includes('status:done'), 'status:done', 60_000);
    const comments = github.comments(REPO, 1);
    expect(comments.some((c) => c.body.includes(REDACTED))).toBe(true);
    expectNoSecret('what GitHub received', JSON.stringify(github.calls.map((c) => c.body)));
  });

  it('stores no secret: transcript, tasks, inbound messages, and the runs’ journals', async () => {
    const client = new Client({ connectionString: db.url });
    await client.connect();
    try {
      const rows = async (sql: string) => (await client.query<{ t: string }>(sql)).rows.map((r) => r.t).join('\n');
      const transcript = await rows('select event::text as t from transcript_entry order by session_id, seq');
      expect(transcript).toContain('[redacted:telegram.token]');
      expectNoSecret('the transcript', transcript);
      expectNoSecret('the tasks', await rows('select prompt as t from task'));
      expectNoSecret('the inbound messages', await rows("select coalesce(text, '') as t from inbound_message"));
      const runIds = new Set((await client.query<{ event: OutputEventV1 }>('select event from transcript_entry')).rows.map((r) => r.event.runId));
      expect(runIds.size).toBe(2);
      for (const runId of runIds) expectNoSecret(`run ${runId}'s events.jsonl`, readFileSync(join(patchbay.runDir(runId), 'events.jsonl'), 'utf8'));
    } finally {
      await client.end();
    }
  });
});
