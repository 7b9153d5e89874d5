import { Inject, Injectable, Logger } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { AggregatorRegistry, MetricObjectWithValues, MetricValue, Registry } from 'prom-client';
import { Bus } from '@patchbay/bus';
import { PATCHBAY_CONFIG, PatchbayConfig } from '@patchbay/config';
import { MetricsSnapshotV1 } from '@patchbay/contracts';
import { METRICS_OPTIONS, MetricsModuleOptions, PatchbayMetrics } from '@patchbay/metrics';

type MetricJson = MetricObjectWithValues<MetricValue<string>>;

/**
 * What /metrics shows: this process's registry and, in distributed mode, every other
 * process's, asked over the bus (`metrics.scrape`, answers on `metrics.snapshot.<id>`).
 * Each series carries its `process` label, so merging never mixes two processes.
 */
@Injectable()
export class MetricsScraper {
  private readonly logger = new Logger(MetricsScraper.name);
  /** Processes that answered before: once they all have, a scrape need not wait out its window. */
  private known = new Set<string>();

  constructor(
    private readonly bus: Bus,
    private readonly metrics: PatchbayMetrics,
    @Inject(METRICS_OPTIONS) private readonly options: MetricsModuleOptions,
    @Inject(PATCHBAY_CONFIG) private readonly config: PatchbayConfig,
  ) {}

  get contentType(): string {
    return Registry.PROMETHEUS_CONTENT_TYPE;
  }

  /** The Prometheus text of every process. */
  async scrape(): Promise<string> {
    if (!this.options.distributed) return this.metrics.registry.metrics();
    const [local, remote] = await Promise.all([this.metrics.registry.getMetricsAsJSON(), this.gather()]);
    return AggregatorRegistry.aggregate([local, ...remote.map(fromSnapshot)]).metrics();
  }

  /**
   * Collects the snapshots of one scrape: until every process known from earlier scrapes
   * has answered, or the window ends. Answers later than that only teach us the process.
   */
  private gather(): Promise<MetricsSnapshotV1[]> {
    const scrapeId = randomBytes(8).toString('hex');
    const expected = new Set(this.known);
    const seen = new Map<string, MetricsSnapshotV1>();
    return new Promise((resolve) => {
      let answered = false;
      const answer = () => {
        if (answered) return;
        answered = true;
        resolve([...seen.values()]);
      };
      const subscription = this.bus.subscribe(
        'metrics.snapshot.*',
        (snapshot) => {
          this.known.add(snapshot.process);
          if (answered) return;
          seen.set(snapshot.process, snapshot);
          if (expected.size > 0 && [...expected].every((name) => seen.has(name))) answer();
        },
        { params: [scrapeId] },
      );
      setTimeout(() => {
        subscription.unsubscribe();
        const missing = [...expected].filter((name) => !seen.has(name));
        // Gone for good (a stopped runner) or just slow: either way, not expected next time.
        if (missing.length > 0) this.logger.warn(`metrics: no answer within ${this.config.metrics.scrapeWindowMs} ms from ${missing.join(', ')}`);
        this.known = new Set([...this.known].filter((name) => !missing.includes(name)));
        answer();
      }, this.config.metrics.scrapeWindowMs);
      this.bus.publish('metrics.scrape', { scrapeId });
    });
  }
}

/** A snapshot's metrics as prom-client gave them, NaN back where JSON said null. */
function fromSnapshot(snapshot: MetricsSnapshotV1): MetricJson[] {
  return snapshot.metrics.map((metric) => ({
    ...metric,
    values: metric.values.map((v) => ({ ...v, value: v.value ?? Number.NaN })),
  })) as unknown as MetricJson[];
}
