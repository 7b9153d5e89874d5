import { Inject, Injectable, Logger } from '@nestjs/common';
import { AppError, describeError } from '@patchbay/bus';
import { AgentSurveyV1, InboundAcceptedV1, InboundMessageV1 } from '@patchbay/contracts';
import type { AgentProfile } from '@patchbay/agents';
import { InboundAlreadyHandledError, InboundConflictError, InboundStore, SessionEntity, SessionsStore, TasksStore } from '@patchbay/persistence';
import { PatchbayMetrics } from '@patchbay/metrics';
import { REDACTOR, Redactor } from '@patchbay/security';
import { AccessService, Sender } from '../access/access.service';
import { COMMANDS, parseCommand } from '../commands/commands';
import { EffectApplier } from '../commands/effect-applier';
import { AGENT_PROFILES, AGENT_SURVEY } from '../engine.constants';
import { RunsService } from '../runs/runs.service';
import { Router } from '../routing/router';
import { SessionBindings } from '../sessions/session-bindings';
import { SessionTyping } from '../sessions/session-typing';

/**
 * What a message from any channel means. In order: a message seen before gets its first
 * answer again; an unknown sender gets a pairing code; `/commands` run; text for a chat
 * bound to a live interactive session is typed into it; anything else becomes a task.
 * Every decision is checked against the sender's role and audited.
 */
@Injectable()
export class InboundService {
  private readonly logger = new Logger(InboundService.name);

  constructor(
    private readonly inbound: InboundStore,
    private readonly sessions: SessionsStore,
    private readonly tasks: TasksStore,
    private readonly access: AccessService,
    private readonly effects: EffectApplier,
    private readonly runs: RunsService,
    private readonly router: Router,
    @Inject(REDACTOR) private readonly redactor: Redactor,
    @Inject(AGENT_SURVEY) private readonly agents: AgentSurveyV1,
    @Inject(AGENT_PROFILES) private readonly profiles: ReadonlyMap<string, AgentProfile>,
    private readonly metrics: PatchbayMetrics,
    private readonly bindings: SessionBindings,
    private readonly typing: SessionTyping,
  ) {}

  /** Fails with `idempotency_conflict` for a message id seen before with other content. */
  async accept(received: InboundMessageV1): Promise<InboundAcceptedV1> {
    // What is stored (inbound row, task prompt) and what an agent is given never holds a secret.
    const message = { ...received, text: this.redactor.redact(received.text) };
    const count = (outcome: string) => this.metrics.inboundMessages.inc({ channel: message.channel, outcome });
    try {
      const accepted = await this.decide(message);
      count(accepted.duplicate ? 'duplicate' : accepted.outcome);
      return accepted;
    } catch (error) {
      if (error instanceof InboundConflictError) {
        count('idempotency_conflict');
        throw new AppError('idempotency_conflict', error.message);
      }
      // The race's winner answered; this delivery gets the same answer, as any duplicate does.
      if (error instanceof InboundAlreadyHandledError) return (await this.inbound.findInbound(message))!;
      count('error');
      throw error;
    }
  }

  private async decide(message: InboundMessageV1): Promise<InboundAcceptedV1> {
    const seen = await this.inbound.findInbound(message);
    if (seen) {
      this.logger.log(`duplicate ${message.channel} message ${message.messageId}: already handled`);
      return seen;
    }
    const sender = await this.access.identify(message);
    if (sender.role === null) {
      if (!this.access.pairs(message.channel)) {
        await this.access.audit(sender, 'message', message.chatId, 'deny', 'untrusted sender on a public channel: nothing run, no answer');
        return this.handled(message, 'denied', '', null);
      }
      const pairing = await this.access.pairingReply(message);
      await this.access.audit(sender, 'message', message.chatId, 'deny', `unknown sender: ${pairing.detail}, nothing run`);
      return this.handled(message, 'pairing', pairing.reply, null);
    }
    const bound = message.chatId ? await this.sessions.boundSession(message.channel, message.chatId) : null;
    const command = parseCommand(message.text);
    if (command) return this.command(message, sender, bound, command.name, command.args);

    const mode = bound ? this.profiles.get(bound.agent)?.mode : undefined;
    const live = bound?.status === 'running' && (mode === 'terminal' || mode === 'bridge');
    // Typing into a tmux session Patchbay did not start is for owners only.
    const action = mode === 'bridge' ? 'admin' : live ? 'input' : 'prompt';
    if (!(await this.access.authorize(sender, action, bound?.id ?? null))) {
      const reply = `You may watch but not send messages here (your role: ${sender.role}).`;
      return this.handled(message, 'denied', reply, bound?.id ?? null);
    }
    if (mode === 'bridge' && !live) {
      return this.handled(message, 'command', 'This chat no longer watches its tmux session: /watch <tmux-session> again, or /detach.', bound!.id);
    }
    const text = await this.attributed(message.text, sender, bound);
    if (live && bound) {
      const typed = await this.typeInto({ ...message, text }, bound.id);
      if (typed) return typed;
    }
    const route = this.router.route(message);
    const { bound: opened, ...accepted } = await this.inbound.acceptInbound({ ...message, text }, route, { bound });
    if (accepted.duplicate) return accepted;
    // The chat was just bound to a new session: the channels learn who follows it.
    if (opened) await this.bindings.announce(accepted.sessionId, [opened]);
    // Counted before its dispatch starts, so the sender learns the line it joined. Both are
    // of this moment, not stored: a redelivery gets the ids only.
    const ahead = await this.tasks.tasksAhead(accepted.sessionId, accepted.taskId);
    this.runs.queued(accepted);
    // A task on the default agent says why that is the demo (e.g. claude is not logged in).
    const notice = route.name === null && this.agents.notice ? { reply: this.agents.notice } : {};
    return { ...accepted, ...(ahead > 0 ? { ahead } : {}), ...notice };
  }

  private async command(message: InboundMessageV1, sender: Sender, bound: SessionEntity | null, name: string, args: string[]): Promise<InboundAcceptedV1> {
    const spec = COMMANDS[name];
    const sessionId = bound?.id ?? null;
    if (!spec) {
      await this.access.audit(sender, `command:/${name}`, sessionId, 'deny', 'unknown command');
      return this.handled(message, 'command', `Unknown command /${name}. /help lists the commands.`, sessionId);
    }
    if (!(await this.access.authorize(sender, spec.needs, sessionId, `command /${name}`))) {
      return this.handled(message, 'denied', `You may not use /${name} (your role: ${sender.role}).`, sessionId);
    }
    const ctx = {
      sender: { id: message.sender.id, name: sender.name, role: sender.role! },
      chat: { channel: message.channel, chatId: message.chatId },
      session: bound ? { id: bound.id, agent: bound.agent, status: bound.status, model: bound.model } : null,
      agents: [...this.profiles.keys()],
    };
    const answer = await this.effects.apply(spec.run(ctx, args), ctx, sender.actor);
    const handled = await this.handled(message, 'command', answer.text, sessionId);
    // Buttons are not stored: a redelivered command gets its text only.
    return handled.duplicate || answer.buttons.length === 0 ? handled : { ...handled, buttons: answer.buttons };
  }

  /** Several chats share the session: say who is talking. */
  private async attributed(text: string, sender: Sender, bound: SessionEntity | null): Promise<string> {
    if (!bound || (await this.sessions.bindings(bound.id)).length < 2) return text;
    return `[${sender.name}] ${text}`;
  }

  /** Records the message, then types it; input the session does not take becomes a task. */
  private async typeInto(message: InboundMessageV1, sessionId: string): Promise<InboundAcceptedV1 | null> {
    if (!(await this.inbound.recordInput(message, sessionId))) return this.inbound.findInbound(message);
    const input = await this.typing
      .deliver(sessionId, { kind: 'text', text: message.text, sender: message.sender.name })
      .catch((error: unknown) => ({ delivered: false, detail: describeError(error, `input for session ${sessionId}`).message }));
    if (input.delivered) {
      this.logger.log(`message ${message.messageId} typed into session ${sessionId}`);
      return { taskId: null, sessionId, duplicate: false, outcome: 'input', input };
    }
    this.logger.log(`session ${sessionId} did not take the input (${input.detail}): queued as a task`);
    const accepted = await this.inbound.inputToTask(message, sessionId);
    this.runs.queued(accepted);
    return { ...accepted, input };
  }

  /** A message that started no task: recorded with its answer, so a redelivery gets the same. */
  private async handled(message: InboundMessageV1, outcome: 'command' | 'pairing' | 'denied', reply: string, sessionId: string | null): Promise<InboundAcceptedV1> {
    if (!(await this.inbound.recordHandled(message, outcome, reply, sessionId))) return (await this.inbound.findInbound(message))!;
    return { taskId: null, sessionId, duplicate: false, outcome, reply };
  }
}
