import { Injectable } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import { BindingV1, Delivery, KnownChatV1, SessionV1 } from '@patchbay/contracts';
import { Database } from './database';
import { BindingEntity, SessionEntity, SessionStatus, TaskEntity } from './entities';
import { bindChatIn, Chat, openSessionIn } from './session-opening';
import { queueTaskIn, TaskAccepted } from './tasks.store';

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

/** The session a chat is bound to, if any, read in `em` (one statement: the binding joined to its session). */
export async function sessionOfChatIn(em: EntityManager, chat: { channel: string; chatId: string | null }): Promise<SessionEntity | null> {
  if (!chat.chatId) return null;
  const rows: Record<string, unknown>[] = await em.execute(`select s.* from "session" s join "binding" b on b."session_id" = s."id" where b."channel" = ? and b."chat_id" = ?`, [
    chat.channel,
    chat.chatId,
  ]);
  return rows.length > 0 ? em.map(SessionEntity, rows[0]) : null;
}

/** Sessions, who holds them, and the chats bound to them. Each call uses its own unit of work. */
@Injectable()
export class SessionsStore {
  constructor(private readonly database: Database) {}

  async session(sessionId: string): Promise<SessionEntity | null> {
    return this.database.em().findOne(SessionEntity, sessionId);
  }

  /** The session a chat is bound to, if any. */
  boundSession(channel: string, chatId: string): Promise<SessionEntity | null> {
    return sessionOfChatIn(this.database.em(), { channel, chatId });
  }

  /** A new, empty session with `agent`, bound to the chat (which had none). */
  async openSession(channel: string, chatId: string, agent: string): Promise<string> {
    return this.database.em().transactional(async (em) => {
      const { session } = openSessionIn(em, { agent }, { channel, chatId });
      await em.flush();
      return session.id;
    });
  }

  /**
   * A session that watches an existing tmux session (the bridge), bound to the chat that
   * asked (replacing what it followed), with the task that runs the watching.
   */
  async createBridge(channel: string, chatId: string, target: string, agent: string, by: string): Promise<TaskAccepted> {
    return this.database.em().transactional(async (em) => {
      const { session } = openSessionIn(em, { agent, tmuxSession: target });
      const task = queueTaskIn(em, { sessionId: session.id, agent, prompt: target, channel, chatId }, `bridge to tmux session ${target}`, by);
      await em.flush();
      await bindChatIn(em, { channel, chatId }, session.id, 'live');
      return { taskId: task.id, sessionId: session.id, duplicate: false, outcome: 'task' };
    });
  }

  /** Binds a chat to a session (replacing what it followed), with how it wants output. */
  async bindChat(channel: string, chatId: string, sessionId: string, delivery: Delivery): Promise<void> {
    await bindChatIn(this.database.em(), { channel, chatId }, sessionId, delivery);
  }

  /** The chat follows no session (of `sessionId` only, when given); false when it followed none (or another). */
  async unbindChat(channel: string, chatId: string, sessionId?: string): Promise<boolean> {
    return (await this.database.em().nativeDelete(BindingEntity, { channel, chatId, ...(sessionId ? { sessionId } : {}) })) > 0;
  }

  /** The chats that follow a session. */
  async bindings(sessionId: string): Promise<BindingV1[]> {
    const rows = await this.database.em().find(BindingEntity, { sessionId }, { orderBy: { createdAt: 'asc' } });
    return rows.map((r) => ({ channel: r.channel, chatId: r.chatId, delivery: r.delivery }));
  }

  /**
   * The chats Patchbay knows, most recently seen first: every chat a message came from, and
   * every bound chat (a job's chat is bound before its first firing), with the session it
   * follows. `chat`: that one only (empty when it is unknown).
   */
  async knownChats(limit: number, chat?: Chat): Promise<KnownChatV1[]> {
    const only = chat ? 'and channel = ? and chat_id = ?' : '';
    const params = chat ? [chat.channel, chat.chatId] : [];
    const rows: Array<{ channel: string; chat_id: string; session_id: string | null; last_seen_at: Date }> = await this.database
      .em()
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

  async updateSession(sessionId: string, change: { agent?: string; model?: string | null; agentSessionId?: null }): Promise<void> {
    await this.database.em().nativeUpdate(SessionEntity, { id: sessionId }, { ...change, updatedAt: new Date() });
  }

  /**
   * Marks the session running if it was not and has a queued task, in one statement, and
   * gives it as claimed; null when another run holds it or nothing is queued (so an idle
   * session never flaps to running).
   */
  async claimQueuedSession(sessionId: string): Promise<SessionEntity | null> {
    const em = this.database.em();
    const rows: Record<string, unknown>[] = await em.execute(
      `update "session" set "status" = 'running', "updated_at" = now()
        where "id" = ? and "status" <> 'running' and exists (select 1 from "task" where "session_id" = ? and "status" = 'queued')
        returning *`,
      [sessionId, sessionId],
    );
    return rows.length > 0 ? em.map(SessionEntity, rows[0]) : null;
  }

  async releaseSession(sessionId: string): Promise<void> {
    await this.database.em().nativeUpdate(SessionEntity, { id: sessionId }, { status: 'idle', updatedAt: new Date() });
  }

  /** A runner took the run (it may still wait for a slot there). */
  async runAccepted(sessionId: string, runnerId: string): Promise<void> {
    await this.database.em().nativeUpdate(SessionEntity, { id: sessionId }, { runnerId, updatedAt: new Date() });
  }

  async rememberAgentSession(sessionId: string, agentSessionId: string): Promise<void> {
    await this.database.em().nativeUpdate(SessionEntity, { id: sessionId }, { agentSessionId, updatedAt: new Date() });
  }

  /** Sessions holding a run (of one runner, if given). */
  async runningSessions(runnerId?: string): Promise<SessionEntity[]> {
    return this.database.em().find(SessionEntity, { status: 'running', ...(runnerId ? { runnerId } : {}) });
  }

  /** Sessions that have queued work and no run: what a starting engine must pick up. */
  async idleSessionsWithQueuedTasks(): Promise<string[]> {
    const rows: Array<{ session_id: string }> = await this.database
      .em()
      .getConnection()
      .execute(
        `select distinct t.session_id from task t join session s on s.id = t.session_id
          where t.status = 'queued' and s.status <> 'running'`,
      );
    return rows.map((r) => r.session_id);
  }

  async listSessions(limit: number): Promise<SessionV1[]> {
    const rows = await this.database.em().find(SessionEntity, {}, { orderBy: { updatedAt: 'desc' }, limit });
    return rows.map(toSessionV1);
  }

  /**
   * The newest sessions that pass the filter, each with its latest task and its chats: one
   * statement for the whole page (the task and the chats joined laterally, as JSON).
   */
  async sessionOverviews(filter: SessionFilter): Promise<SessionOverview[]> {
    const em = this.database.em();
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
      holds('(exists (select 1 from "binding" b where b."session_id" = s."id" and b."channel" = ?) or latest."channel" = ?)', filter.channel, filter.channel);
    }
    const rows: Array<Record<string, unknown> & { latest_task: Record<string, unknown> | null; chats: BindingV1[] }> = await em.execute(
      `select s.*, to_jsonb(latest) as "latest_task", chats."list" as "chats"
         from "session" s
         left join lateral (select t.* from "task" t where t."session_id" = s."id" order by t."created_at" desc, t."id" desc limit 1) latest on true
         cross join lateral (select coalesce(json_agg(json_build_object('channel', b."channel", 'chatId', b."chat_id", 'delivery', b."delivery")
                                                 order by b."created_at", b."id"), '[]') as "list"
                               from "binding" b where b."session_id" = s."id") chats
        ${where.length ? `where ${where.join(' and ')}` : ''} order by s."updated_at" desc, s."id" limit ?`,
      [...params, filter.limit],
    );
    return rows.map(({ latest_task, chats, ...session }) => ({
      session: em.map(SessionEntity, session),
      task: latest_task ? em.map(TaskEntity, latest_task) : null,
      bindings: chats,
    }));
  }
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
