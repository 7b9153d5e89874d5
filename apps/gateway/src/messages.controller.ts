import { BadRequestException, Body, Controller, ForbiddenException, Headers, HttpStatus, Inject, Post, Res } from '@nestjs/common';
import { Response } from 'express';
import { createHash } from 'node:crypto';
import { userInfo } from 'node:os';
import { z } from 'zod';
import { INBOUND_QUEUE, InboundQueue, Submitted } from '@patchbay/bus';
import { PATCHBAY_CONFIG, PatchbayConfig } from '@patchbay/config';
import { InboundMessageV1, MAX_INBOUND_TEXT, newId } from '@patchbay/contracts';
import { parseBody } from './parse-body';

const PostMessageBody = z
  .object({
    text: z.string().trim().min(1, 'must not be empty').max(MAX_INBOUND_TEXT),
    chat: z.string().min(1).max(200).regex(/^[\w.:@-]+$/, 'letters, digits and . : @ _ - only').optional(),
  })
  .strict();

/** The local channel: messages from the CLI, the web page or scripts on this machine. */
@Controller('api/messages')
export class MessagesController {
  constructor(
    @Inject(INBOUND_QUEUE) private readonly inbound: InboundQueue,
    @Inject(PATCHBAY_CONFIG) private readonly config: PatchbayConfig,
  ) {}

  /**
   * 201 when the message started a task or went into a live session, 200 for a command
   * (its answer in `reply`), 403 when the sender may not do this (the reason in `message`),
   * 202 when the message is stored but the engine has not answered yet (it is busy or
   * restarting: the message runs when it is back), 422 for an Idempotency-Key already
   * used with another body (or chat).
   */
  @Post()
  async post(
    @Body() body: unknown,
    @Res({ passthrough: true }) res: Response,
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
      channel: 'local',
      accountId: 'local',
      messageId,
      chatId: chat ?? null,
      sender: { id: 'local', name: userInfo().username },
      text,
      receivedAt: new Date().toISOString(),
    };
    if (idempotencyKey !== undefined) message.contentDigest = contentDigest(message);
    const accepted = await this.inbound.submit(message, this.config.bus.requestTimeoutMs);
    if ('queued' in accepted) {
      res.status(HttpStatus.ACCEPTED);
      return { ...accepted, messageId };
    }
    if (accepted.outcome === 'pairing' || accepted.outcome === 'denied') throw new ForbiddenException(accepted.reply);
    res.status(accepted.outcome === 'command' ? HttpStatus.OK : HttpStatus.CREATED);
    return accepted;
  }
}

/** What identifies a message's content under a client's key: who, where, what. */
function contentDigest(message: InboundMessageV1): string {
  return createHash('sha256').update(JSON.stringify([message.sender.id, message.chatId, message.text])).digest('hex');
}
