import { Controller, Inject } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import { OnBusEvent, OnBusRequest, safeDescription } from '@patchbay/bus';
import {
  AgentSurveyV1,
  EngineStatusV1,
  OutputEventV1,
  RunnerHeartbeatV1,
} from '@patchbay/contracts';
import { Database } from '@patchbay/persistence';
import { AGENT_SURVEY, DATABASE_LABEL, ENGINE_QUEUE } from './engine.constants';
import { EngineService } from './engine.service';

@Controller()
export class EngineController {
  constructor(
    private readonly engine: EngineService,
    private readonly database: Database,
    @Inject(AGENT_SURVEY) private readonly agents: AgentSurveyV1,
    @Inject(DATABASE_LABEL) private readonly databaseLabel: string,
  ) {}

  @OnBusEvent('session.*.output', { queue: ENGINE_QUEUE })
  output(@Payload() event: OutputEventV1): Promise<void> {
    return this.engine.recordOutput(event);
  }

  @OnBusEvent('runner.heartbeat')
  heartbeat(@Payload() heartbeat: RunnerHeartbeatV1): Promise<void> {
    return this.engine.runnerSeen(heartbeat);
  }

  @OnBusRequest('engine.status', { queue: ENGINE_QUEUE })
  async status(): Promise<EngineStatusV1> {
    try {
      await this.database.ping();
      return { database: { ok: true, detail: `connected to ${this.databaseLabel}` }, agents: this.agents };
    } catch (error) {
      // Readiness is public: what failed, never the statement (a driver error's message quotes it).
      return { database: { ok: false, detail: `${this.databaseLabel}: ${safeDescription(error)}` }, agents: this.agents };
    }
  }
}
