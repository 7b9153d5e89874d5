import { Logger } from '@nestjs/common';
import { ZodError } from 'zod';
import type { OutputEventV1 } from '@patchbay/contracts';
import { ChannelCapabilities, ChannelContext, ChannelPlugin, OutboundMessage, RecentIds, RendererClock, systemClock } from '@patchbay/plugin-sdk';
import { COMMENT_MARKER, CONTENT_LIMITS, DELIVERY_MEMORY_MS, DELIVERY_MEMORY_SIZE, MAX_COMMENT_LENGTH } from './github.constants';
import { ContentPacer } from './content-pacer';
import { GitHubAuth, GitHubClient } from './github-client';
import { GitHubInbox, InboxResult } from './github-inbox';
import { GitHubPoller } from './github-poller';
import { verifySignature } from './github-signature';
import { PullRequestOpener } from './pull-requests';
import { RunStatusReporter } from './run-status';
import { TrustPolicy } from './trust-policy';

export interface GitHubOptions extends GitHubAuth {
  webhookSecret?: string;
  mode: 'webhook' | 'polling';
  pollIntervalSeconds: number;
  repos: string[];
  label: string;
  trustedLogins: string[];
  /** The name people @mention; the token's login or the App's slug by default. */
  handle?: string;
  /** Open a pull request from an issue's task branch once its run pushed it and ended done. */
  pullRequests: boolean;
}

/** A webhook delivery as it reached POST /webhooks/github. */
export interface WebhookDelivery {
  event: string | undefined;
  deliveryId: string | undefined;
  signature: string | undefined;
  contentType: string | undefined;
  rawBody: Buffer | undefined;
}

export type WebhookResult = { outcome: 'unauthorized' } | InboxResult;

/** A delivery that is signed but not one GitHub would send (no event, no id, not JSON). */
export class InvalidDeliveryError extends Error {}

/**
 * GitHub as a channel: an issue or pull request is a chat (`owner/repo#number`). Issues
 * with the label, mentions of the bot and review requests come in by webhook (or polling)
 * through GitHubInbox; output goes out as one comment per run, edited in place, plus
 * status labels and a summary comment (RunStatusReporter), and with `pullRequests` a pull
 * request from a pushed task branch (PullRequestOpener). Every content-creating call of
 * every issue shares one ContentPacer, under GitHub's secondary limits.
 */
export class GitHubPlugin implements ChannelPlugin {
  readonly id = 'github';
  readonly capabilities: ChannelCapabilities = {
    maxMessageLength: MAX_COMMENT_LENGTH - COMMENT_MARKER.length - 1,
    edit: true,
    threads: false,
    buttons: false,
    formatting: 'markdown',
    // Per issue: an edit every ~8 s while output streams. The account-wide limit is the pacer's.
    rateBudget: { perChat: 10, windowMs: 60_000 },
  };
  private readonly logger = new Logger(GitHubPlugin.name);
  private readonly client: GitHubClient;
  private readonly deliveries = new RecentIds(DELIVERY_MEMORY_MS, DELIVERY_MEMORY_SIZE);
  private readonly status: RunStatusReporter;
  private inbox?: GitHubInbox;
  private poller?: GitHubPoller;

  constructor(
    private readonly options: GitHubOptions,
    /** Real time by default; the conformance spec runs the pacer on virtual time. */
    clock: RendererClock = systemClock,
  ) {
    this.client = new GitHubClient(options, new ContentPacer(CONTENT_LIMITS, clock), clock);
    const comment = async (chatId: string, body: string) => void (await this.send(chatId, { text: body }));
    const pulls = options.pullRequests
      ? new PullRequestOpener({
          issue: async (chatId) => {
            const item = await this.client.issue(...issueOf(chatId));
            return { number: Number(item.number), title: String(item.title), isPull: item.pull_request !== undefined };
          },
          defaultBranch: (chatId) => this.client.defaultBranch(issueOf(chatId)[0]),
          createPull: (chatId, pull) => this.client.createPull(issueOf(chatId)[0], pull),
          comment,
        })
      : undefined;
    this.status = new RunStatusReporter(
      {
        labels: (chatId) => this.client.labels(...issueOf(chatId)),
        addLabel: (chatId, label) => this.client.addLabel(...issueOf(chatId), label),
        removeLabel: (chatId, label) => this.client.removeLabel(...issueOf(chatId), label),
        comment,
      },
      pulls,
    );
  }

  async start(context: ChannelContext): Promise<void> {
    if (this.options.mode === 'webhook' && !this.options.webhookSecret) throw new Error('github.webhookSecret (GITHUB_WEBHOOK_SECRET) is needed in webhook mode');
    if (this.options.mode === 'polling' && this.options.repos.length === 0) throw new Error('github.repos is needed in polling mode');
    const identity = await this.client.identity();
    const handles = this.options.handle ? [this.options.handle, ...identity.handles] : identity.handles;
    this.inbox = new GitHubInbox(
      { label: this.options.label, botLogin: identity.login, handles, accountId: new URL(this.client.apiUrl).host, repos: this.options.repos },
      new TrustPolicy(this.options.trustedLogins, (repo, login) => this.client.permission(repo, login)),
      new RecentIds(DELIVERY_MEMORY_MS, DELIVERY_MEMORY_SIZE),
      (message) => context.submit(message),
      (request, text) => void this.send(request.chatId, { text }).catch((error) => this.logger.warn(`${request.chatId}: reply: ${(error as Error).message}`)),
      (request) => request.installationId !== undefined && this.client.rememberInstallation(request.repo, request.installationId),
    );
    this.logger.log(`GitHub as ${identity.login} (${this.options.mode}; mentions: ${handles.map((h) => `@${h}`).join(' ')}; label ${this.options.label})`);
    if (this.options.mode === 'polling') {
      this.poller = new GitHubPoller(this.client, this.options.repos, this.options.pollIntervalSeconds * 1000, handles, (event, payload) => this.inbox!.handle(event, payload));
      this.poller.start();
    }
  }

  /**
   * Webhook mode: verifies the signature over the raw body, drops a delivery seen before
   * (same X-GitHub-Delivery), and hands the event to the inbox. A delivery that failed may
   * be delivered again.
   */
  async receiveWebhook(delivery: WebhookDelivery): Promise<WebhookResult> {
    const body = delivery.rawBody ?? Buffer.alloc(0);
    if (!verifySignature(this.options.webhookSecret ?? '', body, delivery.signature)) return { outcome: 'unauthorized' };
    if (!delivery.event || !delivery.deliveryId) throw new InvalidDeliveryError('X-GitHub-Event and X-GitHub-Delivery are required');
    if (!this.inbox) throw new Error('the GitHub channel is not started');
    const payload = parsePayload(body, delivery.contentType);
    if (!this.deliveries.claim(delivery.deliveryId)) return { outcome: 'duplicate' };
    try {
      return await this.inbox.handle(delivery.event, payload);
    } catch (error) {
      this.deliveries.forget(delivery.deliveryId);
      throw error instanceof ZodError ? new InvalidDeliveryError(`the payload lacks what Patchbay reads: ${error.issues[0]?.path.join('.')}`) : error;
    }
  }

  async stop(): Promise<void> {
    await this.poller?.stop();
    await this.status.idle();
  }

  async send(chatId: string, message: OutboundMessage): Promise<{ messageId: string }> {
    const id = await this.client.createComment(...issueOf(chatId), withMarker(message.text));
    return { messageId: String(id) };
  }

  async edit(chatId: string, messageId: string, message: OutboundMessage): Promise<void> {
    await this.client.updateComment(issueOf(chatId)[0], Number(messageId), withMarker(message.text));
  }

  /** Status labels, the summary comment and (with pullRequests) a pull request follow the run. */
  onSessionEvent(chatId: string, event: OutputEventV1): void {
    this.status.update(chatId, event);
  }
}

function withMarker(text: string): string {
  return `${text}\n${COMMENT_MARKER}`;
}

/** `owner/repo#12` → ['owner/repo', 12]. */
function issueOf(chatId: string): [string, number] {
  const match = /^([\w.-]+\/[\w.-]+)#(\d+)$/.exec(chatId);
  if (!match) throw new Error(`not a GitHub issue: ${chatId}`);
  return [match[1], Number(match[2])];
}

/** GitHub sends JSON, or (a webhook's content-type setting) the JSON form-encoded as `payload`. */
function parsePayload(body: Buffer, contentType: string | undefined): unknown {
  try {
    const text = body.toString('utf8');
    return JSON.parse(contentType?.startsWith('application/x-www-form-urlencoded') ? (new URLSearchParams(text).get('payload') ?? '') : text);
  } catch {
    throw new InvalidDeliveryError('the body is not a JSON payload');
  }
}
