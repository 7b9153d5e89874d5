import { Controller } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import { OnBusEvent } from '@patchbay/bus';
import { OutputEventV1, RunnerHeartbeatV1 } from '@patchbay/contracts';
import { ENGINE_QUEUE } from '../engine.constants';
import { RunsService } from './runs.service';

/** What runners tell the engine: their runs' output, and that they are alive. */
@Controller()
export class RunsController {
  constructor(private readonly runs: RunsService) {}

  @OnBusEvent('session.*.output', { queue: ENGINE_QUEUE })
  output(@Payload() event: OutputEventV1): Promise<void> {
    return this.runs.recordOutput(event);
  }

  @OnBusEvent('runner.heartbeat')
  heartbeat(@Payload() heartbeat: RunnerHeartbeatV1): Promise<void> {
    return this.runs.runnerSeen(heartbeat);
  }
}
