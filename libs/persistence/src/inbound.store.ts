import { Injectable } from '@nestjs/common';
import { EntityManager, UniqueConstraintViolationException } from '@mikro-orm/postgresql';
import { InboundAcceptedV1, InboundMessageV1, newId } from '@patchbay/contracts';
import { Database } from './database';
import { InboundMessageEntity, SessionEntity } from './entities';
import { openSessionIn, retryOnRace } from './session-opening';
import { sessionOfChatIn } from './sessions.store';
import { queueTaskIn, TaskAccepted } from './tasks.store';

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

/**
 * Inbound messages: each recorded once (dedup by channel, account and platform id) with
 * what it led to. Accepting one as a task spans tables (the task, maybe a new session and
 * its chat's binding): that happens here, in one transaction, with the other stores' helpers.
 * Each call uses its own unit of work.
 */
@Injectable()
export class InboundStore {
  constructor(private readonly database: Database) {}

  /**
   * Records an inbound message and the task it starts, in one transaction. A message seen
   * before (same channel, account and platform id) returns the original task: nothing new.
   * `route` is the routing decision for a new session (its agent, the rule that chose it);
   * a message to a bound session goes to that session's agent. `read` is what the caller
   * read just before (the message was new, the session its chat follows): the first try
   * takes it instead of reading again; a try after a lost race reads everything itself.
   */
  acceptInbound(message: InboundMessageV1, route: Route, read?: { bound: SessionEntity | null }): Promise<TaskAccepted> {
    return retryOnRace(async (tries) => {
      const known = tries === 1 ? read : undefined;
      if (!known) {
        const seen = await this.findInbound(message);
        if (seen?.outcome === 'task') return { taskId: seen.taskId!, sessionId: seen.sessionId!, duplicate: true, outcome: 'task' };
        // Handled another way by a concurrent delivery of the same message.
        if (seen) throw new InboundAlreadyHandledError(`message ${message.messageId} was already handled (${seen.outcome})`);
      }
      return this.database.em().transactional((em) => this.insertInbound(em, message, route, known?.bound));
    });
  }

  /**
   * What a message seen before led to; null for a new message. InboundConflictError when
   * both carry a content digest and they differ: the id was reused for something else.
   */
  async findInbound(message: InboundMessageV1): Promise<InboundAcceptedV1 | null> {
    const row = await this.database.em().findOne(InboundMessageEntity, {
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

  /** Input the live session did not take becomes a queued task of that session. */
  async inputToTask(message: InboundMessageV1, sessionId: string): Promise<TaskAccepted> {
    return this.database.em().transactional(async (em) => {
      const session = await em.findOneOrFail(SessionEntity, sessionId);
      const task = queueTaskIn(em, taskOf(message, session), `input the live session did not take; agent ${session.agent}`, senderOf(message));
      await em.nativeUpdate(
        InboundMessageEntity,
        { channel: message.channel, accountId: message.accountId, platformMessageId: message.messageId },
        { taskId: task.id, outcome: 'task' },
      );
      await em.flush();
      return { taskId: task.id, sessionId, duplicate: false, outcome: 'task' };
    });
  }

  /** Stores the message's row unless it is stored already (the unique platform message id). */
  private async recordOnce(message: InboundMessageV1, fields: Pick<InboundMessageEntity, 'outcome' | 'sessionId'> & { reply?: string }): Promise<boolean> {
    try {
      await this.database.em().insert(InboundMessageEntity, { ...inboundRow(message), ...fields });
      return true;
    } catch (error) {
      if (error instanceof UniqueConstraintViolationException) return false;
      throw error;
    }
  }

  /** The message's task, in the session its chat follows or in a new one bound to its chat. */
  private async insertInbound(em: EntityManager, message: InboundMessageV1, newSessionRoute: Route, chatSession?: SessionEntity | null): Promise<TaskAccepted> {
    const followed = chatSession === undefined ? await sessionOfChatIn(em, message) : chatSession;
    const chat = message.chatId ? { channel: message.channel, chatId: message.chatId } : null;
    const opened = followed ? null : openSessionIn(em, { agent: newSessionRoute.agent, route: newSessionRoute.name }, chat);
    const session = followed ?? opened!.session;
    const reason = opened ? newSessionRoute.reason : `agent ${session.agent} of session ${session.id}`;
    const task = queueTaskIn(em, { ...taskOf(message, session), route: opened ? newSessionRoute.name : null }, reason, senderOf(message));
    em.create(InboundMessageEntity, { ...inboundRow(message), taskId: task.id, sessionId: session.id, outcome: 'task' });
    await em.flush();
    const accepted: TaskAccepted = { taskId: task.id, sessionId: session.id, duplicate: false, outcome: 'task' };
    return opened?.bound ? { ...accepted, bound: opened.bound } : accepted;
  }
}

/** The sender as the audit log names them. */
function senderOf(message: InboundMessageV1): string {
  return `${message.channel}:${message.sender.id}`;
}

function taskOf(message: InboundMessageV1, session: SessionEntity) {
  return { sessionId: session.id, agent: session.agent, prompt: message.text, channel: message.channel, chatId: message.chatId };
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
