import type { ApprovalV1 } from '@patchbay/contracts';
import { approvalButtons } from '../channel/buttons';
import type { ChannelCapabilities, OutboundMessage } from '../channel/channel';

type Shape = Pick<ChannelCapabilities, 'buttons' | 'maxMessageLength'>;

/**
 * An approval request as a chat shows it: who asks for what, the summary of the tool's
 * input, and the three answers: buttons where the platform has them, else the commands
 * that answer (a GitHub comment). Every wording of approvals in chats lives in this file.
 */
export function approvalRequestMessage(approval: ApprovalV1, shape: Shape): OutboundMessage {
  const head = `🔐 ${approval.agent} asks to use **${approval.tool}** (approval ${approval.id}):`;
  const until = `Denied at ${clock(approval.expiresAt)} UTC if nobody answers.`;
  const forSession = approval.scope !== null ? `, \`/approve ${approval.id} session\` (${approval.scope} in this session asks nobody again)` : '';
  const foot = shape.buttons ? until : `Answer with \`/approve ${approval.id}\`${forSession} or \`/deny ${approval.id} [reason]\`. ${until}`;
  return { text: withSummary(head, approval.summary, foot, shape.maxMessageLength), ...(shape.buttons ? { buttons: approvalButtons(approval) } : {}) };
}

/** What the request's message becomes once answered: the outcome and who gave it; the buttons go. */
export function approvalDecidedMessage(approval: ApprovalV1, shape: Shape): OutboundMessage {
  return { text: withSummary(`${outcome(approval)} (approval ${approval.id}):`, approval.summary, '', shape.maxMessageLength) };
}

/** One line: the tool, what was decided, by whom, and a denial's reason. */
export function outcome(approval: ApprovalV1): string {
  const tool = approval.tool;
  if (approval.status === 'pending') return `⏳ ${tool} waits for an answer`;
  if (approval.decidedBy === 'timeout') return `⌛ ${tool} denied: ${approval.reason ?? 'nobody answered in time'}`;
  const by = approval.deciderName ?? approval.decidedBy ?? 'someone';
  if (approval.status === 'allowed') return approval.decision === 'allow_session' ? `✅ ${tool} allowed for this session by ${by}` : `✅ ${tool} allowed once by ${by}`;
  return `⛔ ${tool} denied by ${by}${approval.reason ? `: ${approval.reason}` : ''}`;
}

/** head, the summary in a code block (cut to fit the platform's limit), foot. */
function withSummary(head: string, summary: string, foot: string, max: number): string {
  const frame = `${head}\n\`\`\`\n\n\`\`\`${foot ? `\n${foot}` : ''}`;
  const room = Math.max(0, max - frame.length);
  // Backtick runs would end the code block early.
  const body = summary.replace(/```/g, "'''");
  const shown = body.length > room ? `${body.slice(0, Math.max(0, room - 1))}…` : body;
  return `${head}\n\`\`\`\n${shown}\n\`\`\`${foot ? `\n${foot}` : ''}`;
}

function clock(iso: string): string {
  return iso.slice(11, 16);
}
