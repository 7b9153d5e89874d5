import { Controller, Get, HttpException, HttpStatus, Req, Res } from '@nestjs/common';
import { Request, Response } from 'express';
import { Bus } from '@patchbay/bus';
import { RunnerSeenV1 } from '@patchbay/contracts';
import { MinRole } from './auth/route-access.decorator';
import { RunnerRegistry } from './runner-registry.service';
import { SessionStreams } from './session-streams.service';

/** The dashboard's overview: the runners and their line, and one live stream of everything that changes. */
@Controller('api')
@MinRole('viewer')
export class OverviewController {
  constructor(
    private readonly bus: Bus,
    private readonly runners: RunnerRegistry,
    private readonly streams: SessionStreams,
  ) {}

  /** The live runners (last heartbeat, when it came) and how many tasks are queued for a run. */
  @Get('runners')
  async list(): Promise<{ runners: RunnerSeenV1[]; queued: number }> {
    const { queued } = await this.bus.request('query.tasks.queued', {});
    return { runners: this.runners.seen(), queued };
  }

  /**
   * Server-sent events: `session` (SessionSummaryV1, on every status, task or chat change),
   * `approval` (ApprovalV1, asked and decided), `runner` (RunnerHeartbeatV1, leaving ones
   * too); a keepalive comment every 15 s. Counts against the same stream slots as the
   * session streams (429 past them); ends only when the client goes or the gateway stops.
   */
  @Get('events')
  async events(@Req() req: Request, @Res() res: Response): Promise<void> {
    const started = await this.streams.startOverview(res, req.socket.remoteAddress ?? 'unknown');
    if (started.result === 'too_many') throw new HttpException(started.reason, HttpStatus.TOO_MANY_REQUESTS);
  }
}
