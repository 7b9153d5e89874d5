import { Controller, Inject, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { INBOUND_QUEUE, InboundQueue } from '@patchbay/bus';
import { InboundService } from './inbound.service';

/**
 * The engine's inbound handler: takes messages from the inbound queue (JetStream, or the
 * in-process queue) while the engine runs, and stops first on shutdown. A queue consumer,
 * not a bus subject, so it is started here rather than by a decorator.
 */
@Controller()
export class InboundController implements OnApplicationBootstrap, OnModuleDestroy {
  private consuming?: { stop(): Promise<void> };

  constructor(
    @Inject(INBOUND_QUEUE) private readonly queue: InboundQueue,
    private readonly inbound: InboundService,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    this.consuming = await this.queue.consume((message) => this.inbound.accept(message));
  }

  async onModuleDestroy(): Promise<void> {
    await this.consuming?.stop();
  }
}
