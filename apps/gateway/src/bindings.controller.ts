import { Body, Controller, Delete, Get, HttpCode, HttpStatus, Param, Post, Query } from '@nestjs/common';
import { Bus } from '@patchbay/bus';
import { BindingListV1, ChatRefV1, Delivery, KnownChatListV1 } from '@patchbay/contracts';
import { ApiCaller, actorOf, Caller } from './auth/caller';
import { MinRole } from './auth/route-access.decorator';
import { parseBody } from './parse-body';
import { listLimit, requireId } from './query-params';

const AttachBody = ChatRefV1.extend({ delivery: Delivery.optional() }).strict();

/**
 * Which chats follow a session, for the dashboard. The engine checks that the session and
 * the chat exist (404 naming what it does not know) and audits who changed what. Chat ids
 * in the path are URL-encoded (GitHub's `owner/repo#1`).
 */
@Controller('api')
@MinRole('operator')
export class BindingsHttpController {
  constructor(private readonly bus: Bus) {}

  /** The chats Patchbay knows, most recently seen first, with the session each follows: what can be attached. */
  @Get('chats')
  @MinRole('viewer')
  chats(@Query('limit') limit?: string): Promise<KnownChatListV1> {
    return this.bus.request('query.chats', { limit: listLimit(limit, 200) });
  }

  @Get('sessions/:id/bindings')
  @MinRole('viewer')
  bindings(@Param('id') id: string): Promise<BindingListV1> {
    return this.bus.request('query.bindings', { id: requireId(id, 'session') });
  }

  /** Attaches a chat (it leaves the session it followed); the session's chats after the change. */
  @Post('sessions/:id/bindings')
  @HttpCode(HttpStatus.OK)
  attach(@Param('id') id: string, @Body() body: unknown, @Caller() caller: ApiCaller): Promise<BindingListV1> {
    const { channel, chatId, delivery } = parseBody(AttachBody, body);
    return this.bus.request('bindings.attach', { sessionId: requireId(id, 'session'), channel, chatId, delivery: delivery ?? 'live', by: actorOf(caller) });
  }

  @Delete('sessions/:id/bindings/:channel/:chatId')
  detach(@Param('id') id: string, @Param('channel') channel: string, @Param('chatId') chatId: string, @Caller() caller: ApiCaller): Promise<BindingListV1> {
    const chat = parseBody(ChatRefV1, { channel, chatId });
    return this.bus.request('bindings.detach', { sessionId: requireId(id, 'session'), ...chat, by: actorOf(caller) });
  }
}
