import { Controller, Get, HttpStatus, Res } from '@nestjs/common';
import { Response } from 'express';
import { Bus, describeError } from '@patchbay/bus';
import { MinRole, Public } from './auth/route-access.decorator';
import { RunnerRegistry } from './runner-registry.service';

interface Check {
  ok: boolean;
  detail: string;
}

@Controller()
export class HealthController {
  constructor(
    private readonly bus: Bus,
    private readonly runners: RunnerRegistry,
  ) {}

  /** Liveness: the process serves HTTP. */
  @Get('healthz')
  @Public()
  healthz() {
    return { status: 'ok' };
  }

  /** Readiness: bus, database (through the engine), runners and tmux; 503 until all are ready. */
  @Get('readyz')
  @MinRole('viewer') // names runners and versions
  async readyz(@Res() res: Response): Promise<void> {
    const live = this.runners.live();
    const checks: Record<string, Check & { count?: number }> = {
      bus: { ok: this.bus.transport.isConnected(), detail: this.bus.transport.kind },
      database: await this.database(),
      runners: { ok: live.length > 0, count: live.length, detail: live.map((r) => r.runnerId).join(', ') || 'no runner connected' },
      tmux: live.some((r) => r.tmux.ok)
        ? { ok: true, detail: live.find((r) => r.tmux.ok)!.tmux.detail }
        : { ok: false, detail: live[0]?.tmux.detail ?? 'no runner to run tmux' },
    };
    const ready = Object.values(checks).every((c) => c.ok);
    res.status(ready ? HttpStatus.OK : HttpStatus.SERVICE_UNAVAILABLE).json({ status: ready ? 'ready' : 'not_ready', checks });
  }

  private async database(): Promise<Check> {
    try {
      return (await this.bus.request('engine.status', {}, { timeoutMs: 2_000 })).database;
    } catch (error) {
      return { ok: false, detail: `engine: ${describeError(error, 'the readiness check').message}` };
    }
  }
}
