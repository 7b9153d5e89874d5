import { Controller, Get, Inject } from '@nestjs/common';
import { Bus, describeError } from '@patchbay/bus';
import { agentChecks } from '@patchbay/agents';
import { PATCHBAY_CONFIG, PatchbayConfig } from '@patchbay/config';
import { DoctorCheckV1 } from '@patchbay/contracts';
import { MinRole } from './auth/route-access.decorator';
import { Readiness, ReadinessService } from './readiness.service';

/** What the running instance says of itself: readiness, and the dead letters waiting (or why not known). */
interface Facts extends Readiness {
  deadLetters: { count: number } | { error: string };
}

/** One part of the doctor's report. */
type DoctorCheck = (facts: Facts, config: PatchbayConfig) => DoctorCheckV1[];

const line = (name: string, ok: boolean, detail: string, fix: string): DoctorCheckV1 => ({ name, outcome: ok ? 'ok' : 'fail', detail, fix: ok ? null : fix });

/** In order; add a part here to give `patchbay doctor` another line. */
const CHECKS: DoctorCheck[] = [
  ({ checks }, config) => [
    line(
      'bus',
      checks.bus.ok,
      checks.bus.detail === 'nats' ? `NATS (prefix ${config.bus.prefix})` : 'in-process (all-in-one)',
      'NATS is unreachable: check NATS_URL and that NATS runs',
    ),
  ],
  ({ checks }) => [line('postgresql', checks.database.ok, checks.database.detail, 'start the engine (`patchbay start engine`), and check DATABASE_URL')],
  ({ checks }) => [line('runners', checks.runners.ok, checks.runners.detail, 'start one: `patchbay start runner`')],
  ({ checks }) => [line('tmux', checks.tmux.ok, checks.tmux.detail, "install tmux on the runners' machines (apt-get install tmux, brew install tmux)")],
  ({ engine }) =>
    engine?.agents
      ? agentChecks(engine.agents)
      : [{ name: 'agents', outcome: 'warn', detail: 'the engine did not say which agents it found', fix: 'start the engine, or upgrade it to this version' }],
  ({ deadLetters }) => [
    'count' in deadLetters
      ? {
          name: 'dead letters',
          outcome: deadLetters.count === 0 ? 'ok' : 'warn',
          detail: `${deadLetters.count} (see GET /api/inbound/dead)`,
          fix: deadLetters.count === 0 ? null : 'read their reasons, fix the cause, then retry or drop each (docs/OPERATIONS.md, Dead letters)',
        }
      : { name: 'dead letters', outcome: 'warn', detail: `unknown: ${deadLetters.error}`, fix: 'start the engine' },
  ],
];

/** `GET /api/doctor`: the running instance's own view of what it uses, for `patchbay doctor`. */
@Controller('api/doctor')
export class DoctorController {
  constructor(
    private readonly readiness: ReadinessService,
    private readonly bus: Bus,
    @Inject(PATCHBAY_CONFIG) private readonly config: PatchbayConfig,
  ) {}

  @Get()
  @MinRole('viewer') // names runners, agents and the database
  async report(): Promise<{ checks: DoctorCheckV1[] }> {
    const [readiness, deadLetters] = await Promise.all([this.readiness.readiness(), this.deadLetters()]);
    const facts = { ...readiness, deadLetters };
    return { checks: CHECKS.flatMap((check) => check(facts, this.config)) };
  }

  private async deadLetters(): Promise<Facts['deadLetters']> {
    try {
      return { count: (await this.bus.request('query.inbound.dead', { limit: 1 }, { timeoutMs: 2_000 })).count };
    } catch (error) {
      return { error: describeError(error, 'the doctor').message };
    }
  }
}
