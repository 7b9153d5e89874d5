import {
  BadRequestException,
  ConflictException,
  Controller,
  Get,
  Headers,
  HttpCode,
  HttpException,
  HttpStatus,
  NotFoundException,
  Param,
  Post,
  Query,
  Req,
  Res,
} from '@nestjs/common';
import { Request, Response } from 'express';
import { Bus, BusError } from '@patchbay/bus';
import { ControlResultV1, ID_PATTERN, SessionSummaryListV1, SessionSummaryV1 } from '@patchbay/contracts';
import { ApiCaller, actorOf, Caller } from './auth/caller';
import { MinRole } from './auth/route-access.decorator';
import { SessionStreams } from './session-streams.service';
import { listLimit, requireId, sessionFilters } from './query-params';

@Controller('api/sessions')
@MinRole('viewer')
export class SessionsController {
  constructor(
    private readonly bus: Bus,
    private readonly streams: SessionStreams,
  ) {}

  /** Newest first; `?status=`, `?agent=`, `?channel=` (a chat's or the latest task's) narrow the list. */
  @Get()
  async list(
    @Query('limit') limit?: string,
    @Query('status') status?: unknown,
    @Query('agent') agent?: unknown,
    @Query('channel') channel?: unknown,
  ): Promise<SessionSummaryListV1> {
    return this.bus.request('query.sessions.list', { limit: listLimit(limit), ...sessionFilters({ status, agent, channel }) });
  }

  @Get(':id')
  async get(@Param('id') id: string): Promise<SessionSummaryV1> {
    const { session } = await this.bus.request('query.sessions.get', { id: requireId(id, 'session') });
    if (!session) throw new NotFoundException(`no session ${id}`);
    return session;
  }

  /**
   * Server-sent events: the session's OutputEventV1s, each with its seq as the SSE id.
   * Replays the stored transcript after `Last-Event-ID` (or `?after=`), then goes live;
   * ends after the final or error event (of `?task=` when given). 429 past
   * `http.maxStreamsPerClient` open streams from this address, or `http.maxStreams` in all.
   */
  @Get(':id/events')
  async events(
    @Param('id') id: string,
    @Req() req: Request,
    @Res() res: Response,
    @Query('after') afterParam?: string,
    @Query('task') task?: string,
    @Headers('last-event-id') lastEventId?: string,
  ): Promise<void> {
    const raw = lastEventId ?? afterParam ?? '0';
    if (!/^\d{1,9}$/.test(raw)) throw new BadRequestException(`${lastEventId ? 'Last-Event-ID' : 'after'}: expected a sequence number`);
    if (task !== undefined && !ID_PATTERN.test(task)) throw new BadRequestException('task: expected a task id');
    const started = await this.streams.start(res, { sessionId: requireId(id, 'session'), after: Number(raw), taskId: task }, req.socket.remoteAddress ?? 'unknown');
    if (started.result === 'too_many') throw new HttpException(started.reason, HttpStatus.TOO_MANY_REQUESTS);
    if (started.result === 'no_session') throw new NotFoundException(`no session ${id}`);
    if (started.result === 'no_task') throw new NotFoundException(`no task ${task} in session ${id}`);
  }

  /** Interrupts the session's run: Ctrl-C for an interactive agent, SIGTERM otherwise. */
  @Post(':id/stop')
  @MinRole('operator')
  @HttpCode(HttpStatus.ACCEPTED)
  stop(@Param('id') id: string, @Caller() caller: ApiCaller): Promise<ControlResultV1> {
    return this.control(id, 'stop', caller);
  }

  /** Ends the session's run by closing its tmux session. */
  @Post(':id/kill')
  @MinRole('operator')
  @HttpCode(HttpStatus.ACCEPTED)
  kill(@Param('id') id: string, @Caller() caller: ApiCaller): Promise<ControlResultV1> {
    return this.control(id, 'kill', caller);
  }

  private async control(id: string, action: 'stop' | 'kill', caller: ApiCaller): Promise<ControlResultV1> {
    try {
      // Only the runner holding the session answers this subject.
      return await this.bus.request('session.*.control', { action, by: actorOf(caller) }, { params: [requireId(id, 'session')] });
    } catch (error) {
      // Nobody holds the session, or its runner says the run already ended.
      if (error instanceof BusError && ['no_responder', 'not_found'].includes(error.code)) throw new ConflictException(`session ${id} has no live run`);
      throw error;
    }
  }
}
