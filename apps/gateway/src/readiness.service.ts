import { Injectable } from '@nestjs/common';
import { Bus, describeError } from '@patchbay/bus';
import { EngineStatusV1 } from '@patchbay/contracts';
import { RunnerRegistry } from './runner-registry.service';

export interface Check {
  ok: boolean;
  detail: string;
  count?: number;
}

/** What this instance runs on right now: bus, database and agents (through the engine), runners, tmux. */
export interface Readiness {
  checks: { bus: Check; database: Check; runners: Check; tmux: Check };
  /** The engine's answer; null when it did not answer. */
  engine: EngineStatusV1 | null;
}

/** Asks the parts of a running Patchbay how they are (for /readyz and /api/doctor). */
@Injectable()
export class ReadinessService {
  constructor(
    private readonly bus: Bus,
    private readonly runners: RunnerRegistry,
  ) {}

  async readiness(): Promise<Readiness> {
    const live = this.runners.live();
    const engine = await this.engine();
    return {
      engine: 'status' in engine ? engine.status : null,
      checks: {
        bus: { ok: this.bus.transport.isConnected(), detail: this.bus.transport.kind },
        database: 'status' in engine ? engine.status.database : { ok: false, detail: `engine: ${engine.error}` },
        runners: { ok: live.length > 0, count: live.length, detail: live.map((r) => r.runnerId).join(', ') || 'no runner connected' },
        tmux: live.some((r) => r.tmux.ok) ? { ok: true, detail: live.find((r) => r.tmux.ok)!.tmux.detail } : { ok: false, detail: live[0]?.tmux.detail ?? 'no runner to run tmux' },
      },
    };
  }

  private async engine(): Promise<{ status: EngineStatusV1 } | { error: string }> {
    try {
      return { status: await this.bus.request('engine.status', {}, { timeoutMs: 2_000 }) };
    } catch (error) {
      return { error: describeError(error, 'the readiness check').message };
    }
  }
}
