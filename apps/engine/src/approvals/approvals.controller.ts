import { Controller } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import { OnBusRequest } from '@patchbay/bus';
import { ApprovalAskV1, ApprovalDecideV1, ApprovalListQueryV1, ApprovalListV1, ApprovalV1 } from '@patchbay/contracts';
import { ENGINE_QUEUE } from '../engine.constants';
import { ApprovalsService } from './approvals.service';

/** Approvals over the bus: runners ask, chats, the CLI and the HTTP API list and answer. */
@Controller()
export class ApprovalsController {
  constructor(private readonly approvals: ApprovalsService) {}

  @OnBusRequest('approval.ask', { queue: ENGINE_QUEUE })
  ask(@Payload() ask: ApprovalAskV1): Promise<ApprovalV1> {
    return this.approvals.ask(ask);
  }

  @OnBusRequest('approvals.list', { queue: ENGINE_QUEUE })
  async list(@Payload() query: ApprovalListQueryV1): Promise<ApprovalListV1> {
    return { approvals: await this.approvals.list(query) };
  }

  @OnBusRequest('approvals.decide', { queue: ENGINE_QUEUE })
  decide(@Payload() request: ApprovalDecideV1): Promise<ApprovalV1> {
    return this.approvals.decide(request);
  }
}
