import { Controller, Get, Inject } from '@nestjs/common';
import { agentChecks } from '@patchbay/agents';
import { PATCHBAY_CONFIG, PatchbayConfig } from '@patchbay/config';
import { DoctorCheckV1 } from '@patchbay/contracts';
import { MinRole } from './auth/route-access.decorator';
import { Readiness, ReadinessService } from './readiness.service';

/** One part of the doctor's report, from what the running instance says of itself. */
type DoctorCheck = (readiness: Readiness, config: PatchbayConfig) => DoctorCheckV1[];

const line = (name: string, ok: boolean, detail: string, fix: string): DoctorCheckV1 => ({ name, outcome: ok ? 'ok' : 'fail', detail, fix: ok ? null : fix });

/** In order; add a part here to give `patchbay doctor` another line. */
const CHECKS: DoctorCheck[] = [
  ({ checks }, config) => [
    line('bus', checks.bus.ok, checks.bus.detail === 'nats' ? `NATS (prefix ${config.bus.prefix})` : 'in-process (all-in-one)', 'NATS is unreachable: check NATS_URL and that NATS runs'),
  ],
  ({ checks }) => [line('postgresql', checks.database.ok, checks.database.detail, 'start the engine (`patchbay start engine`), and check DATABASE_URL')],
  ({ checks }) => [line('runners', checks.runners.ok, checks.runners.detail, 'start one: `patchbay start runner`')],
  ({ checks }) => [line('tmux', checks.tmux.ok, checks.tmux.detail, "install tmux on the runners' machines (apt-get install tmux, brew install tmux)")],
  ({ engine }) =>
    engine?.agents
      ? agentChecks(engine.agents)
      : [{ name: 'agents', outcome: 'warn', detail: 'the engine did not say which agents it found', fix: 'start the engine, or upgrade it to this version' }],
];

/** `GET /api/doctor`: the running instance's own view of what it uses, for `patchbay doctor`. */
@Controller('api/doctor')
export class DoctorController {
  constructor(
    private readonly readiness: ReadinessService,
    @Inject(PATCHBAY_CONFIG) private readonly config: PatchbayConfig,
  ) {}

  @Get()
  @MinRole('viewer') // names runners, agents and the database
  async report(): Promise<{ checks: DoctorCheckV1[] }> {
    const readiness = await this.readiness.readiness();
    return { checks: CHECKS.flatMap((check) => check(readiness, this.config)) };
  }
}
