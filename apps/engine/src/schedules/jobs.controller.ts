import { Controller } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import { OnBusRequest } from '@patchbay/bus';
import { JobEnableV1, JobListV1, JobNameV1, JobRunListV1, JobRunsQueryV1, JobRunV1, JobSpecV1, JobV1 } from '@patchbay/contracts';
import { AccessStore } from '@patchbay/persistence';
import { ENGINE_QUEUE } from '../engine.constants';
import { JobsService } from './jobs.service';

/** Scheduled jobs over the bus: what the gateway's /api/jobs and `patchbay jobs` use. Changes are audited. */
@Controller()
export class JobsController {
  constructor(
    private readonly jobs: JobsService,
    private readonly auditLog: AccessStore,
  ) {}

  @OnBusRequest('jobs.list', { queue: ENGINE_QUEUE })
  async list(): Promise<JobListV1> {
    return { jobs: await this.jobs.list() };
  }

  @OnBusRequest('jobs.add', { queue: ENGINE_QUEUE })
  async add(@Payload() spec: JobSpecV1): Promise<JobV1> {
    const job = await this.jobs.add(spec);
    await this.audit(spec.by, 'job.add', job.name, job.cron ?? (job.every ? `every ${job.every}` : `at ${job.at}`));
    return job;
  }

  @OnBusRequest('jobs.remove', { queue: ENGINE_QUEUE })
  async remove(@Payload() query: JobNameV1): Promise<JobV1> {
    const job = await this.jobs.remove(query.name);
    await this.audit(query.by, 'job.remove', job.name);
    return job;
  }

  @OnBusRequest('jobs.enable', { queue: ENGINE_QUEUE })
  async enable(@Payload() query: JobEnableV1): Promise<JobV1> {
    const job = await this.jobs.setEnabled(query.name, query.enabled);
    await this.audit(query.by, query.enabled ? 'job.enable' : 'job.disable', job.name);
    return job;
  }

  @OnBusRequest('jobs.run', { queue: ENGINE_QUEUE })
  async run(@Payload() query: JobNameV1): Promise<JobRunV1> {
    const run = await this.jobs.runNow(query.name);
    await this.audit(query.by, 'job.run', query.name, `task ${run.taskId ?? 'none'}`);
    return run;
  }

  @OnBusRequest('jobs.runs', { queue: ENGINE_QUEUE })
  async runs(@Payload() query: JobRunsQueryV1): Promise<JobRunListV1> {
    return { runs: await this.jobs.runs(query.name, query.limit) };
  }

  private audit(by: string | undefined, action: string, target: string, detail: string | null = null): Promise<void> {
    return this.auditLog.audit({ actor: by ?? 'bus', principalId: null, action, target: `job:${target}`, decision: 'allow', detail });
  }
}
