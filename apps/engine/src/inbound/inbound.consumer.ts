import { Inject, Injectable, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { INBOUND_QUEUE, InboundQueue } from '@patchbay/bus';
import { InboundService } from './inbound.service';

/** Takes messages from the inbound queue while the engine runs; stops first on shutdown. */
@Injectable()
export class InboundConsumer implements OnApplicationBootstrap, OnModuleDestroy {
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
