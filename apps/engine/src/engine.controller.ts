import { Controller, Inject } from '@nestjs/common';
import { OnBusRequest, safeDescription } from '@patchbay/bus';
import { AgentSurveyV1, EngineStatusV1 } from '@patchbay/contracts';
import { Database } from '@patchbay/persistence';
import { AGENT_SURVEY, DATABASE_LABEL, ENGINE_QUEUE } from './engine.constants';

/** The engine's own status: its database, and the agents it found (for /readyz and doctor). */
@Controller()
export class EngineController {
  constructor(
    private readonly database: Database,
    @Inject(AGENT_SURVEY) private readonly agents: AgentSurveyV1,
    @Inject(DATABASE_LABEL) private readonly databaseLabel: string,
  ) {}

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
