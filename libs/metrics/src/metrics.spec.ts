import { AggregatorRegistry } from 'prom-client';
import { PatchbayMetrics, processName } from './metrics';

const valueOf = async (metrics: PatchbayMetrics, name: string, labels: Record<string, string>) => {
  const metric = (await metrics.registry.getMetricsAsJSON()).find((m) => m.name === name);
  return metric?.values.find((v) => Object.entries(labels).every(([k, value]) => v.labels[k] === value))?.value;
};

describe('PatchbayMetrics', () => {
  it('labels every series with its process', async () => {
    const metrics = new PatchbayMetrics('engine@host');
    metrics.inboundMessages.inc({ channel: 'api', outcome: 'task' });
    expect(await metrics.registry.metrics()).toContain('patchbay_inbound_messages_total{channel="api",outcome="task",process="engine@host"} 1');
  });

  it("has prom-client's default metrics, event-loop lag among them", async () => {
    const names = (await new PatchbayMetrics('p').registry.getMetricsAsJSON()).map((m) => m.name);
    expect(names).toEqual(expect.arrayContaining(['nodejs_eventloop_lag_seconds', 'process_cpu_user_seconds_total']));
  });

  it('shows no task gauge until the engine says how to count tasks, then counts them once per scrape', async () => {
    const metrics = new PatchbayMetrics('engine@host');
    expect(await metrics.registry.metrics()).not.toMatch(/^patchbay_tasks\{/m);
    let counted = 0;
    metrics.countTasksWith(async () => (counted++, { queued: 2, done: 5 }));
    const text = await metrics.registry.metrics();
    expect(text).toContain('patchbay_tasks{state="done",process="engine@host"} 5');
    expect(text).toContain('patchbay_queue_depth{queue="tasks",process="engine@host"} 2');
    expect(counted).toBe(1);
  });

  it('shows no pending-approvals gauge until the engine says how to count them', async () => {
    const metrics = new PatchbayMetrics('engine@host');
    expect(await metrics.registry.metrics()).not.toMatch(/^patchbay_approvals_pending\{/m);
    metrics.countPendingApprovalsWith(async () => ({ claude: 3 }));
    expect(await metrics.registry.metrics()).toContain('patchbay_approvals_pending{agent="claude",process="engine@host"} 3');
  });

  it('forgets a state no task is in any more', async () => {
    const metrics = new PatchbayMetrics('engine@host');
    let counts: Record<string, number> = { running: 1 };
    metrics.countTasksWith(async () => counts);
    await metrics.registry.metrics();
    counts = { done: 1 };
    expect(await valueOf(metrics, 'patchbay_tasks', { state: 'running' })).toBeUndefined();
  });

  it('keeps two processes apart when their snapshots are merged, as the gateway does', async () => {
    const engine = new PatchbayMetrics('engine@a');
    const runner = new PatchbayMetrics('runner@b');
    engine.busRequestDuration.observe({ subject: 'runner.run', outcome: 'ok' }, 0.01);
    runner.busRequestDuration.observe({ subject: 'engine.status', outcome: 'timeout' }, 2);
    runner.runnerCapacity.set({ runner: 'runner-1' }, 4);
    const merged = await AggregatorRegistry.aggregate([await engine.registry.getMetricsAsJSON(), await runner.registry.getMetricsAsJSON()]).metrics();
    expect(merged).toContain('patchbay_bus_request_duration_seconds_count{subject="runner.run",outcome="ok",process="engine@a"} 1');
    expect(merged).toContain('patchbay_bus_request_duration_seconds_count{subject="engine.status",outcome="timeout",process="runner@b"} 1');
    expect(merged).toContain('patchbay_runner_capacity{runner="runner-1",process="runner@b"} 4');
    // A gauge only the runner sets does not show up as 0 for the engine.
    expect(merged).not.toMatch(/patchbay_runner_capacity\{[^}]*engine@a/);
  });

  it('names a process by its roles and host', () => {
    expect(processName(['engine'])).toMatch(/^engine@.+/);
    expect(processName(['gateway', 'engine'])).toMatch(/^gateway\+engine@/);
  });
});
