import { Injectable } from '@nestjs/common';
import { Bus } from '@patchbay/bus';
import { BindingV1, Delivery } from '@patchbay/contracts';
import { SessionsStore } from '@patchbay/persistence';
import { SessionSummaries } from './session-summaries';

type Chat = { channel: string; chatId: string };

/**
 * The one owner of `session.*.bindings`: every change of which chats follow a session goes
 * through here, and is announced once stored, with all of the session's chats, so gateways
 * never ask back; the session's summary follows (SessionSummaries).
 */
@Injectable()
export class SessionBindings {
  constructor(
    private readonly sessions: SessionsStore,
    private readonly bus: Bus,
    private readonly summaries: SessionSummaries,
  ) {}

  /** Binds a chat to a session, replacing the one it followed (`previous`): both change. Returns the session's chats now. */
  async bind(chat: Chat, sessionId: string, delivery: Delivery, previous: string | null): Promise<BindingV1[]> {
    await this.sessions.bindChat(chat.channel, chat.chatId, sessionId, delivery);
    const bindings = await this.announce(sessionId);
    if (previous && previous !== sessionId) await this.announce(previous);
    return bindings;
  }

  /** The chat follows no session any more. */
  async unbind(chat: Chat, sessionId: string | null): Promise<void> {
    await this.sessions.unbindChat(chat.channel, chat.chatId);
    if (sessionId) await this.announce(sessionId);
  }

  /** The chat leaves `sessionId`, if it follows that one: the session's chats now, or null when it did not. */
  async detach(chat: Chat, sessionId: string): Promise<BindingV1[] | null> {
    if (!(await this.sessions.unbindChat(chat.channel, chat.chatId, sessionId))) return null;
    return this.announce(sessionId);
  }

  /**
   * A session's chats changed in a write of its own (a session opened with its chat):
   * `bindings` when the caller knows them all, else they are read as stored.
   */
  async announce(sessionId: string, bindings?: BindingV1[]): Promise<BindingV1[]> {
    const now = bindings ?? (await this.sessions.bindings(sessionId));
    this.bus.publish('session.*.bindings', { sessionId, bindings: now }, [sessionId]);
    await this.summaries.changed(sessionId);
    return now;
  }
}
