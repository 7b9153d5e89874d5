import { z } from 'zod';
import { MAX_INBOUND_TEXT } from '@patchbay/contracts';
import { COMMENT_COMMANDS, COMMENT_MARKER } from './github.constants';

const User = z.object({ id: z.number().int(), login: z.string().min(1), type: z.string().optional() });
const Label = z.object({ name: z.string() });
const Repository = z.object({ full_name: z.string().regex(/^[\w.-]+\/[\w.-]+$/) });
const Installation = z.object({ id: z.number().int() }).nullish();
const isoTime = z.iso.datetime({ offset: true });

const Issue = z.object({
  id: z.number().int(),
  number: z.number().int().positive(),
  title: z.string(),
  body: z.string().nullish(),
  html_url: z.string(),
  labels: z.array(Label).default([]),
  created_at: isoTime,
});

/** The parts of each delivery Patchbay reads; the rest of GitHub's payload is ignored. */
const IssuesPayload = z.object({ issue: Issue, label: Label.optional(), repository: Repository, sender: User, installation: Installation });
const IssueCommentPayload = z.object({
  issue: Issue,
  comment: z.object({ id: z.number().int(), body: z.string().nullish(), user: User, created_at: isoTime }),
  repository: Repository,
  sender: User,
  installation: Installation,
});
const PullRequestPayload = z.object({
  pull_request: Issue.extend({
    draft: z.boolean().optional(),
    head: z.object({ ref: z.string(), sha: z.string() }),
    base: z.object({ ref: z.string() }),
  }),
  requested_reviewer: User.optional(),
  repository: Repository,
  sender: User,
  installation: Installation,
});

/** Something on GitHub that asks Patchbay to act. */
export interface GitHubRequest {
  /** issue: work on an issue; review: review a pull request; comment: a mention or a command. */
  kind: 'issue' | 'review' | 'comment';
  repo: string;
  number: number;
  /** `owner/repo#number`: the chat of an issue or pull request. */
  chatId: string;
  /**
   * One id per GitHub action, the same however it arrives (a webhook, its redelivery, or
   * polling): the engine's dedup key. Issue and review starts carry the sender, so a start
   * refused to one person does not block a trusted person's later one.
   */
  messageId: string;
  sender: { id: string; login: string };
  text: string;
  labels: string[];
  installationId?: number;
  at: string;
}

export type ParsedEvent = { request: GitHubRequest } | { ignored: string };

export interface ParseOptions {
  /** The label that turns an issue into a task. */
  label: string;
  /** The bot's own login: what it does is never a request. */
  botLogin: string;
  /** Names that mention the bot (`@name`), without the @. */
  handles: readonly string[];
}

/** The actions Patchbay listens to, per event; every other delivery is ignored unread. */
const RELEVANT: Record<string, ReadonlySet<string>> = {
  issues: new Set(['opened', 'labeled']),
  issue_comment: new Set(['created']),
  pull_request: new Set(['opened', 'review_requested']),
};

/**
 * A webhook delivery (or one polling made up from the REST API, in the same shape) → the
 * request it makes, or why it makes none. Throws a ZodError for a relevant delivery that
 * lacks what Patchbay reads.
 */
export function parseEvent(event: string, payload: unknown, options: ParseOptions): ParsedEvent {
  const action = (payload as { action?: unknown } | null)?.action;
  if (typeof action !== 'string' || !RELEVANT[event]?.has(action)) return { ignored: `${event}${typeof action === 'string' ? `.${action}` : ''} is not handled` };
  switch (event) {
    case 'issues':
      return fromIssues(action, IssuesPayload.parse(payload), options);
    case 'issue_comment':
      return fromComment(IssueCommentPayload.parse(payload), options);
    default:
      return fromPullRequest(action, PullRequestPayload.parse(payload), options);
  }
}

function fromIssues(action: string, p: z.infer<typeof IssuesPayload>, options: ParseOptions): ParsedEvent {
  const labels = p.issue.labels.map((l) => l.name);
  const labelled = action === 'opened' ? labels.includes(options.label) : p.label?.name === options.label;
  if (!labelled) return { ignored: `issue without the label ${options.label}` };
  const ignored = notFromAPerson(p.sender, options);
  if (ignored) return { ignored };
  const text = `GitHub issue ${p.repository.full_name}#${p.issue.number}: ${p.issue.title}\n${p.issue.html_url}\n\n${p.issue.body ?? ''}`;
  return request('issue', p, p.issue.number, `issue:${p.issue.id}:start:${p.sender.id}`, text, labels, p.issue.created_at);
}

function fromComment(p: z.infer<typeof IssueCommentPayload>, options: ParseOptions): ParsedEvent {
  const body = p.comment.body ?? '';
  if (body.includes(COMMENT_MARKER)) return { ignored: "Patchbay's own comment" };
  const ignored = notFromAPerson(p.comment.user, options) ?? notFromAPerson(p.sender, options);
  if (ignored) return { ignored };
  const text = commentText(body, options.handles);
  if (!text) return { ignored: 'a comment that neither mentions the bot nor is a command' };
  const labels = p.issue.labels.map((l) => l.name);
  return request('comment', p, p.issue.number, `comment:${p.comment.id}`, text, labels, p.comment.created_at);
}

function fromPullRequest(action: string, p: z.infer<typeof PullRequestPayload>, options: ParseOptions): ParsedEvent {
  const pr = p.pull_request;
  if (action === 'review_requested' && !sameLogin(p.requested_reviewer?.login, options.botLogin)) return { ignored: 'a review requested from someone else' };
  if (action === 'opened' && pr.draft) return { ignored: 'a draft pull request' };
  const ignored = notFromAPerson(p.sender, options);
  if (ignored) return { ignored };
  const text =
    `Review pull request ${p.repository.full_name}#${pr.number}: ${pr.title}\n${pr.html_url}\n` +
    `Branch ${pr.head.ref} into ${pr.base.ref} (head ${pr.head.sha}).\n\n${pr.body ?? ''}`;
  const labels = pr.labels.map((l) => l.name);
  return request('review', p, pr.number, `pr:${pr.id}:review:${pr.head.sha}:${p.sender.id}`, text, labels, pr.created_at);
}

function request(
  kind: GitHubRequest['kind'],
  p: { repository: { full_name: string }; sender: z.infer<typeof User>; installation?: { id: number } | null },
  number: number,
  messageId: string,
  text: string,
  labels: string[],
  at: string,
): ParsedEvent {
  const repo = p.repository.full_name;
  return {
    request: {
      kind,
      repo,
      number,
      chatId: `${repo}#${number}`,
      messageId,
      sender: { id: String(p.sender.id), login: p.sender.login },
      text: fitInbound(text.trim()),
      labels: labels.slice(0, 50),
      ...(p.installation ? { installationId: p.installation.id } : {}),
      at,
    },
  };
}

/**
 * Issue bodies and comments may be longer than an inbound message: the agent gets the start
 * and is told, in the text, that the rest is on GitHub (never cut silently).
 */
export function fitInbound(text: string): string {
  if (text.length <= MAX_INBOUND_TEXT) return text;
  const note = (rest: number) => `\n\n[… ${rest} more characters not shown here: read the full text on GitHub]`;
  const keep = MAX_INBOUND_TEXT - note(text.length).length;
  return text.slice(0, keep) + note(text.length - keep);
}

/** Bots (other apps, and this one) never make requests: no loops between bots. */
function notFromAPerson(user: z.infer<typeof User>, options: ParseOptions): string | null {
  if (sameLogin(user.login, options.botLogin)) return "the bot's own action";
  if (user.type === 'Bot' || user.login.endsWith('[bot]')) return `from the bot ${user.login}`;
  return null;
}

function sameLogin(a: string | undefined, b: string): boolean {
  return !!a && a.toLowerCase() === b.toLowerCase();
}

/**
 * What a comment asks: a command (`/stop`, also after a mention: `@bot /stop`), or the text
 * around a mention of the bot; '' when it asks nothing of Patchbay.
 */
export function commentText(body: string, handles: readonly string[]): string {
  const names = handles.map((h) => h.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|');
  const mention = new RegExp(`(^|[^\\w@/-])@(?:${names})(?![\\w-])`, 'gi');
  const mentioned = mention.test(body);
  const text = body.replace(mention, '$1').trim();
  const command = /^\/([a-z]+)\b[^\n]*/i.exec(text);
  if (command && COMMENT_COMMANDS.has(command[1].toLowerCase())) return command[0].trim();
  return mentioned ? text : '';
}
