import { Injectable, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { Bus, TransportSubscription } from '@patchbay/bus';
import { RunnerHeartbeatV1, RunnerSeenV1 } from '@patchbay/contracts';

/** A runner that sent no heartbeat for this long is counted as gone. */
const STALE_AFTER_MS = 15_000;

/** Which runners are alive, from their heartbeats (for /readyz, /api/runners and the CLI). */
@Injectable()
export class RunnerRegistry implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly runners = new Map<string, { heartbeat: RunnerHeartbeatV1; seenAt: number }>();
  private subscription?: TransportSubscription;

  constructor(private readonly bus: Bus) {}

  onApplicationBootstrap(): void {
    this.subscription = this.bus.subscribe('runner.heartbeat', (heartbeat) => {
      if (heartbeat.leaving) this.runners.delete(heartbeat.runnerId);
      else this.runners.set(heartbeat.runnerId, { heartbeat, seenAt: Date.now() });
    });
    this.bus.publish('runner.announce', {});
  }

  onModuleDestroy(): void {
    this.subscription?.unsubscribe();
  }

  live(now = Date.now()): RunnerHeartbeatV1[] {
    return this.fresh(now).map((r) => r.heartbeat);
  }

  /** The live runners' last heartbeats, each with when it arrived here. */
  seen(now = Date.now()): RunnerSeenV1[] {
    return this.fresh(now).map((r) => ({ ...r.heartbeat, seenAt: new Date(r.seenAt).toISOString() }));
  }

  private fresh(now: number): Array<{ heartbeat: RunnerHeartbeatV1; seenAt: number }> {
    return [...this.runners.values()].filter((r) => now - r.seenAt < STALE_AFTER_MS);
  }
}
