import { Body, Controller, Get, Param, Post, Query } from '@nestjs/common';
import { z } from 'zod';
import { Bus } from '@patchbay/bus';
import { PrincipalV1, Role } from '@patchbay/contracts';
import { ApiCaller, actorOf, Caller } from './auth/caller';
import { MinRole } from './auth/route-access.decorator';
import { listLimit } from './query-params';
import { parseBody } from './parse-body';

const ApproveBody = z.object({ role: Role.default('operator') }).strict();

/** Pairing and access: owners only (an owner token, or the local user on a tokenless loopback setup). */
@Controller('api')
@MinRole('owner')
export class AccessHttpController {
  constructor(private readonly bus: Bus) {}

  @Get('pairing')
  pairings() {
    return this.bus.request('access.pairings', {});
  }

  @Post('pairing/:code/approve')
  approve(@Param('code') code: string, @Body() body: unknown, @Caller() caller: ApiCaller): Promise<PrincipalV1> {
    const { role } = parseBody(ApproveBody, body ?? {});
    return this.bus.request('access.pair.approve', { code, role, by: actorOf(caller) });
  }

  @Get('principals')
  principals() {
    return this.bus.request('access.principals', {});
  }

  @Get('audit')
  audit(@Query('limit') limit?: string) {
    return this.bus.request('access.audit', { limit: listLimit(limit, 100) });
  }
}
