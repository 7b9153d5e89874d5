import { DynamicModule, Global, Module } from '@nestjs/common';
import { MetricsBusController } from './metrics-bus.controller';
import { METRICS_OPTIONS } from './metrics.constants';
import { PatchbayMetrics } from './metrics';

export interface MetricsModuleOptions {
  metrics: PatchbayMetrics;
  /** Other processes hold some of the metrics (not all-in-one): a gateway asks them over the bus. */
  distributed: boolean;
  /** This process has no gateway: it answers the gateways' scrapes. */
  answerScrapes: boolean;
}

/** The process's PatchbayMetrics, injectable everywhere. */
@Global()
@Module({})
export class MetricsModule {
  static forRoot(options: MetricsModuleOptions): DynamicModule {
    return {
      module: MetricsModule,
      controllers: options.answerScrapes ? [MetricsBusController] : [],
      providers: [
        { provide: PatchbayMetrics, useValue: options.metrics },
        { provide: METRICS_OPTIONS, useValue: options },
      ],
      exports: [PatchbayMetrics, METRICS_OPTIONS],
    };
  }
}
