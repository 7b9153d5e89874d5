import { Controller } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import { AppError, OnBusRequest } from '@patchbay/bus';
import { BindingAttachV1, BindingDetachV1, BindingListV1, KnownChatListV1, ListQueryV1 } from '@patchbay/contracts';
import { AccessStore, SessionsStore } from '@patchbay/persistence';
import { ENGINE_QUEUE } from '../engine.constants';
import { SessionBindings } from './session-bindings';

/**
 * Which chats follow a session, changed from the dashboard (the gateway checked the
 * operator's role). Only chats Patchbay knows can be attached: a chat it never heard from
 * may not exist, and a typo would silently swallow the session's output. Audited with
 * who asked.
 */
@Controller()
export class BindingsController {
  constructor(
    private readonly sessions: SessionsStore,
    private readonly bindings: SessionBindings,
    private readonly auditLog: AccessStore,
  ) {}

  @OnBusRequest('query.chats', { queue: ENGINE_QUEUE })
  async chats(@Payload() query: ListQueryV1): Promise<KnownChatListV1> {
    return { chats: await this.sessions.knownChats(query.limit) };
  }

  @OnBusRequest('bindings.attach', { queue: ENGINE_QUEUE })
  async attach(@Payload() request: BindingAttachV1): Promise<BindingListV1> {
    const chat = { channel: request.channel, chatId: request.chatId };
    if (!(await this.sessions.session(request.sessionId))) throw new AppError('not_found', `no session ${request.sessionId}`);
    const [known] = await this.sessions.knownChats(1, chat);
    if (!known) throw new AppError('not_found', `Patchbay knows no chat ${request.chatId} on channel ${request.channel} (no message came from it)`);
    const bindings = await this.bindings.bind(chat, request.sessionId, request.delivery, known.sessionId);
    const left = known.sessionId && known.sessionId !== request.sessionId ? `, leaving session ${known.sessionId}` : '';
    await this.audit(request.by, 'binding.attach', request.sessionId, `${request.channel}:${request.chatId} (${request.delivery})${left}`);
    return { bindings };
  }

  @OnBusRequest('bindings.detach', { queue: ENGINE_QUEUE })
  async detach(@Payload() request: BindingDetachV1): Promise<BindingListV1> {
    const bindings = await this.bindings.detach({ channel: request.channel, chatId: request.chatId }, request.sessionId);
    if (!bindings) throw new AppError('not_found', `chat ${request.chatId} on channel ${request.channel} is not attached to session ${request.sessionId}`);
    await this.audit(request.by, 'binding.detach', request.sessionId, `${request.channel}:${request.chatId}`);
    return { bindings };
  }

  private audit(by: string, action: string, sessionId: string, detail: string): Promise<void> {
    return this.auditLog.audit({ actor: by, principalId: null, action, target: `session:${sessionId}`, decision: 'allow', detail });
  }
}
