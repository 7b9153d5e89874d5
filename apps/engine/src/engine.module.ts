import { DynamicModule, Module } from '@nestjs/common';
import { PersistenceModule } from '@patchbay/persistence';
import { SecurityModule } from '@patchbay/security';
import { AccessController } from './access/access.controller';
import { AccessService } from './access/access.service';
import { RefusedMessages } from './access/refused-messages';
import { ApprovalPolicy } from './approvals/approval-policy';
import { ApprovalsController } from './approvals/approvals.controller';
import { ApprovalsService } from './approvals/approvals.service';
import { Clock } from './clock';
import { EffectApplier } from './commands/effect-applier';
import { EngineController } from './engine.controller';
import { DeadLettersController } from './inbound/dead-letters.controller';
import { InboundConsumer } from './inbound/inbound.consumer';
import { InboundService } from './inbound/inbound.service';
import { EngineService } from './engine.service';
import { PendingWork } from './pending-work';
import { QueriesController } from './queries.controller';
import { Router } from './routing/router';
import { PATCHBAY_CONFIG, PatchbayConfig } from '@patchbay/config';
import { SchedulesModule } from './schedules/schedules.module';

/** The engine: the only writer of the database. */
@Module({})
export class EngineModule {
  /** `clock` replaces the real one (tests move time with it). */
  static forRoot(options: { databaseUrl: string; clock?: Clock }): DynamicModule {
    return {
      module: EngineModule,
      imports: [PersistenceModule.forRoot({ url: options.databaseUrl }), SchedulesModule, SecurityModule],
      controllers: [EngineController, QueriesController, AccessController, DeadLettersController, ApprovalsController],
      providers: [
        EngineService,
        PendingWork,
        InboundService,
        InboundConsumer,
        AccessService,
        RefusedMessages,
        EffectApplier,
        ApprovalsService,
        { provide: ApprovalPolicy, inject: [PATCHBAY_CONFIG], useFactory: (config: PatchbayConfig) => new ApprovalPolicy(config) },
        { provide: Router, inject: [PATCHBAY_CONFIG], useFactory: (config: PatchbayConfig) => new Router(config) },
        { provide: Clock, useValue: options.clock ?? new Clock() },
      ],
    };
  }
}
