import { Controller, Delete, Get, HttpCode, HttpStatus, Inject, NotFoundException, Param, Post, Query, Res } from '@nestjs/common';
import { Response } from 'express';
import { Bus, DEAD_LETTER, INBOUND_QUEUE, InboundQueue, RemoteError, Submitted } from '@patchbay/bus';
import { PATCHBAY_CONFIG, PatchbayConfig } from '@patchbay/config';
import { DeadLetterListV1 } from '@patchbay/contracts';
import { MinRole } from './auth/route-access.decorator';
import { listLimit, requireId } from './query-params';
import { answerSubmitted } from './submitted-answer';

/**
 * Inbound messages the engine gave up on: operators see who sent what, when, and why it
 * failed. Sending one again or dropping it is for owners: a retry acts as its sender did.
 */
@Controller('api/inbound/dead')
@MinRole('operator')
export class DeadLettersHttpController {
  constructor(
    private readonly bus: Bus,
    @Inject(INBOUND_QUEUE) private readonly inbound: InboundQueue,
    @Inject(PATCHBAY_CONFIG) private readonly config: PatchbayConfig,
  ) {}

  @Get()
  list(@Query('limit') limit?: string): Promise<DeadLetterListV1> {
    return this.bus.request('query.inbound.dead', { limit: listLimit(limit) });
  }

  /**
   * Hands the parked message to the engine again, as first sent: the engine's answer, with
   * the statuses of `POST /api/messages`. The letter goes once the engine has it; a
   * message that fails again is parked anew (502, `dead_letter`, the new id).
   */
  @Post(':id/retry')
  @MinRole('owner')
  async retry(@Param('id') id: string, @Res({ passthrough: true }) res: Response): Promise<Submitted> {
    const letter = await this.inbound.deadLetters.find(requireId(id, 'dead letter'));
    if (!letter) throw new NotFoundException(`no dead letter ${id}`);
    try {
      const answer = await this.inbound.submit(letter.message, this.config.bus.requestTimeoutMs);
      await this.inbound.deadLetters.remove(letter.id);
      return answerSubmitted(answer, res);
    } catch (error) {
      if (error instanceof RemoteError && error.code === DEAD_LETTER) await this.inbound.deadLetters.remove(letter.id);
      throw error;
    }
  }

  @Delete(':id')
  @MinRole('owner')
  @HttpCode(HttpStatus.NO_CONTENT)
  async drop(@Param('id') id: string): Promise<void> {
    if (!(await this.inbound.deadLetters.remove(requireId(id, 'dead letter')))) throw new NotFoundException(`no dead letter ${id}`);
  }
}
