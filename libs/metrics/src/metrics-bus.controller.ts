import { Controller } from '@nestjs/common';
import { Bus, OnBusEvent } from '@patchbay/bus';
import { MetricsScrapeV1, MetricsSnapshotV1 } from '@patchbay/contracts';
import { PatchbayMetrics } from './metrics';

/** In a process without a gateway: answers a gateway's scrape with this process's metrics. */
@Controller()
export class MetricsBusController {
  constructor(
    private readonly bus: Bus,
    private readonly metrics: PatchbayMetrics,
  ) {}

  @OnBusEvent('metrics.scrape')
  async scrape({ scrapeId }: MetricsScrapeV1): Promise<void> {
    // prom-client types `type` as its MetricType enum, whose values are the type names.
    const metrics = (await this.metrics.registry.getMetricsAsJSON()) as unknown as MetricsSnapshotV1['metrics'];
    this.bus.publish('metrics.snapshot.*', { process: this.metrics.processName, metrics }, [scrapeId]);
  }
}
