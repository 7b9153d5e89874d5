import { Injectable } from '@nestjs/common';
import { AppError, Bus, describeError } from '@patchbay/bus';
import { ApprovalV1, OutputEventV1, TaskV1 } from '@patchbay/contracts';
import { AccessStore, SessionsStore, TasksStore, TranscriptStore, toTaskV1 } from '@patchbay/persistence';
import { TMUX_BRIDGE_AGENT } from '@patchbay/agents';
import { Clock } from '@patchbay/config';
import { RunsService } from '../runs/runs.service';
import { approvalButtons, approveButton, CommandContext, Effect, OutboundButton, outcome } from '@patchbay/plugin-sdk';
import { ApprovalsService } from '../approvals/approvals.service';
import { SessionBindings } from '../sessions/session-bindings';
import { SessionSummaries } from '../sessions/session-summaries';
import { SessionTyping } from '../sessions/session-typing';

/** How many stored output lines a chat that attaches late gets as catch-up. */
const CATCH_UP_EVENTS = 200;
const CATCH_UP_CHARS = 3_000;

/** What a command answers: text, and buttons that stand for follow-up commands. */
export interface CommandAnswer {
  text: string;
  buttons: OutboundButton[];
}

/** At most this many buttons go with an answer (platforms show a handful well). */
const MAX_BUTTONS = 10;

/** Performs the effects commands return and turns queries into text for the sender. */
@Injectable()
export class EffectApplier {
  constructor(
    private readonly sessions: SessionsStore,
    private readonly tasks: TasksStore,
    private readonly transcript: TranscriptStore,
    private readonly access: AccessStore,
    private readonly bus: Bus,
    private readonly clock: Clock,
    private readonly runs: RunsService,
    private readonly approvals: ApprovalsService,
    private readonly bindings: SessionBindings,
    private readonly summaries: SessionSummaries,
    private readonly typing: SessionTyping,
  ) {}

  /** Runs the effects in order; the replies they produce, joined, answer the command. */
  async apply(effects: Effect[], ctx: CommandContext, by: string): Promise<CommandAnswer> {
    const replies: string[] = [];
    const buttons: OutboundButton[] = [];
    for (const effect of effects) {
      const answer = await this.applyOne(effect, ctx, by);
      if (!answer) continue;
      const { text, buttons: more = [] } = typeof answer === 'string' ? { text: answer } : answer;
      if (text) replies.push(text);
      buttons.push(...more);
    }
    return { text: replies.join('\n\n'), buttons: buttons.slice(0, MAX_BUTTONS) };
  }

  private async applyOne(effect: Effect, ctx: CommandContext, by: string): Promise<string | CommandAnswer | null> {
    const chat = ctx.chat;
    switch (effect.kind) {
      case 'reply':
        return effect.text;
      case 'bind': {
        const session = await this.sessions.session(effect.sessionId);
        if (!session) return `No session ${effect.sessionId}.`;
        await this.bindings.bind({ channel: chat.channel, chatId: chat.chatId! }, session.id, effect.delivery, ctx.session?.id ?? null);
        const catchUp = await this.catchUp(session.id);
        return `Attached to session ${session.id} (${session.agent}, ${session.status}; delivery ${effect.delivery}).${catchUp ? `\nSo far:\n${catchUp}` : ''}`;
      }
      case 'unbind':
        await this.bindings.unbind({ channel: chat.channel, chatId: chat.chatId! }, ctx.session?.id ?? null);
        return null;
      case 'control':
        try {
          const result = await this.bus.request('session.*.control', { action: effect.action, by }, { params: [effect.sessionId] });
          return `Run ${result.runId}: ${result.detail}.`;
        } catch (error) {
          const { code, message } = describeError(error, `${effect.action} of session ${effect.sessionId}`);
          return ['no_responder', 'not_found'].includes(code) ? `Session ${effect.sessionId} has no live run.` : `Could not ${effect.action}: ${message}`;
        }
      case 'setAgent':
        await this.sessions.updateSession(effect.sessionId, { agent: effect.agent, agentSessionId: null });
        await this.summaries.changed(effect.sessionId);
        return null;
      case 'openSession': {
        const sessionId = await this.sessions.openSession(chat.channel, chat.chatId!, effect.agent);
        await this.bindings.announce(sessionId);
        return `Session ${sessionId} uses ${effect.agent}. Send a message to start.`;
      }
      case 'setModel':
        await this.sessions.updateSession(effect.sessionId, { model: effect.model });
        await this.summaries.changed(effect.sessionId);
        return null;
      case 'forgetAgentSession':
        await this.sessions.updateSession(effect.sessionId, { agentSessionId: null });
        return null;
      case 'retry':
        return this.retry(effect.sessionId, by);
      case 'approvePairing': {
        const principal = await this.access.approvePairing(effect.code, effect.role, by, this.clock.now());
        return principal
          ? `${principal.name} (${principal.identities.join(', ')}) is now ${principal.role}.`
          : `No open pairing request ${effect.code} (wrong, expired or already decided).`;
      }
      case 'answerApproval':
        return this.answerApproval(effect, ctx);
      case 'showApprovals':
        return this.showApprovals(ctx.session!.id);
      case 'showTask': {
        const task = await this.tasks.task(effect.taskId);
        return task ? describeTask(toTaskV1(task)) : `No task ${effect.taskId}.`;
      }
      case 'show':
        return this.show(effect.what, ctx);
      case 'runJob':
      case 'setJobEnabled':
        return this.job(effect);
      case 'input':
      case 'keys':
        return this.toSession(effect);
      case 'listTmux':
        return this.listTmux();
      case 'bridge': {
        const accepted = await this.sessions.createBridge(chat.channel, chat.chatId!, effect.target, TMUX_BRIDGE_AGENT, by);
        await this.bindings.announce(accepted.sessionId);
        this.runs.queued(accepted);
        return `Watching tmux session ${effect.target} here (session ${accepted.sessionId}). /send types into it, /keys presses keys, /unwatch lets go.`;
      }
    }
  }

  /**
   * A person's answer from a chat, with the role the engine checked for this message (a
   * channel's vouch included). Without an id it answers the one request that waits in the
   * chat's session; a denial whose first word only looked like an id keeps it as reason.
   */
  private async answerApproval(effect: Extract<Effect, { kind: 'answerApproval' }>, ctx: CommandContext): Promise<string | CommandAnswer> {
    let { approvalId, reason } = effect;
    if (approvalId && !(await this.approvals.get(approvalId))) {
      if (effect.decision !== 'deny') return `No approval ${approvalId}.`;
      reason = [approvalId, reason].filter(Boolean).join(' ');
      approvalId = null;
    }
    if (!approvalId) {
      if (!ctx.session) return 'This chat follows no session: name the approval, /approve <id>.';
      const waiting = await this.approvals.list({ sessionId: ctx.session.id, pendingOnly: true, limit: 10 });
      if (waiting.length !== 1)
        return waiting.length === 0
          ? `Nothing waits for an answer in session ${ctx.session.id}.`
          : pendingList(waiting, 'Several requests wait; name one (/approve <id>, /deny <id> [reason]):');
      approvalId = waiting[0].id;
    }
    try {
      const by = { channel: ctx.chat.channel, senderId: ctx.sender.id, name: ctx.sender.name };
      const decided = await this.approvals.decide({ approvalId, decision: effect.decision, by, ...(reason ? { reason } : {}) }, ctx.sender.role);
      return `${outcome(decided)}.`;
    } catch (error) {
      if (error instanceof AppError) return `Approval ${approvalId}: ${error.message}.`;
      throw error;
    }
  }

  /** What waits in the session; one request comes with its answers as buttons. */
  private async showApprovals(sessionId: string): Promise<string | CommandAnswer> {
    const waiting = await this.approvals.list({ sessionId, pendingOnly: true, limit: 10 });
    if (waiting.length === 0) return `Nothing waits for an answer in session ${sessionId}.`;
    const text = pendingList(waiting, `Waiting for an answer in session ${sessionId}:`);
    return waiting.length === 1 ? { text, buttons: approvalButtons(waiting[0]) } : text;
  }

  /** The session's last task, failed or stopped, goes back to the queue and runs again. */
  private async retry(sessionId: string, by: string): Promise<string> {
    const task = await this.tasks.lastTask(sessionId);
    if (!task) return `Session ${sessionId} has no task to retry.`;
    if (!(await this.tasks.requeueTask(task.id, `/retry by ${by}`, by))) return `The last task, ${task.id}, is ${task.status}: only a failed or stopped task can be retried.`;
    this.runs.queued({ taskId: task.id, sessionId });
    return `Task ${task.id} runs again.`;
  }

  private async toSession(effect: Extract<Effect, { kind: 'input' | 'keys' }>): Promise<string> {
    try {
      const result = await this.typing.deliver(effect.sessionId, effect.kind === 'input' ? { kind: 'text', text: effect.text } : { kind: 'keys', keys: effect.keys });
      return result.delivered ? '' : `Not delivered: ${result.detail}`;
    } catch (error) {
      const { code, message } = describeError(error, `${effect.kind} for session ${effect.sessionId}`);
      return code === 'not_live' ? `Session ${effect.sessionId} has no live run.` : `Not delivered: ${message}`;
    }
  }

  /** Every live runner's tmux sessions; Patchbay's own are marked. */
  private async listTmux(): Promise<string> {
    const lines: string[] = [];
    for (const runnerId of this.runs.liveRunners()) {
      try {
        const { sessions } = await this.bus.request('runner.*.tmux', {}, { params: [runnerId], timeoutMs: 3_000 });
        lines.push(`${runnerId}: ${sessions.map((s) => (s.patchbay ? `${s.name} (Patchbay)` : s.name)).join(', ') || 'no sessions'}`);
      } catch (error) {
        lines.push(`${runnerId}: ${describeError(error, `the tmux sessions of runner ${runnerId}`).message}`);
      }
    }
    return lines.length ? lines.join('\n') : 'No runner is connected.';
  }

  private async show(what: Extract<Effect, { kind: 'show' }>['what'], ctx: CommandContext): Promise<string | CommandAnswer> {
    switch (what) {
      case 'status': {
        if (!ctx.session) return 'This chat has no session. Send a message to start one.';
        const session = await this.sessions.session(ctx.session.id);
        const watchers = await this.sessions.bindings(ctx.session.id);
        return `Session ${ctx.session.id}: ${session?.status}, agent ${session?.agent}${session?.model ? ` (${session.model})` : ''}, ${session?.lastSeq} events, followed by ${watchers.length} chat(s).`;
      }
      case 'sessions': {
        const sessions = await this.sessions.listSessions(10);
        return sessions.length ? sessions.map((s) => `${s.id} ${s.status} ${s.agent}`).join('\n') : 'No sessions yet.';
      }
      case 'tasks': {
        const tasks = await this.tasks.listTasks(10);
        return tasks.length ? tasks.map((t) => `${t.id} ${t.status} ${oneLine(t.prompt)}`).join('\n') : 'No tasks yet.';
      }
      case 'pairings': {
        const open = await this.access.openPairings(this.clock.now());
        if (open.length === 0) return 'No open pairing requests.';
        return {
          text: open.map((p) => `${p.code} ${p.channel}:${p.platformUserId}${p.displayName ? ` (${p.displayName})` : ''} until ${p.expiresAt.slice(11, 16)} UTC`).join('\n'),
          // Only those who may approve get to press (/pair needs the approve permission).
          buttons: open.map((p) => approveButton(p.code, p.displayName ?? `${p.channel}:${p.platformUserId}`)),
        };
      }
      case 'jobs':
        return this.job({ kind: 'listJobs' });
    }
  }

  /** Jobs live behind their own bus subjects (the scheduler answers them). */
  private async job(effect: Extract<Effect, { kind: 'runJob' | 'setJobEnabled' }> | { kind: 'listJobs' }): Promise<string> {
    try {
      switch (effect.kind) {
        case 'listJobs': {
          const { jobs } = await this.bus.request('jobs.list', {});
          return jobs.length
            ? jobs
                .map(
                  (j) =>
                    `${j.name} ${j.enabled ? 'on' : 'off'} ${j.cron ? `${j.cron} ${j.tz ?? 'UTC'}` : j.every ? `every ${j.every}` : `at ${j.at}`}${j.nextRunAt ? `, next ${j.nextRunAt}` : ''}`,
                )
                .join('\n')
            : 'No scheduled jobs.';
        }
        case 'runJob': {
          const run = await this.bus.request('jobs.run', { name: effect.name });
          return `Job ${effect.name} fired: ${run.outcome}${run.taskId ? `, task ${run.taskId}` : ''}${run.error ? ` (${run.error})` : ''}.`;
        }
        case 'setJobEnabled': {
          const job = await this.bus.request('jobs.enable', { name: effect.name, enabled: effect.enabled });
          return `Job ${job.name} is ${job.enabled ? `on${job.nextRunAt ? `, next run ${job.nextRunAt}` : ''}` : 'off'}.`;
        }
      }
    } catch (error) {
      return `Could not do that: ${describeError(error, `the job command ${effect.kind}`).message}`;
    }
  }

  /** The session's recent output, as text, for a chat that joins late. */
  private async catchUp(sessionId: string): Promise<string> {
    const session = await this.sessions.session(sessionId);
    const after = Math.max(0, (session?.lastSeq ?? 0) - CATCH_UP_EVENTS);
    const events = await this.transcript.transcript(sessionId, after, CATCH_UP_EVENTS);
    return events.map(eventLine).join('').slice(-CATCH_UP_CHARS).trim();
  }
}

function eventLine(event: OutputEventV1): string {
  switch (event.type) {
    case 'text':
      return event.text;
    case 'tool_call':
      return `\n[${event.tool}] ${event.input}\n`;
    case 'final':
      return '\n[done]\n';
    case 'error':
      return `\n[error] ${event.text}\n`;
    default:
      return '';
  }
}

function pendingList(approvals: ApprovalV1[], head: string): string {
  return [head, ...approvals.map((a) => `${a.id} ${a.tool}: ${oneLine(a.summary)} (until ${a.expiresAt.slice(11, 16)} UTC)`)].join('\n');
}

function describeTask(t: TaskV1): string {
  return `Task ${t.id}: ${t.status}, agent ${t.agent}, session ${t.sessionId}, created ${t.createdAt}${t.error ? `\nError: ${t.error}` : ''}\n${oneLine(t.prompt, 200)}`;
}

function oneLine(text: string, max = 60): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}
