import type { Action, ApprovalDecision, Delivery, Role } from '@patchbay/contracts';

/** What a command handler knows when it decides; loaded before it runs. */
export interface CommandContext {
  /** `id` is the platform's id of the sender, `name` how the chat shows them. */
  sender: { id: string; name: string; role: Role };
  chat: { channel: string; chatId: string | null };
  /** The session this chat is bound to, if any. */
  session: { id: string; agent: string; status: string; model: string | null } | null;
  /** Agent profile names this engine knows. */
  agents: readonly string[];
}

/**
 * What a command wants done. Handlers only return these; EffectApplier performs them, so
 * handlers stay pure and their specs need no database.
 */
export type Effect =
  | { kind: 'reply'; text: string }
  | { kind: 'show'; what: 'status' | 'sessions' | 'tasks' | 'jobs' | 'pairings' }
  | { kind: 'showTask'; taskId: string }
  | { kind: 'bind'; sessionId: string; delivery: Delivery }
  | { kind: 'unbind' }
  | { kind: 'control'; sessionId: string; action: 'stop' | 'kill' }
  | { kind: 'setAgent'; sessionId: string; agent: string }
  /** A chat without a session opens one with this agent (its first message then runs there). */
  | { kind: 'openSession'; agent: string }
  | { kind: 'setModel'; sessionId: string; model: string | null }
  | { kind: 'forgetAgentSession'; sessionId: string }
  | { kind: 'retry'; sessionId: string }
  | { kind: 'runJob'; name: string }
  | { kind: 'setJobEnabled'; name: string; enabled: boolean }
  | { kind: 'approvePairing'; code: string; role: Role }
  /** `approvalId` null: the one request that waits in the chat's session. */
  | { kind: 'answerApproval'; approvalId: string | null; decision: ApprovalDecision; reason: string | null }
  /** The requests waiting in the chat's session, with the answers as buttons. */
  | { kind: 'showApprovals' }
  | { kind: 'input'; sessionId: string; text: string }
  | { kind: 'keys'; sessionId: string; keys: string[] }
  | { kind: 'listTmux' }
  | { kind: 'bridge'; target: string };

/** A slash command: the engine's own, or one a plugin contributes. */
export interface CommandSpec {
  /** What the sender's role must allow. */
  needs: Action;
  usage: string;
  summary: string;
  run(ctx: CommandContext, args: string[]): Effect[];
}
