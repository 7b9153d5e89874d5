import { DynamicModule, Module } from '@nestjs/common';
import { Bus, BusModule, InboundQueue } from '@patchbay/bus';
import { ConfigModule, PatchbayConfig } from '@patchbay/config';
import { EngineModule } from '@patchbay/engine';
import { GatewayModule } from '@patchbay/gateway';
import { MetricsModule, PatchbayMetrics } from '@patchbay/metrics';
import { RunnerModule } from '@patchbay/runner';
import { Role } from './roles';

export interface AppOptions {
  roles: readonly Role[];
  config: PatchbayConfig;
  bus: Bus;
  inbound: InboundQueue;
  metrics: PatchbayMetrics;
  /** Required when the engine role runs here. */
  databaseUrl?: string;
  /** What that database is, for status answers (no password). */
  databaseLabel?: string;
}

/** One process's Patchbay: the roles it runs, sharing config and bus. */
@Module({})
export class AppModule {
  static forRoot(options: AppOptions): DynamicModule {
    const { roles } = options;
    if (roles.includes('engine') && !options.databaseUrl) throw new Error('the engine role needs a database URL');
    return {
      module: AppModule,
      imports: [
        ConfigModule.forRoot(options.config),
        BusModule.forRoot({ bus: options.bus, inbound: options.inbound }),
        MetricsModule.forRoot({ metrics: options.metrics, distributed: roles.length < 3, answerScrapes: !roles.includes('gateway') }),
        ...(roles.includes('gateway') ? [GatewayModule] : []),
        ...(roles.includes('engine') ? [EngineModule.forRoot({ databaseUrl: options.databaseUrl!, databaseLabel: options.databaseLabel })] : []),
        ...(roles.includes('runner') ? [RunnerModule] : []),
      ],
    };
  }
}
