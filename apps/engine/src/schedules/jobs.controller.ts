import { Controller } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import { OnBusRequest } from '@patchbay/bus';
import { JobEnableV1, JobListV1, JobNameV1, JobRunListV1, JobRunsQueryV1, JobRunV1, JobSpecV1, JobV1 } from '@patchbay/contracts';
import { ENGINE_QUEUE } from '../engine.constants';
import { SchedulerService } from './scheduler.service';

/** Scheduled jobs over the bus: what the gateway's /api/jobs and `patchbay jobs` use. */
@Controller()
export class JobsController {
  constructor(private readonly scheduler: SchedulerService) {}

  @OnBusRequest('jobs.list', { queue: ENGINE_QUEUE })
  async list(): Promise<JobListV1> {
    return { jobs: await this.scheduler.list() };
  }

  @OnBusRequest('jobs.add', { queue: ENGINE_QUEUE })
  add(@Payload() spec: JobSpecV1): Promise<JobV1> {
    return this.scheduler.add(spec);
  }

  @OnBusRequest('jobs.remove', { queue: ENGINE_QUEUE })
  remove(@Payload() query: JobNameV1): Promise<JobV1> {
    return this.scheduler.remove(query.name);
  }

  @OnBusRequest('jobs.enable', { queue: ENGINE_QUEUE })
  enable(@Payload() query: JobEnableV1): Promise<JobV1> {
    return this.scheduler.setEnabled(query.name, query.enabled);
  }

  @OnBusRequest('jobs.run', { queue: ENGINE_QUEUE })
  run(@Payload() query: JobNameV1): Promise<JobRunV1> {
    return this.scheduler.runNow(query.name);
  }

  @OnBusRequest('jobs.runs', { queue: ENGINE_QUEUE })
  async runs(@Payload() query: JobRunsQueryV1): Promise<JobRunListV1> {
    return { runs: await this.scheduler.runs(query.name, query.limit) };
  }
}
