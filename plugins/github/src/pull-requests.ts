import { Logger } from '@nestjs/common';
import type { OutputEventV1 } from '@patchbay/contracts';
import { COMMENT_MARKER } from './github.constants';
import type { NewPull, OpenedPull } from './github-client';
import type { RunFollower } from './run-status';

/** GitHub refuses longer pull request titles. */
const MAX_TITLE = 256;

/** What the opener asks of GitHub, for the issue a chat (`owner/repo#n`) is. */
export interface PullRequestApi {
  /** The issue's number and title, and whether it is a pull request itself. */
  issue(chatId: string): Promise<{ number: number; title: string; isPull: boolean }>;
  defaultBranch(chatId: string): Promise<string>;
  createPull(chatId: string, pull: NewPull): Promise<OpenedPull>;
  comment(chatId: string, body: string): Promise<void>;
}

/** The pull request for an issue's task branch: it refers to the issue and leaves closing it to a person. */
export function pullRequestFor(issue: { number: number; title: string }, branch: string, taskId: string, base: string): NewPull {
  return {
    title: `Patchbay: ${issue.title}`.slice(0, MAX_TITLE),
    body: `For #${issue.number}.\n\nThe work of Patchbay task \`${taskId}\` on branch \`${branch}\`, for review; merging it does not close the issue.\n\n${COMMENT_MARKER}`,
    head: branch,
    base,
  };
}

/** Why GitHub refused a pull request, from its 422 `errors` entries when it gave them. */
export function refusalOf(error: unknown): string {
  type Entry = { field?: string; code?: string; message?: string };
  const entries: Entry[] = (error as { response?: { data?: { errors?: Entry[] } } } | null)?.response?.data?.errors ?? [];
  const reasons = entries.map(
    (e) =>
      e.message ??
      (e.field === 'head' && e.code === 'invalid' ? 'GitHub has no such branch in this repository (is it the worktree repository’s origin?)' : `${e.field} is ${e.code}`),
  );
  return reasons.length > 0 ? reasons.join('; ') : (error as Error).message;
}

/**
 * Opens a pull request when an issue's run ends done after the runner pushed its branch
 * (the `pushed` status just before the final), then links it on the issue. A review
 * task's chat is a pull request already: nothing is opened there. A refusal (the branch
 * is not on GitHub, a pull request for it exists) is told on the issue, never thrown.
 */
export class PullRequestOpener implements RunFollower {
  private readonly logger = new Logger(PullRequestOpener.name);
  /** The branch each run pushed, until its end. */
  private readonly pushed = new Map<string, string>();

  constructor(private readonly github: PullRequestApi) {}

  follow(event: OutputEventV1): void {
    if (event.type === 'status' && event.state === 'pushed' && event.branch) this.pushed.set(event.runId, event.branch);
  }

  async ended(chatId: string, event: OutputEventV1): Promise<void> {
    const branch = this.pushed.get(event.runId);
    this.pushed.delete(event.runId);
    if (!branch || event.type !== 'final') return;
    const issue = await this.github.issue(chatId);
    if (issue.isPull) return;
    try {
      const base = await this.github.defaultBranch(chatId);
      const pull = await this.github.createPull(chatId, pullRequestFor(issue, branch, event.taskId, base));
      this.logger.log(`${chatId}: opened pull request #${pull.number} from ${branch} into ${base}`);
      await this.github.comment(chatId, `**Pull request** #${pull.number} opened from \`${branch}\` into \`${base}\`: ${pull.url}`);
    } catch (error) {
      const reason = refusalOf(error);
      this.logger.warn(`${chatId}: no pull request from ${branch}: ${reason}`);
      await this.github.comment(chatId, `Could not open a pull request from \`${branch}\`: ${reason}`);
    }
  }
}
