import { Controller, Inject } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import { INBOUND_QUEUE, InboundQueue, OnBusRequest } from '@patchbay/bus';
import { DeadLetterListV1, ListQueryV1 } from '@patchbay/contracts';
import { REDACTOR, Redactor } from '@patchbay/security';
import { ENGINE_QUEUE } from '../engine.constants';

/** How much of a parked message's text a listing shows. */
const TEXT_SHOWN = 200;

/** Lists the inbound messages the engine gave up on (dead letters), for `GET /api/inbound/dead`. */
@Controller()
export class DeadLettersController {
  constructor(
    @Inject(INBOUND_QUEUE) private readonly queue: InboundQueue,
    @Inject(REDACTOR) private readonly redactor: Redactor,
  ) {}

  @OnBusRequest('query.inbound.dead', { queue: ENGINE_QUEUE })
  async list(@Payload() query: ListQueryV1): Promise<DeadLetterListV1> {
    const { count, letters } = await this.queue.deadLetters.list(query.limit);
    return {
      count,
      deadLetters: letters.map(({ id, message, tries, reason, parkedAt }) => {
        // A listing is read by operators: the text without secrets, and only its start.
        const text = this.redactor.redact(message.text);
        return {
          id,
          channel: message.channel,
          chatId: message.chatId,
          sender: message.sender.id,
          messageId: message.messageId,
          receivedAt: message.receivedAt,
          parkedAt,
          tries,
          reason: `${reason.code}: ${reason.message}`,
          text: text.length > TEXT_SHOWN ? `${text.slice(0, TEXT_SHOWN - 1)}…` : text,
        };
      }),
    };
  }
}
