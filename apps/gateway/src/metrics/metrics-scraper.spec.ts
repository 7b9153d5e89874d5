import { Logger } from '@nestjs/common';
import { Bus, InProcessTransport, TransportSubscription } from '@patchbay/bus';
import type { PatchbayConfig } from '@patchbay/config';
import { PatchbayMetrics } from '@patchbay/metrics';
import { MetricsBusController } from '../../../../libs/metrics/src/metrics-bus.controller';
import { MetricsScraper } from './metrics-scraper';

const WINDOW_MS = 300;
const config = { metrics: { scrapeWindowMs: WINDOW_MS } } as PatchbayConfig;

describe('MetricsScraper', () => {
  let bus: Bus;
  let gateway: PatchbayMetrics;
  let warn: jest.SpyInstance;

  beforeEach(() => {
    bus = new Bus(new InProcessTransport(), { prefix: 'pbtest', requestTimeoutMs: 1000 });
    gateway = new PatchbayMetrics('gateway@a');
    warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => {});
  });
  afterEach(async () => {
    jest.useRealTimers();
    warn.mockRestore();
    await bus.close();
  });

  /** Another process on the bus, answering scrapes as its MetricsModule would. */
  function otherProcess(name: string): { metrics: PatchbayMetrics; subscription: TransportSubscription } {
    const metrics = new PatchbayMetrics(name);
    const controller = new MetricsBusController(bus, metrics);
    return { metrics, subscription: bus.subscribe('metrics.scrape', (request) => controller.scrape(request)) };
  }

  const scrape = (scraper: MetricsScraper) => scraper.scrape();

  it('all-in-one: serves its own registry, asking nobody', async () => {
    const asked = jest.fn();
    bus.subscribe('metrics.scrape', async () => asked());
    gateway.inboundMessages.inc({ channel: 'api', outcome: 'task' });
    const text = await new MetricsScraper(bus, gateway, { metrics: gateway, distributed: false, answerScrapes: false }, config).scrape();
    expect(text).toContain('patchbay_inbound_messages_total{channel="api",outcome="task",process="gateway@a"} 1');
    expect(asked).not.toHaveBeenCalled();
  });

  it("distributed: merges every process's answer with its own, each series under its process", async () => {
    const engine = otherProcess('engine@b');
    const runner = otherProcess('runner@c');
    engine.metrics.inboundMessages.inc({ channel: 'api', outcome: 'task' });
    runner.metrics.runDuration.observe({ agent: 'demo', outcome: 'done' }, 3);
    gateway.rendererCalls.inc({ platform: 'telegram', operation: 'send', result: 'rate_limited' });
    const text = await scrape(new MetricsScraper(bus, gateway, { metrics: gateway, distributed: true, answerScrapes: false }, config));
    expect(text).toContain('patchbay_inbound_messages_total{channel="api",outcome="task",process="engine@b"} 1');
    expect(text).toContain('patchbay_run_duration_seconds_count{agent="demo",outcome="done",process="runner@c"} 1');
    expect(text).toContain('patchbay_renderer_calls_total{platform="telegram",operation="send",result="rate_limited",process="gateway@a"} 1');
    // One HELP and TYPE per metric, whatever the number of processes.
    expect(text.match(/^# TYPE nodejs_eventloop_lag_seconds /gm)).toHaveLength(1);
  });

  it('stops waiting once every process it knows has answered', async () => {
    otherProcess('engine@b');
    const scraper = new MetricsScraper(bus, gateway, { metrics: gateway, distributed: true, answerScrapes: false }, config);
    await scrape(scraper);
    // The window's timer can no longer fire: the scrape can only end on the engine's answer.
    jest.useFakeTimers({ doNotFake: ['nextTick', 'queueMicrotask', 'setImmediate'] });
    await expect(scraper.scrape()).resolves.toContain('process="engine@b"');
  });

  it('leaves out, and says so once, a process that no longer answers', async () => {
    const runner = otherProcess('runner@c');
    const scraper = new MetricsScraper(bus, gateway, { metrics: gateway, distributed: true, answerScrapes: false }, config);
    expect(await scrape(scraper)).toContain('process="runner@c"');
    runner.subscription.unsubscribe();
    expect(await scrape(scraper)).not.toContain('process="runner@c"');
    expect(await scrape(scraper)).not.toContain('process="runner@c"');
    expect(warn.mock.calls.map(([message]) => message)).toEqual([`metrics: no answer within ${WINDOW_MS} ms from runner@c`]);
  });
});
