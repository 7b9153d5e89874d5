import { BadRequestException, Body, Controller, Get, HttpCode, HttpStatus, Param, Post, Query } from '@nestjs/common';
import { Bus } from '@patchbay/bus';
import { ApprovalDecideV1, ApprovalListV1, ApprovalV1 } from '@patchbay/contracts';
import { actingUserOf, ApiCaller, Caller } from './auth/caller';
import { MinRole } from './auth/route-access.decorator';
import { parseBody } from './parse-body';
import { listLimit, requireId } from './query-params';

/** The body of an answer: the decision, and for a denial an optional reason the agent is told. */
const AnswerBody = ApprovalDecideV1.pick({ decision: true, reason: true }).strict();

/**
 * What agents wait for a person to allow. Errors: 404 for no such request, 409 when it was
 * already decided (the message says by whom), 403 when the caller may not approve.
 */
@Controller('api/approvals')
export class ApprovalsHttpController {
  constructor(private readonly bus: Bus) {}

  /** Pending requests, newest first (`?all=1`: of any status); `?session=<id>`: of one session. */
  @Get()
  @MinRole('viewer')
  list(@Query('session') session?: string, @Query('all') all?: string, @Query('limit') limit?: string): Promise<ApprovalListV1> {
    if (all !== undefined && all !== '1' && all !== '0') throw new BadRequestException('all: expected 1 or 0');
    return this.bus.request('approvals.list', {
      ...(session !== undefined ? { sessionId: requireId(session, 'session') } : {}),
      pendingOnly: all !== '1',
      limit: listLimit(limit, 100),
    });
  }

  /**
   * Any caller gets through to the engine, which refuses a viewer (ROLE_ALLOWS `approve`)
   * and audits the refusal, as for a viewer pressing a chat's button: one place decides who
   * may answer and records who tried. Refused here, a viewer's answer would leave no trace,
   * and the gateway would need a bus subject to write audit entries that no other caller
   * should have. The token's role travels as the gateway's vouch on the signed request.
   */
  @Post(':id')
  @MinRole('viewer')
  @HttpCode(HttpStatus.OK)
  decide(@Param('id') id: string, @Body() body: unknown, @Caller() caller: ApiCaller): Promise<ApprovalV1> {
    const answer = parseBody(AnswerBody, body);
    return this.bus.request('approvals.decide', { approvalId: requireId(id, 'approval'), ...answer, by: actingUserOf(caller) });
  }
}
