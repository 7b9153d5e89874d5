import { BadRequestException, Body, Controller, Delete, Get, HttpCode, HttpStatus, Param, Post, Query } from '@nestjs/common';
import { z } from 'zod';
import { Bus } from '@patchbay/bus';
import { AuditQueryV1, PrincipalV1, Role } from '@patchbay/contracts';
import { ApiCaller, actorOf, Caller } from './auth/caller';
import { MinRole } from './auth/route-access.decorator';
import { listLimit, requireId } from './query-params';
import { parseBody } from './parse-body';

const ApproveBody = z.object({ role: Role.default('operator') }).strict();
const RoleBody = z.object({ role: Role }).strict();

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

  /** Refused (409) for the last owner, and for principals patchbay.yaml lists. */
  @Post('principals/:id/role')
  @HttpCode(HttpStatus.OK)
  setRole(@Param('id') id: string, @Body() body: unknown, @Caller() caller: ApiCaller): Promise<PrincipalV1> {
    const { role } = parseBody(RoleBody, body);
    return this.bus.request('access.principal.role', { principalId: requireId(id, 'principal'), role, by: actorOf(caller) });
  }

  /** Its identities become unknown senders again; the principal as it was. Same refusals as a role change. */
  @Delete('principals/:id')
  revoke(@Param('id') id: string, @Caller() caller: ApiCaller): Promise<PrincipalV1> {
    return this.bus.request('access.principal.revoke', { principalId: requireId(id, 'principal'), by: actorOf(caller) });
  }

  /** Newest first; `q` a case-insensitive substring of action, actor or detail, `action` and `actor` exact. */
  @Get('audit')
  audit(@Query('limit') limit?: string, @Query('q') q?: unknown, @Query('action') action?: unknown, @Query('actor') actor?: unknown) {
    return this.bus.request('access.audit', {
      limit: listLimit(limit, 100),
      ...auditFilter('q', q),
      ...auditFilter('action', action),
      ...auditFilter('actor', actor),
    });
  }
}

/** One search parameter: absent or empty means no filter; a repeated or too long one is a 400 naming it. */
function auditFilter(name: 'q' | 'action' | 'actor', raw: unknown): Partial<Record<typeof name, string>> {
  if (raw === undefined || raw === '') return {};
  if (typeof raw !== 'string') throw new BadRequestException(`${name}: expected one text value`);
  const parsed = AuditQueryV1.shape[name].safeParse(raw);
  if (!parsed.success) throw new BadRequestException(`${name}: ${parsed.error.issues[0]?.message ?? 'invalid'}`);
  return { [name]: raw };
}
