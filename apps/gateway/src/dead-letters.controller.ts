import { Controller, Get, Query } from '@nestjs/common';
import { Bus } from '@patchbay/bus';
import { DeadLetterListV1 } from '@patchbay/contracts';
import { MinRole } from './auth/route-access.decorator';
import { listLimit } from './query-params';

/** Inbound messages the engine gave up on: operators see who sent what, when, and why it failed. */
@Controller('api/inbound')
@MinRole('operator')
export class DeadLettersHttpController {
  constructor(private readonly bus: Bus) {}

  @Get('dead')
  list(@Query('limit') limit?: string): Promise<DeadLetterListV1> {
    return this.bus.request('query.inbound.dead', { limit: listLimit(limit) });
  }
}
