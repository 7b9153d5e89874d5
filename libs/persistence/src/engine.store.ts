import { Injectable } from '@nestjs/common';
import { EntityManager, LockMode, QueryResult, UniqueConstraintViolationException } from '@mikro-orm/postgresql';
import {
  BindingV1,
  Delivery,
  InboundAcceptedV1,
  InboundMessageV1,
  KnownChatV1,
  newId,
  OutputEventV1,
  SessionV1,
  TaskStatus,
  TaskV1,
  tmuxSessionOf,
} from '@patchbay/contracts';
import { Database } from './database';
import { BindingEntity, InboundMessageEntity, SessionEntity, SessionStatus, TaskEntity, TaskTransitionEntity, TranscriptEntryEntity } from './entities';

const OPEN_TASK: TaskStatus[] = ['new', 'routed', 'queued', 'running'];


/** A message id seen before with other content (a client's Idempotency-Key reused). */
export class InboundConflictError extends Error {}

/** A concurrent delivery of the same message was handled another way (a command, a denial) first. */
export class InboundAlreadyHandledError extends Error {}

/** The agent for a new session, and why (a routing rule's name, or the default). */
export interface Route {
  agent: string;
  name: string | null;
  reason: string;
}

/** A task is created routed and queued at once; its history says so, and who asked for it. */
function recordCreation(em: EntityManager, taskId: string, routeReason: string, by: string): void {
  const at = new Date();
  em.create(TaskTransitionEntity, { taskId, fromStatus: null, toStatus: 'new', at, reason: null, by });
  em.create(TaskTransitionEntity, { taskId, fromStatus: 'new', toStatus: 'routed', at, reason: routeReason });
  em.create(TaskTransitionEntity, { taskId, fromStatus: 'routed', toStatus: 'queued', at, reason: null });
}

/** Which sessions an overview lists (all filters optional, and all must hold). */
export interface SessionFilter {
  id?: string;
  status?: SessionStatus;
  agent?: string;
  /** One of the session's chats is on this channel, or its latest task came from it. */
  channel?: string;
  limit: number;
}

/** A session with its latest task and its chats: what an overview shows of it. */
export interface SessionOverview {
  session: SessionEntity;
  task: TaskEntity | null;
  bindings: BindingV1[];
}

/** A message that became (or already was) a task. */
export interface TaskAccepted {
  taskId: string;
  sessionId: string;
  duplicate: boolean;
  outcome: 'task';
  /** The message opened the session and bound its chat to it: that one binding is all the session has. */
  bound?: BindingV1;
}

/** Every query and write the engine makes, in one place. Each call uses its own unit of work. */
@Injectable()
export class EngineStore {
  constructor(private readonly database: Database) {}

  private em(): EntityManager {
    return this.database.orm.em.fork();
  }

  /**
   * Records an inbound message and the task it starts, in one transaction. A message seen
   * before (same channel, account and platform id) returns the original task: nothing new.
   */
  /**
   * `route` is the routing decision for a new session (its agent, the rule that chose it);
   * a message to a bound session goes to that session's agent. `read` is what the caller
   * read just before (the message was new, the session its chat follows): the first try
   * takes it instead of reading again; a try after a lost race reads everything itself.
   */
  async acceptInbound(message: InboundMessageV1, route: Route, read?: { bound: SessionEntity | null }): Promise<TaskAccepted> {
    for (let attempt = 1; ; attempt++) {
      const known = attempt === 1 ? read : undefined;
      if (!known) {
        const seen = await this.findInbound(message);
        if (seen?.outcome === 'task') return { taskId: seen.taskId!, sessionId: seen.sessionId!, duplicate: true, outcome: 'task' };
        // Handled another way by a concurrent delivery of the same message.
        if (seen) throw new InboundAlreadyHandledError(`message ${message.messageId} was already handled (${seen.outcome})`);
      }
      try {
        return await this.em().transactional((em) => this.insertInbound(em, message, route, known?.bound));
      } catch (error) {
        // A concurrent delivery of the same message (or a first message to the same chat)
        // won the race; the next pass sees its rows.
        if (!(error instanceof UniqueConstraintViolationException) || attempt >= 3) throw error;
      }
    }
  }

  /**
   * What a message seen before led to; null for a new message. InboundConflictError when
   * both carry a content digest and they differ: the id was reused for something else.
   */
  async findInbound(message: InboundMessageV1): Promise<InboundAcceptedV1 | null> {
    const row = await this.em().findOne(InboundMessageEntity, {
      channel: message.channel,
      accountId: message.accountId,
      platformMessageId: message.messageId,
    });
    if (!row) return null;
    if (row.contentDigest && message.contentDigest && row.contentDigest !== message.contentDigest) {
      throw new InboundConflictError(`message id ${message.messageId} was already used for a different message`);
    }
    return { taskId: row.taskId, sessionId: row.sessionId, duplicate: true, outcome: row.outcome, ...(row.reply ? { reply: row.reply } : {}) };
  }

  /** The session a chat is bound to, if any. */
  boundSession(channel: string, chatId: string): Promise<SessionEntity | null> {
    return this.sessionOfChat(this.em(), { channel, chatId });
  }

  private async sessionOfChat(em: EntityManager, chat: { channel: string; chatId: string | null }): Promise<SessionEntity | null> {
    if (!chat.chatId) return null;
    const binding = await em.findOne(BindingEntity, { channel: chat.channel, chatId: chat.chatId });
    return binding ? em.findOne(SessionEntity, binding.sessionId) : null;
  }

  /**
   * Records a message as input for a live session, before it is typed in. False when the
   * same message was recorded already (a redelivery): it must not be typed twice.
   */
  recordInput(message: InboundMessageV1, sessionId: string): Promise<boolean> {
    return this.recordOnce(message, { sessionId, outcome: 'input' });
  }

  /**
   * Records a message that started no task (a command, a pairing request, a refusal) with
   * the answer its sender got. False when it was recorded already.
   */
  recordHandled(message: InboundMessageV1, outcome: 'command' | 'pairing' | 'denied', reply: string, sessionId: string | null): Promise<boolean> {
    return this.recordOnce(message, { outcome, reply, sessionId });
  }

  /** Stores the message's row unless it is stored already (the unique platform message id). */
  private async recordOnce(message: InboundMessageV1, fields: Pick<InboundMessageEntity, 'outcome' | 'sessionId'> & { reply?: string }): Promise<boolean> {
    try {
      await this.em().insert(InboundMessageEntity, { ...inboundRow(message), ...fields });
      return true;
    } catch (error) {
      if (error instanceof UniqueConstraintViolationException) return false;
      throw error;
    }
  }

  /** Input the live session did not take becomes a queued task of that session. */
  async inputToTask(message: InboundMessageV1, sessionId: string): Promise<TaskAccepted> {
    return this.em().transactional(async (em) => {
      const session = await em.findOneOrFail(SessionEntity, sessionId);
      const task = em.create(TaskEntity, taskRow(message, session));
      recordCreation(em, task.id, `input the live session did not take; agent ${session.agent}`, senderOf(message));
      await em.nativeUpdate(
        InboundMessageEntity,
        { channel: message.channel, accountId: message.accountId, platformMessageId: message.messageId },
        { taskId: task.id, outcome: 'task' },
      );
      await em.flush();
      return { taskId: task.id, sessionId, duplicate: false, outcome: 'task' };
    });
  }

  private async insertInbound(em: EntityManager, message: InboundMessageV1, newSessionRoute: Route, chatSession?: SessionEntity | null): Promise<TaskAccepted> {
    let session = chatSession === undefined ? await this.sessionOfChat(em, message) : chatSession;
    let route: Route | null = null;
    let bound: BindingEntity | undefined;
    if (!session) {
      const id = newId();
      route = newSessionRoute;
      session = em.create(SessionEntity, { id, agent: route.agent, route: route.name, tmuxSession: tmuxSessionOf(id) });
      if (message.chatId) {
        bound = em.create(BindingEntity, { id: newId(), channel: message.channel, chatId: message.chatId, sessionId: id });
      }
    }
    const task = em.create(TaskEntity, { ...taskRow(message, session), route: route?.name ?? null });
    recordCreation(em, task.id, route?.reason ?? `agent ${session.agent} of session ${session.id}`, senderOf(message));
    em.create(InboundMessageEntity, { ...inboundRow(message), taskId: task.id, sessionId: session.id, outcome: 'task' });
    await em.flush();
    const accepted: TaskAccepted = { taskId: task.id, sessionId: session.id, duplicate: false, outcome: 'task' };
    return bound ? { ...accepted, bound: { channel: bound.channel, chatId: bound.chatId, delivery: bound.delivery } } : accepted;
  }

  /**
   * A session that watches an existing tmux session (the bridge), bound to the chat that
   * asked, with the task that runs the watching.
   */
  async createBridge(channel: string, chatId: string, target: string, agent: string, by: string): Promise<TaskAccepted> {
    return this.em().transactional(async (em) => {
      const session = em.create(SessionEntity, { id: newId(), agent, tmuxSession: target });
      const task = em.create(TaskEntity, {
        id: newId(),
        sessionId: session.id,
        status: 'queued',
        agent,
        prompt: target,
        channel,
        chatId,
      });
      recordCreation(em, task.id, `bridge to tmux session ${target}`, by);
      await em.flush();
      await em
        .createQueryBuilder(BindingEntity)
        .insert({ id: newId(), channel, chatId, sessionId: session.id, delivery: 'live', createdAt: new Date() })
        .onConflict(['channel', 'chatId'])
        .merge(['sessionId', 'delivery'])
        .execute('run');
      return { taskId: task.id, sessionId: session.id, duplicate: false, outcome: 'task' };
    });
  }

  /** A new, empty session with `agent`, bound to the chat (which had none). */
  async openSession(channel: string, chatId: string, agent: string): Promise<string> {
    return this.em().transactional(async (em) => {
      const id = newId();
      em.create(SessionEntity, { id, agent, tmuxSession: tmuxSessionOf(id) });
      em.create(BindingEntity, { id: newId(), channel, chatId, sessionId: id });
      await em.flush();
      return id;
    });
  }

  /** Binds a chat to a session (replacing what it followed), with how it wants output. */
  async bindChat(channel: string, chatId: string, sessionId: string, delivery: Delivery): Promise<void> {
    await this.em()
      .createQueryBuilder(BindingEntity)
      .insert({ id: newId(), channel, chatId, sessionId, delivery, createdAt: new Date() })
      .onConflict(['channel', 'chatId'])
      .merge(['sessionId', 'delivery'])
      .execute('run');
  }

  /** The chat follows no session (of `sessionId` only, when given); false when it followed none (or another). */
  async unbindChat(channel: string, chatId: string, sessionId?: string): Promise<boolean> {
    return (await this.em().nativeDelete(BindingEntity, { channel, chatId, ...(sessionId ? { sessionId } : {}) })) > 0;
  }

  /**
   * The chats Patchbay knows, most recently seen first: every chat a message came from, and
   * every bound chat (a job's chat is bound before its first firing), with the session it
   * follows. `chat`: that one only (empty when it is unknown).
   */
  async knownChats(limit: number, chat?: { channel: string; chatId: string }): Promise<KnownChatV1[]> {
    const only = chat ? 'and channel = ? and chat_id = ?' : '';
    const params = chat ? [chat.channel, chat.chatId] : [];
    const rows: Array<{ channel: string; chat_id: string; session_id: string | null; last_seen_at: Date }> = await this.em()
      .getConnection()
      .execute(
        `with seen as (select channel, chat_id, max(received_at) as last_seen_at from inbound_message
                        where chat_id is not null ${only} group by channel, chat_id),
              bound as (select channel, chat_id, session_id, created_at from binding where true ${only})
         select coalesce(s.channel, b.channel) as channel, coalesce(s.chat_id, b.chat_id) as chat_id, b.session_id,
                coalesce(s.last_seen_at, b.created_at) as last_seen_at
           from seen s full join bound b on b.channel = s.channel and b.chat_id = s.chat_id
          order by last_seen_at desc, channel, chat_id limit ?`,
        [...params, ...params, limit],
      );
    return rows.map((r) => ({ channel: r.channel, chatId: r.chat_id, title: null, sessionId: r.session_id, lastSeenAt: new Date(r.last_seen_at).toISOString() }));
  }

  /** The chats that follow a session. */
  async bindings(sessionId: string): Promise<BindingV1[]> {
    const rows = await this.em().find(BindingEntity, { sessionId }, { orderBy: { createdAt: 'asc' } });
    return rows.map((r) => ({ channel: r.channel, chatId: r.chatId, delivery: r.delivery }));
  }

  async updateSession(sessionId: string, change: { agent?: string; model?: string | null; agentSessionId?: null }): Promise<void> {
    await this.em().nativeUpdate(SessionEntity, { id: sessionId }, { ...change, updatedAt: new Date() });
  }

  /** Marks the session running if it was not; false when another run holds it. */
  async claimSession(sessionId: string): Promise<boolean> {
    const changed = await this.em().nativeUpdate(
      SessionEntity,
      { id: sessionId, status: { $ne: 'running' } },
      { status: 'running', updatedAt: new Date() },
    );
    return changed === 1;
  }

  async releaseSession(sessionId: string): Promise<void> {
    await this.em().nativeUpdate(SessionEntity, { id: sessionId }, { status: 'idle', updatedAt: new Date() });
  }

  async session(sessionId: string): Promise<SessionEntity | null> {
    return this.em().findOne(SessionEntity, sessionId);
  }

  async oldestQueuedTask(sessionId: string): Promise<TaskEntity | null> {
    return this.em().findOne(TaskEntity, { sessionId, status: 'queued' }, { orderBy: { createdAt: 'asc' } });
  }

  /** How many of the session's tasks, older than this one, are queued or running: its place in line. */
  async tasksAhead(sessionId: string, taskId: string): Promise<number> {
    const task = await this.em().findOne(TaskEntity, taskId);
    if (!task) return 0;
    return this.em().count(TaskEntity, { sessionId, id: { $ne: taskId }, createdAt: { $lt: task.createdAt }, status: { $in: ['running', 'queued'] } });
  }

  /** Sessions holding a run (of one runner, if given). */
  async runningSessions(runnerId?: string): Promise<SessionEntity[]> {
    return this.em().find(SessionEntity, { status: 'running', ...(runnerId ? { runnerId } : {}) });
  }

  /** The task a running session is working on (running, or queued on a runner's line). */
  async runningTask(sessionId: string): Promise<TaskEntity | null> {
    return this.em().findOne(TaskEntity, { sessionId, status: { $in: ['running', 'queued'] }, runId: { $ne: null } }, { orderBy: { createdAt: 'asc' } });
  }

  /** How many tasks are in each status (the tasks gauge of /metrics). */
  async taskCounts(): Promise<Record<string, number>> {
    const rows: Array<{ status: string; count: string | number }> = await this.em()
      .getConnection()
      .execute('select status, count(*) as count from task group by status');
    return Object.fromEntries(rows.map((r) => [r.status, Number(r.count)]));
  }

  /** Sessions that have queued work and no run: what a starting engine must pick up. */
  async idleSessionsWithQueuedTasks(): Promise<string[]> {
    const rows: Array<{ session_id: string }> = await this.em()
      .getConnection()
      .execute(
        `select distinct t.session_id from task t join session s on s.id = t.session_id
          where t.status = 'queued' and s.status <> 'running'`,
      );
    return rows.map((r) => r.session_id);
  }

  /** A runner is asked to run the task: one more attempt, unless it is the same run asked again. */
  async assignRun(taskId: string, runId: string): Promise<void> {
    await this.em()
      .getConnection()
      .execute(
        `update "task" set "attempts" = "attempts" + case when "run_id" is distinct from ? then 1 else 0 end, "run_id" = ?, "updated_at" = now() where "id" = ?`,
        [runId, runId, taskId],
      );
  }

  /** A runner took the run (it may still wait for a slot there). */
  async runAccepted(sessionId: string, runnerId: string): Promise<void> {
    await this.em().nativeUpdate(SessionEntity, { id: sessionId }, { runnerId, updatedAt: new Date() });
  }

  /** The agent runs: the task leaves the queue. */
  async taskRunning(taskId: string): Promise<void> {
    await this.transition(taskId, ['queued'], 'running', 'the agent started', { startedAt: new Date() });
  }

  async rememberAgentSession(sessionId: string, agentSessionId: string): Promise<void> {
    await this.em().nativeUpdate(SessionEntity, { id: sessionId }, { agentSessionId, updatedAt: new Date() });
  }

  /** Closes an open task; a task already closed keeps its first outcome. `by`: who stopped it, if someone did. */
  async finishTask(taskId: string, status: 'done' | 'failed' | 'blocked' | 'cancelled' | 'needs_review', error: string | null, by: string | null = null): Promise<boolean> {
    return this.transition(taskId, OPEN_TASK, status, error, { error, finishedAt: new Date() }, by);
  }

  /** Puts a task back in its session's queue for another attempt, maybe with another agent. */
  async retryTask(taskId: string, reason: string, agent?: string): Promise<boolean> {
    return this.transition(taskId, ['queued', 'running'], 'queued', reason, { runId: null, ...(agent ? { agent } : {}) });
  }

  /** A failed or stopped task back in the queue (`/retry`), with a fresh count of attempts. */
  async requeueTask(taskId: string, reason: string, by: string): Promise<boolean> {
    return this.transition(taskId, ['failed', 'cancelled'], 'queued', reason, { runId: null, error: null, finishedAt: null, attempts: 0 }, by);
  }

  /** The session's newest task. */
  async lastTask(sessionId: string): Promise<TaskEntity | null> {
    return this.em().findOne(TaskEntity, { sessionId }, { orderBy: { createdAt: 'desc' } });
  }

  /**
   * Moves a task from one of `from` to `to`, recording the change in its history. False
   * when the task is in none of `from` (someone else moved it first).
   */
  private async transition(taskId: string, from: TaskStatus[], to: TaskStatus, reason: string | null, change: Partial<TaskEntity> = {}, by: string | null = null): Promise<boolean> {
    return this.em().transactional(async (em) => {
      const task = await em.findOne(TaskEntity, { id: taskId, status: { $in: from } }, { lockMode: LockMode.PESSIMISTIC_WRITE });
      if (!task) return false;
      em.create(TaskTransitionEntity, { taskId, fromStatus: task.status, toStatus: to, reason, by, at: new Date() });
      em.assign(task, { ...change, status: to, updatedAt: new Date() });
      await em.flush();
      return true;
    });
  }

  async taskHistory(taskId: string): Promise<NonNullable<TaskV1['history']>> {
    const rows = await this.em().find(TaskTransitionEntity, { taskId }, { orderBy: { id: 'asc' } });
    return rows.map((r) => ({ from: r.fromStatus, to: r.toStatus, at: r.at.toISOString(), reason: r.reason, by: r.by }));
  }


  /**
   * Stores an output event once; false when (session, seq) was already stored, or when its
   * run's end is stored and its task closed: a run given up (the store failed on one of its
   * events) may still talk until its runner kills it, and its session has moved on.
   */
  async appendEvent(event: OutputEventV1): Promise<boolean> {
    const em = this.em();
    const inserted = await em.getConnection().execute<QueryResult>(
      `insert into "transcript_entry" ("session_id", "seq", "task_id", "type", "event", "created_at")
         select ?, ?, ?, ?, ?::jsonb, now()
          where not exists (
            select 1 from "task" t join "transcript_entry" e on e."session_id" = ? and e."task_id" = t."id"
             where t."id" = ? and t."status" not in (${OPEN_TASK.map(() => '?').join(', ')})
               and e."type" in ('final', 'error') and e."event"->>'runId' = ?)
       on conflict ("session_id", "seq") do nothing`,
      [event.sessionId, event.seq, event.taskId, event.type, JSON.stringify(event), event.sessionId, event.taskId, ...OPEN_TASK, event.runId],
      'run',
    );
    if (inserted.affectedRows === 0) return false;
    await em.nativeUpdate(
      SessionEntity,
      { id: event.sessionId, lastSeq: { $lt: event.seq } },
      { lastSeq: event.seq, updatedAt: new Date() },
    );
    return true;
  }

  async transcript(sessionId: string, after: number, limit: number): Promise<OutputEventV1[]> {
    const rows = await this.em().find(
      TranscriptEntryEntity,
      { sessionId, seq: { $gt: after } },
      { orderBy: { seq: 'asc' }, limit },
    );
    return rows.map((r) => r.event);
  }

  async listSessions(limit: number): Promise<SessionV1[]> {
    const rows = await this.em().find(SessionEntity, {}, { orderBy: { updatedAt: 'desc' }, limit });
    return rows.map(toSessionV1);
  }

  /**
   * The newest sessions that pass the filter, each with its latest task and its chats: three
   * queries for the whole page (sessions, then the tasks and the bindings of all of them).
   */
  async sessionOverviews(filter: SessionFilter): Promise<SessionOverview[]> {
    const em = this.em();
    const connection = em.getConnection();
    const where: string[] = [];
    const params: unknown[] = [];
    const holds = (condition: string, ...values: unknown[]) => {
      where.push(condition);
      params.push(...values);
    };
    if (filter.id !== undefined) holds('s."id" = ?', filter.id);
    if (filter.status !== undefined) holds('s."status" = ?', filter.status);
    if (filter.agent !== undefined) holds('s."agent" = ?', filter.agent);
    if (filter.channel !== undefined) {
      holds(
        `(exists (select 1 from "binding" b where b."session_id" = s."id" and b."channel" = ?)
          or (select t."channel" from "task" t where t."session_id" = s."id" order by t."created_at" desc, t."id" desc limit 1) = ?)`,
        filter.channel,
        filter.channel,
      );
    }
    const rows: Record<string, unknown>[] = await connection.execute(
      `select s.* from "session" s ${where.length ? `where ${where.join(' and ')}` : ''} order by s."updated_at" desc, s."id" limit ?`,
      [...params, filter.limit],
    );
    if (rows.length === 0) return [];
    const sessions = rows.map((row) => em.map(SessionEntity, row));
    const ids = sessions.map((session) => session.id);
    const marks = ids.map(() => '?').join(', ');
    const taskRows: Record<string, unknown>[] = await connection.execute(
      `select distinct on (t."session_id") t.* from "task" t where t."session_id" in (${marks})
        order by t."session_id", t."created_at" desc, t."id" desc`,
      ids,
    );
    const latest = new Map(taskRows.map((row) => em.map(TaskEntity, row)).map((task) => [task.sessionId, task]));
    const bindings = await em.find(BindingEntity, { sessionId: { $in: ids } }, { orderBy: { createdAt: 'asc', id: 'asc' } });
    return sessions.map((session) => ({
      session,
      task: latest.get(session.id) ?? null,
      bindings: bindings.filter((b) => b.sessionId === session.id).map((b) => ({ channel: b.channel, chatId: b.chatId, delivery: b.delivery })),
    }));
  }

  async listTasks(limit: number): Promise<TaskV1[]> {
    const rows = await this.em().find(TaskEntity, {}, { orderBy: { createdAt: 'desc' }, limit });
    return rows.map(toTaskV1);
  }

  async task(id: string): Promise<TaskEntity | null> {
    return this.em().findOne(TaskEntity, id);
  }
}

/** The sender as the audit log names them. */
function senderOf(message: InboundMessageV1): string {
  return `${message.channel}:${message.sender.id}`;
}

function taskRow(message: InboundMessageV1, session: SessionEntity) {
  return {
    id: newId(),
    sessionId: session.id,
    status: 'queued' as const,
    agent: session.agent,
    prompt: message.text,
    channel: message.channel,
    chatId: message.chatId,
  };
}

function inboundRow(message: InboundMessageV1) {
  return {
    id: newId(),
    channel: message.channel,
    accountId: message.accountId,
    platformMessageId: message.messageId,
    chatId: message.chatId,
    senderId: message.sender.id,
    senderName: message.sender.name ?? null,
    text: message.text,
    contentDigest: message.contentDigest ?? null,
    receivedAt: new Date(message.receivedAt),
    // em.insert() skips the entity's initializers.
    createdAt: new Date(),
  };
}

export function toSessionV1(s: SessionEntity): SessionV1 {
  return {
    id: s.id,
    status: s.status,
    agent: s.agent,
    tmuxSession: s.tmuxSession,
    runnerId: s.runnerId,
    lastSeq: s.lastSeq,
    createdAt: s.createdAt.toISOString(),
    updatedAt: s.updatedAt.toISOString(),
  };
}

export function toTaskV1(t: TaskEntity): TaskV1 {
  return {
    id: t.id,
    sessionId: t.sessionId,
    status: t.status,
    agent: t.agent,
    prompt: t.prompt,
    channel: t.channel,
    chatId: t.chatId,
    error: t.error,
    runId: t.runId,
    attempts: t.attempts,
    createdAt: t.createdAt.toISOString(),
    updatedAt: t.updatedAt.toISOString(),
    startedAt: t.startedAt?.toISOString() ?? null,
    finishedAt: t.finishedAt?.toISOString() ?? null,
  };
}
