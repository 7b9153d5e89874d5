import { Body, Controller, Get, Param, Post, Query } from '@nestjs/common';
import { userInfo } from 'node:os';
import { z } from 'zod';
import { Bus } from '@patchbay/bus';
import { PrincipalV1, Role } from '@patchbay/contracts';
import { listLimit } from './query-params';
import { parseBody } from './parse-body';

const ApproveBody = z.object({ role: Role.default('operator') }).strict();

/**
 * Pairing and access for the owner at this machine: the HTTP API listens on loopback, and
 * its local users are owners by default (`access.owners: [local:*]`).
 */
@Controller('api')
export class AccessHttpController {
  constructor(private readonly bus: Bus) {}

  @Get('pairing')
  pairings() {
    return this.bus.request('access.pairings', {});
  }

  @Post('pairing/:code/approve')
  approve(@Param('code') code: string, @Body() body: unknown): Promise<PrincipalV1> {
    const { role } = parseBody(ApproveBody, body ?? {});
    return this.bus.request('access.pair.approve', { code, role, by: `local:${userInfo().username}` });
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
