import { BadRequestException, Body, Controller, Delete, Get, HttpCode, HttpStatus, Param, Post, Query } from '@nestjs/common';
import { Bus } from '@patchbay/bus';
import { JOB_NAME_PATTERN, JobListV1, JobRunListV1, JobRunV1, JobSpecV1, JobV1 } from '@patchbay/contracts';
import { ApiCaller, actorOf, Caller } from './auth/caller';
import { MinRole } from './auth/route-access.decorator';
import { parseBody } from './parse-body';
import { listLimit } from './query-params';

/**
 * Scheduled jobs, kept by the engine. Errors: 400 for a bad schedule or job
 * (invalid_schedule, invalid_job), 409 for a name in use (duplicate), 404 for no such job.
 */
@Controller('api/jobs')
@MinRole('owner')
export class JobsHttpController {
  constructor(private readonly bus: Bus) {}

  @Get()
  @MinRole('viewer')
  list(): Promise<JobListV1> {
    return this.bus.request('jobs.list', {});
  }

  @Post()
  @HttpCode(HttpStatus.CREATED)
  add(@Body() body: unknown, @Caller() caller: ApiCaller): Promise<JobV1> {
    return this.bus.request('jobs.add', { ...parseBody(JobSpecV1, body), by: actorOf(caller) });
  }

  @Delete(':name')
  remove(@Param('name') name: string, @Caller() caller: ApiCaller): Promise<JobV1> {
    return this.bus.request('jobs.remove', { name: jobName(name), by: actorOf(caller) });
  }

  @Post(':name/enable')
  @HttpCode(HttpStatus.OK)
  enable(@Param('name') name: string, @Caller() caller: ApiCaller): Promise<JobV1> {
    return this.bus.request('jobs.enable', { name: jobName(name), enabled: true, by: actorOf(caller) });
  }

  @Post(':name/disable')
  @HttpCode(HttpStatus.OK)
  disable(@Param('name') name: string, @Caller() caller: ApiCaller): Promise<JobV1> {
    return this.bus.request('jobs.enable', { name: jobName(name), enabled: false, by: actorOf(caller) });
  }

  /** Fires the job now, out of its schedule: 201 with the run (its task id). */
  @Post(':name/run')
  @HttpCode(HttpStatus.CREATED)
  run(@Param('name') name: string, @Caller() caller: ApiCaller): Promise<JobRunV1> {
    return this.bus.request('jobs.run', { name: jobName(name), by: actorOf(caller) });
  }

  /** The job's run log, newest first. */
  @Get(':name/runs')
  @MinRole('viewer')
  runs(@Param('name') name: string, @Query('limit') limit?: string): Promise<JobRunListV1> {
    return this.bus.request('jobs.runs', { name: jobName(name), limit: listLimit(limit, 20) });
  }
}

function jobName(raw: string): string {
  if (!JOB_NAME_PATTERN.test(raw)) throw new BadRequestException('job name: expected 1-64 letters, digits, ".", "_" or "-"');
  return raw;
}
