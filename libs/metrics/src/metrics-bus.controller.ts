import { Controller } from '@nestjs/common';
import { Bus, OnBusEvent } from '@patchbay/bus';
import { MetricsScrapeV1 } from '@patchbay/contracts';
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
    const metrics = (await this.metrics.registry.getMetricsAsJSON()).map((metric) => ({
      ...metric,
      // prom-client's MetricType enum values are the type names; NaN travels as null.
      type: String(metric.type),
      values: metric.values.map((v) => ({ ...v, labels: v.labels as Record<string, string | number>, value: Number.isNaN(v.value) ? null : v.value })),
    }));
    this.bus.publish('metrics.snapshot.*', { process: this.metrics.processName, metrics }, [scrapeId]);
  }
}
