import { BadRequestException, Body, Controller, Headers, Inject, Post, Res } from '@nestjs/common';
import { Response } from 'express';
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { INBOUND_QUEUE, InboundQueue, Submitted } from '@patchbay/bus';
import { PATCHBAY_CONFIG, PatchbayConfig } from '@patchbay/config';
import { InboundMessageV1, MAX_INBOUND_TEXT, newId, textField } from '@patchbay/contracts';
import { ApiCaller, Caller, vouchOf } from './auth/caller';
import { MinRole } from './auth/route-access.decorator';
import { parseBody } from './parse-body';
import { answerSubmitted } from './submitted-answer';

const PostMessageBody = z
  .object({
    text: textField().trim().min(1, 'must not be empty').max(MAX_INBOUND_TEXT),
    chat: z
      .string()
      .min(1)
      .max(200)
      .regex(/^[\w.:@-]+$/, 'letters, digits and . : @ _ - only')
      .optional(),
  })
  .strict();

/**
 * The HTTP channels: `local` for the tokenless CLI, page or scripts on this machine; `api`
 * for a token's holder, whom the gateway vouches for with the token's role.
 */
@Controller('api/messages')
@MinRole('operator')
export class MessagesController {
  constructor(
    @Inject(INBOUND_QUEUE) private readonly inbound: InboundQueue,
    @Inject(PATCHBAY_CONFIG) private readonly config: PatchbayConfig,
  ) {}

  /**
   * 201 when the message started a task or went into a live session, 200 for a command
   * (its answer in `reply`), 403 when the sender may not do this (the reason in `message`),
   * 202 when the message is stored but the engine has not answered yet (it is busy or
   * restarting, or the bus failed after storing it: the message runs when the engine is
   * back), 422 for an Idempotency-Key already used with another body (or chat), 503 with
   * Retry-After when the bus could not take it (BusErrorFilter, `bus_unavailable`).
   */
  @Post()
  async post(
    @Body() body: unknown,
    @Res({ passthrough: true }) res: Response,
    @Caller() caller: ApiCaller,
    @Headers('idempotency-key') idempotencyKey?: string,
  ): Promise<Submitted | (Submitted & { messageId: string })> {
    const { text, chat } = parseBody(PostMessageBody, body);
    if (idempotencyKey !== undefined && !/^[\w.:-]{1,200}$/.test(idempotencyKey)) {
      throw new BadRequestException('Idempotency-Key: 1-200 letters, digits and . : _ - only');
    }
    // A retried request with the same key is recognised and not run twice; the same key
    // with another body is refused (422), not answered as the first.
    const messageId = idempotencyKey ?? newId(20);
    const message: InboundMessageV1 = {
      ...senderOf(caller),
      messageId,
      chatId: chat ?? null,
      text,
      receivedAt: new Date().toISOString(),
    };
    if (idempotencyKey !== undefined) message.contentDigest = contentDigest(message);
    const accepted = await this.inbound.submit(message, this.config.bus.requestTimeoutMs);
    return answerSubmitted('queued' in accepted ? { ...accepted, messageId } : accepted, res);
  }
}

/** Channel, account and sender of a caller's messages: the engine believes an `api` vouch up to owner. */
function senderOf(caller: ApiCaller): Pick<InboundMessageV1, 'channel' | 'accountId' | 'sender'> {
  if (caller.kind === 'local') return { channel: 'local', accountId: 'local', sender: { id: 'local', name: caller.user } };
  return {
    channel: 'api',
    accountId: 'api',
    sender: { id: caller.name, name: caller.name, vouch: vouchOf(caller) },
  };
}

/** What identifies a message's content under a client's key: who, where, what. */
function contentDigest(message: InboundMessageV1): string {
  return createHash('sha256')
    .update(JSON.stringify([message.sender.id, message.chatId, message.text]))
    .digest('hex');
}
