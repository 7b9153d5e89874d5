import { Logger } from '@nestjs/common';
import { COMMENT_MARKER, POLL_LOOKBACK_MS } from './github.constants';
import { commentText } from './github-events';
import { GitHubClient, RestItem } from './github-client';

/** Where polling hands what it found: the same path webhook deliveries take. */
export type EventSink = (event: string, payload: Record<string, unknown>) => Promise<unknown>;

/**
 * For hosts GitHub cannot reach: every interval, asks each configured repository what
 * happened since the last poll (labels added, comments, new pull requests), makes each into
 * the webhook payload GitHub would have sent, and hands it to the same sink. Each poll
 * looks back a minute more than it must (clocks differ); the sink's dedup drops repeats.
 */
export class GitHubPoller {
  private readonly logger = new Logger(GitHubPoller.name);
  private timer?: NodeJS.Timeout;
  private polling: Promise<void> = Promise.resolve();
  private stopped = false;

  constructor(
    private readonly client: GitHubClient,
    private readonly repos: readonly string[],
    private readonly intervalMs: number,
    private readonly handles: readonly string[],
    private readonly sink: EventSink,
    private since = new Date(Date.now() - POLL_LOOKBACK_MS),
  ) {}

  start(): void {
    this.polling = this.pollAll();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.polling;
  }

  private async pollAll(): Promise<void> {
    const started = new Date();
    for (const repo of this.repos) {
      try {
        await this.poll(repo);
      } catch (error) {
        this.logger.warn(`polling ${repo}: ${(error as Error).message}`);
      }
    }
    this.since = new Date(started.getTime() - 60_000);
    if (!this.stopped) this.timer = setTimeout(() => (this.polling = this.pollAll()), this.intervalMs);
  }

  private async poll(repo: string): Promise<void> {
    const repository = { full_name: repo };
    const labelled = (await this.client.issueEventsSince(repo, this.since)).filter((e) => e.event === 'labeled' && e.issue && e.label).reverse();
    for (const e of labelled) {
      await this.hand('issues', { action: 'labeled', issue: e.issue, label: e.label, repository, sender: e.actor });
    }
    for (const comment of await this.client.commentsSince(repo, this.since)) {
      const body = String(comment.body ?? '');
      // Only comments that ask something are worth reading their issue for.
      if (new Date(String(comment.created_at)) < this.since || body.includes(COMMENT_MARKER) || !commentText(body, this.handles)) continue;
      const issue = await this.client.issue(repo, Number(/\/issues\/(\d+)$/.exec(String(comment.issue_url))?.[1]));
      await this.hand('issue_comment', { action: 'created', issue, comment, repository, sender: comment.user });
    }
    const pulls = (await this.client.openPulls(repo)).filter((pr: RestItem) => new Date(String(pr.created_at)) >= this.since).reverse();
    for (const pr of pulls) await this.hand('pull_request', { action: 'opened', pull_request: pr, repository, sender: pr.user });
  }

  private async hand(event: string, payload: Record<string, unknown>): Promise<void> {
    try {
      await this.sink(event, payload);
    } catch (error) {
      this.logger.warn(`polled ${event}: ${(error as Error).message}`);
    }
  }
}
