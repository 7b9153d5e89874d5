import { Bus, InProcessTransport } from '@patchbay/bus';
import type { PatchbayConfig } from '@patchbay/config';
import { PatchbayMetrics } from '@patchbay/metrics';
import { MetricsScraper } from '../apps/gateway/src/metrics/metrics-scraper';
import { MetricsBusController } from '../libs/metrics/src/metrics-bus.controller';
import { percentile } from './stats';

const MEASURE_MS = 2_000;

export interface ScrapeResult {
  mode: string;
  series: number;
  kb: number;
  p50: number;
  p99: number;
}

/** Metrics as a busy deployment has them: 5 channels, 10 agents, 30 bus subjects. */
function busy(metrics: PatchbayMetrics): PatchbayMetrics {
  for (const channel of ['api', 'local', 'telegram', 'discord', 'github']) {
    for (const outcome of ['task', 'command', 'denied', 'duplicate']) metrics.inboundMessages.inc({ channel, outcome }, 7);
    metrics.rendererCalls.inc({ platform: channel, operation: 'send', result: 'ok' }, 9);
  }
  for (let agent = 0; agent < 10; agent++) metrics.runDuration.observe({ agent: `agent${agent}`, outcome: 'done' }, agent * 30);
  for (let subject = 0; subject < 30; subject++) metrics.busRequestDuration.observe({ subject: `subject.${subject}`, outcome: 'ok' }, 0.002);
  metrics.countTasksWith(async () => ({ queued: 3, running: 4, done: 900, failed: 12 }));
  return metrics;
}

/**
 * What one GET /metrics costs the gateway, in process: its own registry (all-in-one), and
 * the gateway gathering an engine and two runners over the (in-process) bus and merging them.
 */
export async function benchScrape(): Promise<ScrapeResult[]> {
  const bus = new Bus(new InProcessTransport(), { prefix: 'pbbench', requestTimeoutMs: 1000 });
  const config = { metrics: { scrapeWindowMs: 1000 } } as PatchbayConfig;
  const gateway = busy(new PatchbayMetrics('gateway@bench'));
  for (const name of ['engine@bench', 'runner@bench-1', 'runner@bench-2']) {
    const controller = new MetricsBusController(bus, busy(new PatchbayMetrics(name)));
    bus.subscribe('metrics.scrape', (request) => controller.scrape(request));
  }
  const results: ScrapeResult[] = [];
  for (const [mode, distributed] of [
    ['all-in-one', false],
    ['distributed (gateway + engine + 2 runners)', true],
  ] as const) {
    const scraper = new MetricsScraper(bus, gateway, { metrics: gateway, distributed, answerScrapes: false }, config);
    // The first distributed scrape waits out its window to learn who answers.
    const text = await scraper.scrape();
    const samples: number[] = [];
    for (const end = performance.now() + MEASURE_MS; performance.now() < end;) {
      const started = performance.now();
      await scraper.scrape();
      samples.push(performance.now() - started);
    }
    const series = text.split('\n').filter((line) => line && !line.startsWith('#')).length;
    results.push({ mode, series, kb: Buffer.byteLength(text) / 1000, p50: percentile(samples, 50), p99: percentile(samples, 99) });
  }
  await bus.close();
  return results;
}
