import { DynamicModule, Logger, Module } from '@nestjs/common';
import { AgentHost, agentProfiles, surveyAgents, SystemAgentHost } from '@patchbay/agents';
import { PersistenceModule } from '@patchbay/persistence';
import { SecurityModule } from '@patchbay/security';
import { AccessController } from './access/access.controller';
import { AccessService } from './access/access.service';
import { PrincipalAdmin } from './access/principal-admin';
import { RefusedMessages } from './access/refused-messages';
import { ApprovalPolicy } from './approvals/approval-policy';
import { ApprovalsController } from './approvals/approvals.controller';
import { ApprovalsService } from './approvals/approvals.service';
import { Clock, SystemClock } from '@patchbay/config';
import { EffectApplier } from './commands/effect-applier';
import { BindingsController } from './sessions/bindings.controller';
import { SessionBindings } from './sessions/session-bindings';
import { SessionSummaries } from './sessions/session-summaries';
import { SessionSummaryReader } from './sessions/session-summary-reader';
import { SessionTyping } from './sessions/session-typing';
import { SessionTypingController } from './sessions/session-typing.controller';
import { AGENT_PROFILES, AGENT_SURVEY, DATABASE_LABEL } from './engine.constants';
import { EngineController } from './engine.controller';
import { DeadLettersController } from './inbound/dead-letters.controller';
import { InboundController } from './inbound/inbound.controller';
import { InboundService } from './inbound/inbound.service';
import { RunsController } from './runs/runs.controller';
import { RunsService } from './runs/runs.service';
import { PendingWork } from './pending-work';
import { QueriesController } from './queries.controller';
import { Router } from './routing/router';
import { PATCHBAY_CONFIG, PatchbayConfig } from '@patchbay/config';
import { JobsController } from './schedules/jobs.controller';
import { JobsService } from './schedules/jobs.service';
import { InboundSink, SchedulerService } from './schedules/scheduler.service';
import type { AgentSurveyV1 } from '@patchbay/contracts';

/** The engine: the only writer of the database. */
@Module({})
export class EngineModule {
  /**
   * `clock` replaces the real one (tests move time with it); `agentHost` what the agent
   * survey reads of this machine; `databaseLabel` names the database in status answers.
   */
  static forRoot(options: { databaseUrl: string; databaseLabel?: string; clock?: Clock; agentHost?: AgentHost }): DynamicModule {
    return {
      module: EngineModule,
      imports: [PersistenceModule.forRoot({ url: options.databaseUrl }), SecurityModule],
      controllers: [
        EngineController,
        RunsController,
        InboundController,
        QueriesController,
        AccessController,
        DeadLettersController,
        ApprovalsController,
        JobsController,
        SessionTypingController,
        BindingsController,
      ],
      providers: [
        RunsService,
        PendingWork,
        InboundService,
        AccessService,
        PrincipalAdmin,
        RefusedMessages,
        EffectApplier,
        SessionBindings,
        SessionSummaryReader,
        SessionSummaries,
        SessionTyping,
        { provide: AGENT_PROFILES, inject: [PATCHBAY_CONFIG], useFactory: (config: PatchbayConfig) => agentProfiles(config) },
        // Once, at start: probing agents reads files and may run a CLI's login check.
        { provide: AGENT_SURVEY, inject: [PATCHBAY_CONFIG], useFactory: (config: PatchbayConfig) => loggedSurvey(config, options.agentHost ?? new SystemAgentHost()) },
        { provide: DATABASE_LABEL, useValue: options.databaseLabel ?? 'PostgreSQL' },
        {
          provide: Router,
          inject: [PATCHBAY_CONFIG, AGENT_SURVEY],
          useFactory: (config: PatchbayConfig, survey: AgentSurveyV1) => new Router(config, survey.defaultAgent),
        },
        ApprovalsService,
        { provide: ApprovalPolicy, inject: [PATCHBAY_CONFIG], useFactory: (config: PatchbayConfig) => new ApprovalPolicy(config) },
        { provide: Clock, useValue: options.clock ?? new SystemClock() },
        SchedulerService,
        JobsService,
        // Scheduled firings take the engine's inbound path, as a user's message does.
        { provide: InboundSink, useExisting: InboundService },
      ],
    };
  }
}

function loggedSurvey(config: PatchbayConfig, host: AgentHost): AgentSurveyV1 {
  const survey = surveyAgents(config, host);
  const logger = new Logger('Agents');
  logger.log(`default agent: ${survey.defaultAgent}${config.defaultAgent ? ' (configured)' : ''}`);
  if (survey.notice) logger.warn(survey.notice);
  const chosen = survey.agents.find((a) => a.name === survey.defaultAgent);
  if (chosen && chosen.state !== 'ok') logger.warn(`defaultAgent ${chosen.name}: ${chosen.detail}: ${chosen.fix}`);
  return survey;
}
