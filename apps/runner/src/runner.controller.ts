import { Controller } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import { OnBusEvent, OnBusRequest } from '@patchbay/bus';
import { ApprovalV1, RunAcceptedV1, RunRequestV1 } from '@patchbay/contracts';
import { RUNNERS_QUEUE } from './runner.constants';
import { RunnerService } from './runner.service';

@Controller()
export class RunnerController {
  constructor(private readonly runner: RunnerService) {}

  @OnBusRequest('runner.run', { queue: RUNNERS_QUEUE })
  run(@Payload() request: RunRequestV1): Promise<RunAcceptedV1> {
    return this.runner.accept(request);
  }

  @OnBusEvent('approval.decided')
  approvalDecided(@Payload() approval: ApprovalV1): void {
    this.runner.approvalDecided(approval);
  }

  @OnBusEvent('runner.announce')
  announce(): void {
    this.runner.announce();
  }
}
