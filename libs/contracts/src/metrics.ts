import { z } from 'zod';

/** Asks every process without a gateway for its metrics; answers go to `metrics.snapshot.<scrapeId>`. */
export const MetricsScrapeV1 = z.object({ scrapeId: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/) });
export type MetricsScrapeV1 = z.infer<typeof MetricsScrapeV1>;

/** One metric as prom-client's `Registry.getMetricsAsJSON()` gives it. */
export const MetricJsonV1 = z.object({
  name: z.string(),
  help: z.string(),
  type: z.string(),
  aggregator: z.string(),
  values: z.array(
    z.object({
      /** null: NaN, which JSON cannot carry (a gauge with nothing measured yet). */
      value: z.number().nullable(),
      labels: z.record(z.string(), z.union([z.string(), z.number()])),
      metricName: z.string().optional(),
    }),
  ),
});

/** A process's metrics, labelled with its `process` name. */
export const MetricsSnapshotV1 = z.object({ process: z.string(), metrics: z.array(MetricJsonV1) });
export type MetricsSnapshotV1 = z.infer<typeof MetricsSnapshotV1>;
