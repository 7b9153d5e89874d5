import { Module } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { PATCHBAY_CONFIG, PatchbayConfig } from '@patchbay/config';
import { JobsStore } from '@patchbay/persistence';
import type { AgentSurveyV1 } from '@patchbay/contracts';
import { AGENT_SURVEY } from '../engine.constants';
import { InboundService } from '../inbound/inbound.service';
import { JobsController } from './jobs.controller';
import { InboundSink, SchedulerService } from './scheduler.service';
import { SchedulerClock, SystemClock } from './scheduler-clock';

/**
 * Scheduled jobs, inside the engine. EngineModule imports this module, so the providers it
 * needs from the engine (the inbound path, JobsStore of the engine's PersistenceModule)
 * are not injectable here; they are looked up when first used, when every one exists.
 */
@Module({
  controllers: [JobsController],
  providers: [
    { provide: SchedulerClock, useClass: SystemClock },
    {
      provide: SchedulerService,
      inject: [ModuleRef, SchedulerClock, PATCHBAY_CONFIG],
      useFactory: (modules: ModuleRef, clock: SchedulerClock, config: PatchbayConfig) => {
        const inbound: InboundSink = { accept: (message) => modules.get(InboundService, { strict: false }).accept(message) };
        return new SchedulerService({
          get jobs() {
            return modules.get(JobsStore, { strict: false });
          },
          get defaultAgent() {
            return modules.get<AgentSurveyV1>(AGENT_SURVEY, { strict: false }).defaultAgent;
          },
          inbound,
          clock,
          config,
        });
      },
    },
  ],
  // The engine's one clock for waiting (approvals time out on it too).
  exports: [SchedulerClock],
})
export class SchedulesModule {}
