import { ConfigurableModuleBuilder, Global, Module } from '@nestjs/common';
import { Bus } from './bus';
import { INBOUND_QUEUE } from './bus.constants';
import { InboundQueue } from './inbound-queue';

export interface BusModuleOptions {
  bus: Bus;
  /** How channels hand messages to the engine (direct, or through JetStream). */
  inbound: InboundQueue;
}

const { ConfigurableModuleClass, MODULE_OPTIONS_TOKEN } = new ConfigurableModuleBuilder<BusModuleOptions>().setClassMethodName('forRoot').build();

/** Makes the process's one Bus (and its inbound queue) injectable everywhere. */
@Global()
@Module({
  providers: [
    { provide: Bus, inject: [MODULE_OPTIONS_TOKEN], useFactory: (o: BusModuleOptions) => o.bus },
    { provide: INBOUND_QUEUE, inject: [MODULE_OPTIONS_TOKEN], useFactory: (o: BusModuleOptions) => o.inbound },
  ],
  exports: [Bus, INBOUND_QUEUE],
})
export class BusModule extends ConfigurableModuleClass {}
