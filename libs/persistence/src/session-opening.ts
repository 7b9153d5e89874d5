import { EntityManager, UniqueConstraintViolationException } from '@mikro-orm/postgresql';
import { BindingV1, Delivery, newId, tmuxSessionOf } from '@patchbay/contracts';
import { BindingEntity, SessionEntity } from './entities';

/** What a new session starts with: its agent, the routing rule that chose it, the tmux session it lives in. */
export interface NewSession {
  agent: string;
  route?: string | null;
  /** Its own tmux session unless given (a bridge watches an existing one). */
  tmuxSession?: string;
}

/** A chat: the channel and its id there. */
export interface Chat {
  channel: string;
  chatId: string;
}

/**
 * Creates a session in `em` and, when `chat` is given, binds that chat to it; the caller
 * flushes, in its own transaction. The chat must have no binding: a bound chat makes the
 * flush fail on the unique (channel, chat id), which callers retry to find the winner.
 */
export function openSessionIn(em: EntityManager, fields: NewSession, chat?: Chat | null): { session: SessionEntity; bound: BindingV1 | null } {
  const id = newId();
  const session = em.create(SessionEntity, { id, agent: fields.agent, route: fields.route ?? null, tmuxSession: fields.tmuxSession ?? tmuxSessionOf(id) });
  if (!chat) return { session, bound: null };
  const binding = em.create(BindingEntity, { id: newId(), channel: chat.channel, chatId: chat.chatId, sessionId: id });
  return { session, bound: { channel: binding.channel, chatId: binding.chatId, delivery: binding.delivery } };
}

/**
 * Binds a chat to a session, replacing what it followed, in one statement. `delivery`: how
 * the chat wants output; without it a chat bound before keeps its own.
 */
export async function bindChatIn(em: EntityManager, chat: Chat, sessionId: string, delivery?: Delivery): Promise<void> {
  await em
    .createQueryBuilder(BindingEntity)
    .insert({ id: newId(), channel: chat.channel, chatId: chat.chatId, sessionId, ...(delivery ? { delivery } : {}), createdAt: new Date() })
    .onConflict(['channel', 'chatId'])
    .merge(delivery ? ['sessionId', 'delivery'] : ['sessionId'])
    .execute('run');
}

/**
 * Runs `attempt` again (up to three times in all) when it lost a race on a unique key: a
 * concurrent writer of the same message or chat committed first, and the next pass sees its rows.
 */
export async function retryOnRace<T>(attempt: (tries: number) => Promise<T>): Promise<T> {
  for (let tries = 1; ; tries++) {
    try {
      return await attempt(tries);
    } catch (error) {
      if (!(error instanceof UniqueConstraintViolationException) || tries >= 3) throw error;
    }
  }
}
