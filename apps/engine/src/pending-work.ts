import { Injectable, Logger, OnModuleDestroy } from '@nestjs/common';

/**
 * Work the engine started after replying (dispatching runs). Shutdown waits for it, so
 * a stopping engine finishes its writes instead of cutting them off.
 */
@Injectable()
export class PendingWork implements OnModuleDestroy {
  private readonly logger = new Logger(PendingWork.name);
  private readonly inFlight = new Set<Promise<void>>();

  track(work: Promise<void>): void {
    const tracked = work.catch((error) => this.logger.error(`background work failed: ${(error as Error).stack ?? error}`));
    this.inFlight.add(tracked);
    void tracked.finally(() => this.inFlight.delete(tracked));
  }

  async onModuleDestroy(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.all(this.inFlight);
  }
}
