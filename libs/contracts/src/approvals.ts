import { z } from 'zod';
import { Vouch } from './access';
import { textField } from './text';

const isoTime = z.iso.datetime({ offset: true });

/**
 * A person's answer to an agent's tool use: this once, this tool (or Bash command prefix)
 * for the rest of the session, or no (with an optional reason the agent is told).
 */
export const ApprovalDecision = z.enum(['allow_once', 'allow_session', 'deny']);
export type ApprovalDecision = z.infer<typeof ApprovalDecision>;

/**
 * A runner asks whether its agent may use a tool (the agent is paused meanwhile). Asking
 * again with the same session and `toolUseId` (a runner restarted while it waited) finds
 * the same request, so one tool use is decided, and run, at most once.
 */
export const ApprovalAskV1 = z.object({
  sessionId: z.string().min(1),
  taskId: z.string().min(1).nullable(),
  agent: z.string().min(1),
  /** The agent's own id of this tool use (claude's `tool_use_id`). */
  toolUseId: z.string().min(1).max(200),
  tool: z.string().min(1).max(200),
  /** The tool's input as the agent gave it: what policy rules match (a Bash `command`, an edit's `file_path`). */
  input: z.record(z.string(), z.unknown()),
  /** A short, readable summary for chats: the command, the path and a diff preview, the URL. */
  summary: textField().max(4000),
});
export type ApprovalAskV1 = z.infer<typeof ApprovalAskV1>;

/** One approval request and, once decided, who decided what. */
export const ApprovalV1 = z.object({
  id: z.string().min(1),
  sessionId: z.string().min(1),
  taskId: z.string().nullable(),
  agent: z.string(),
  toolUseId: z.string(),
  tool: z.string(),
  summary: z.string(),
  /**
   * What "allow for this session" would cover: the tool, or for Bash its command's first
   * two words (`Bash(git status)`); null where it cannot apply (a command that chains others),
   * so such an answer counts as allow once.
   */
  scope: z.string().nullable(),
  status: z.enum(['pending', 'allowed', 'denied']),
  decision: ApprovalDecision.nullable(),
  /** `<channel>:<user id>` of the person; `policy` (a rule in patchbay.yaml), `session` (allowed for this session before) or `timeout`. */
  decidedBy: z.string().nullable(),
  /** The person's name as their channel shows it, for chats to say who decided. */
  deciderName: z.string().nullable(),
  /** A denial's reason, told to the agent. */
  reason: z.string().nullable(),
  requestedAt: isoTime,
  /** When a pending request is denied for want of an answer (`approvals.timeoutSeconds`). */
  expiresAt: isoTime,
  decidedAt: isoTime.nullable(),
});
export type ApprovalV1 = z.infer<typeof ApprovalV1>;

/**
 * Someone acting through a channel other than a message (an approval's answer, typing from
 * the dashboard). A channel that checked them itself vouches for their role, as for a
 * message's sender (the HTTP API: the token's role, since its tokens are unknown to the engine).
 */
export const ActingUserV1 = z.object({
  channel: z.string().min(1).max(40),
  senderId: z.string().min(1).max(200),
  /** How chats name them (defaults to `<channel>:<senderId>`). */
  name: textField().max(200).optional(),
  vouch: Vouch.optional(),
});
export type ActingUserV1 = z.infer<typeof ActingUserV1>;

/** An answer from a chat, the CLI or the API; the first answer wins. */
export const ApprovalDecideV1 = z.object({
  approvalId: z.string().min(1).max(40),
  decision: ApprovalDecision,
  reason: textField().max(500).optional(),
  /** Who answers: their role decides whether they may (ROLE_ALLOWS `approve`). */
  by: ActingUserV1,
});
export type ApprovalDecideV1 = z.infer<typeof ApprovalDecideV1>;

export const ApprovalListQueryV1 = z.object({
  sessionId: z.string().min(1).optional(),
  /** Only the requests still waiting (the default), or the newest of any status. */
  pendingOnly: z.boolean().default(true),
  limit: z.number().int().min(1).max(500).default(100),
});
export type ApprovalListQueryV1 = z.infer<typeof ApprovalListQueryV1>;

export const ApprovalListV1 = z.object({ approvals: z.array(ApprovalV1) });
export type ApprovalListV1 = z.infer<typeof ApprovalListV1>;
