import { Logger } from '@nestjs/common';
import type { OutputEventV1 } from '@patchbay/contracts';
import { CANCELLED_CODES, RunStatus, STATUS_LABELS } from './github.constants';

/** What a run's event says about its status; null for events that change nothing. */
export function runStatusOf(event: OutputEventV1): RunStatus | null {
  switch (event.type) {
    case 'status':
      return event.state === 'waiting' ? 'queued' : event.state === 'started' || event.state === 'resumed' ? 'running' : null;
    case 'final':
      return 'done';
    case 'error':
      return CANCELLED_CODES.has(event.code) ? 'cancelled' : 'failed';
    default:
      return null;
  }
}

/**
 * The comment that ends a run: edits of the progress comment notify no one, a new comment
 * does. Null for events that do not end a run.
 */
export function summaryOf(event: OutputEventV1): string | null {
  if (event.type === 'final') {
    const cost = event.costUsd !== undefined ? `, $${event.costUsd.toFixed(4)}` : '';
    const tokens = event.tokens ? `, ${event.tokens.input} tokens in / ${event.tokens.output} out` : '';
    return `**Done** in ${seconds(event.durationMs)}${cost}${tokens} (task \`${event.taskId}\`).`;
  }
  if (event.type === 'error') {
    const what = CANCELLED_CODES.has(event.code) ? 'Stopped' : 'Failed';
    return `**${what}** (task \`${event.taskId}\`): ${event.text}\n\nComment \`/retry\` to run it again.`;
  }
  return null;
}

function seconds(ms: number): string {
  return ms < 60_000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s`;
}

/** What the reporter asks of GitHub, for one issue. */
export interface IssueLabels {
  labels(chatId: string): Promise<string[]>;
  addLabel(chatId: string, label: string): Promise<void>;
  removeLabel(chatId: string, label: string): Promise<void>;
  comment(chatId: string, body: string): Promise<void>;
}

/** More to do per run on the issue, in step with the reporter (the pull request opener). */
export interface RunFollower {
  /** Each new event of the chat (repeats are filtered out before). */
  follow(event: OutputEventV1): void;
  /** After the summary of a run's end (its final or error event). */
  ended(chatId: string, event: OutputEventV1): Promise<void>;
}

/**
 * Shows each issue's run on the issue: one status label (status:queued, status:in_progress,
 * status:done, status:failed, status:cancelled) kept in step with the run, and a summary
 * comment when the run ends, then whatever the follower does at the end. Per issue one
 * change at a time; a status that is overtaken before it was applied is skipped. Repeated
 * events (same seq) change nothing.
 */
export class RunStatusReporter {
  private readonly logger = new Logger(RunStatusReporter.name);
  private readonly chats = new Map<string, { lastSeq: Map<string, number>; wanted: RunStatus | null; work: Promise<void> }>();

  constructor(
    private readonly issues: IssueLabels,
    private readonly follower?: RunFollower,
  ) {}

  update(chatId: string, event: OutputEventV1): void {
    let chat = this.chats.get(chatId);
    if (!chat) this.chats.set(chatId, (chat = { lastSeq: new Map(), wanted: null, work: Promise.resolve() }));
    if (event.seq <= (chat.lastSeq.get(event.sessionId) ?? 0)) return;
    chat.lastSeq.set(event.sessionId, event.seq);
    this.follower?.follow(event);
    const status = runStatusOf(event);
    if (!status) return;
    const summary = summaryOf(event);
    const state = chat;
    state.wanted = status;
    state.work = state.work.then(async () => {
      await this.apply(chatId, state);
      if (!summary) return;
      await this.issues.comment(chatId, summary).catch((error) => this.logger.warn(`${chatId}: summary: ${(error as Error).message}`));
      await this.follower?.ended(chatId, event).catch((error) => this.logger.warn(`${chatId}: after the run: ${(error as Error).message}`));
    });
  }

  /** Resolves when every change asked for so far is made (or given up). */
  async idle(): Promise<void> {
    await Promise.all([...this.chats.values()].map((c) => c.work));
  }

  private async apply(chatId: string, chat: { wanted: RunStatus | null }): Promise<void> {
    const wanted = chat.wanted;
    if (!wanted) return;
    chat.wanted = null;
    const label = STATUS_LABELS[wanted];
    try {
      const present = await this.issues.labels(chatId);
      if (!present.includes(label)) await this.issues.addLabel(chatId, label);
      for (const other of Object.values(STATUS_LABELS)) {
        if (other !== label && present.includes(other)) await this.issues.removeLabel(chatId, other);
      }
    } catch (error) {
      this.logger.warn(`${chatId}: status label ${label}: ${(error as Error).message}`);
    }
  }
}
