import { Logger } from '@nestjs/common';
import { InboundMessageV1 } from '@patchbay/contracts';
import { type ChannelContext, RecentIds } from '@patchbay/plugin-sdk';
import { GITHUB_CHANNEL } from './github.constants';
import { GitHubRequest, parseEvent, ParseOptions } from './github-events';
import { TrustDecision, TrustPolicy } from './trust-policy';

export type InboxResult = { outcome: 'ignored'; reason: string } | { outcome: 'duplicate' } | { outcome: 'submitted'; trusted: boolean };

export interface InboxOptions extends ParseOptions {
  /** The engine's dedup account: the API host (github.com and an Enterprise host never mix). */
  accountId: string;
  /** Repositories Patchbay answers in; empty: any. */
  repos: readonly string[];
}

/**
 * The one path every GitHub event takes, from a webhook or from polling: parsed into a
 * request, deduplicated by its action id, checked for trust, handed to the engine, and the
 * engine's answer (a command's reply) posted on the issue. Untrusted senders' requests
 * reach the engine unvouched: it records them and runs nothing.
 */
export class GitHubInbox {
  private readonly logger = new Logger(GitHubInbox.name);
  private readonly repos: ReadonlySet<string>;

  constructor(
    private readonly options: InboxOptions,
    private readonly trust: TrustPolicy,
    private readonly recent: RecentIds,
    private readonly submit: ChannelContext['submit'],
    private readonly reply: (request: GitHubRequest, text: string) => void,
    private readonly onRequest: (request: GitHubRequest) => void = () => undefined,
  ) {
    this.repos = new Set(options.repos.map((r) => r.toLowerCase()));
  }

  async handle(event: string, payload: unknown): Promise<InboxResult> {
    const parsed = parseEvent(event, payload, this.options);
    if ('ignored' in parsed) return { outcome: 'ignored', reason: parsed.ignored };
    const request = parsed.request;
    if (this.repos.size > 0 && !this.repos.has(request.repo.toLowerCase())) return { outcome: 'ignored', reason: `${request.repo} is not in github.repos` };
    this.onRequest(request);
    if (!this.recent.claim(request.messageId)) return { outcome: 'duplicate' };
    try {
      const trust = await this.trust.check(request.repo, request.sender.login);
      if (!trust.trusted) this.logger.log(`${request.chatId}: ${trust.reason}: untrusted, nothing runs`);
      const answer = await this.submit(this.inbound(request, trust));
      // Strangers hear nothing: a public thread is no place for answers to them.
      const queued = trust.trusted ? 'Got it. Patchbay is busy or restarting; this runs as soon as it is back.' : undefined;
      const text = answer.queued ? queued : answer.reply;
      if (text) this.reply(request, text);
      return { outcome: 'submitted', trusted: trust.trusted };
    } catch (error) {
      // Not handed over: a redelivery (or the next poll) may try again.
      this.recent.forget(request.messageId);
      throw error;
    }
  }

  private inbound(request: GitHubRequest, trust: TrustDecision): InboundMessageV1 {
    return {
      channel: GITHUB_CHANNEL,
      accountId: this.options.accountId,
      messageId: request.messageId,
      chatId: request.chatId,
      sender: {
        id: request.sender.id,
        name: request.sender.login,
        // The engine lets a vouched sender prompt (as an operator), and audits why.
        ...(trust.trusted ? { vouch: { role: 'operator' as const, reason: trust.reason } } : {}),
      },
      text: request.text,
      labels: request.labels,
      receivedAt: request.at,
    };
  }
}
