import { Controller, Get, HttpStatus, Res } from '@nestjs/common';
import { Response } from 'express';
import { MinRole, Public } from './auth/route-access.decorator';
import { ReadinessService } from './readiness.service';

@Controller()
export class HealthController {
  constructor(private readonly readiness: ReadinessService) {}

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
    const { checks } = await this.readiness.readiness();
    const ready = Object.values(checks).every((c) => c.ok);
    res.status(ready ? HttpStatus.OK : HttpStatus.SERVICE_UNAVAILABLE).json({ status: ready ? 'ready' : 'not_ready', checks });
  }
}
