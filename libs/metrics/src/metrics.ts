import { hostname } from 'node:os';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

/** Counts by one label's value: tasks by state (libs/persistence TaskStatus), pending approvals by agent. */
export type Counts = Readonly<Record<string, number>>;

/** Who decided an approval request, for its wait histogram (a person's own id would be unbounded). */
export type ApprovalDecider = 'person' | 'policy' | 'session' | 'timeout';

/** How a bus request ended, for its latency histogram. */
export type BusRequestOutcome = 'ok' | 'remote_error' | 'timeout' | 'no_responder' | 'error';

const RUN_BUCKETS = [1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600];
/** From a policy's instant answer to a person's reply within approvals.timeoutSeconds (600 s by default) and beyond. */
const APPROVAL_BUCKETS = [0.05, 1, 5, 15, 30, 60, 120, 300, 600, 1800];
const BUS_BUCKETS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/**
 * Every metric Patchbay exports, defined here and nowhere else. Each process has one
 * instance (its own registry, labelled with the process): a metric is measured in the
 * process where its event happens, and the gateway serves them all on /metrics.
 */
export class PatchbayMetrics {
  readonly registry = new Registry();

  /** engine: each inbound message by channel and what became of it (task, command, denied, duplicate, …). */
  readonly inboundMessages = new Counter({
    name: 'patchbay_inbound_messages_total',
    help: 'Inbound messages handled by the engine, by channel and outcome',
    labelNames: ['channel', 'outcome'] as const,
    registers: [this.registry],
  });

  /** engine: tasks by state, counted in the database at each scrape. */
  readonly tasks = new Gauge({
    name: 'patchbay_tasks',
    help: 'Tasks by state (queued, running, done, failed, cancelled, blocked, needs_review), from the database',
    labelNames: ['state'] as const,
    registers: [this.registry],
    collect: async () => this.collectTasks(),
  });

  /** engine: tasks waiting for their session or a runner; runner: runs waiting for a free slot. */
  readonly queueDepth = new Gauge({
    name: 'patchbay_queue_depth',
    help: 'Work waiting: queue="tasks" queued tasks (engine), queue="runner" runs waiting for a runner slot',
    labelNames: ['queue'] as const,
    registers: [this.registry],
    collect: async () => {
      const counts = await this.countedTasks();
      if (counts) this.queueDepth.set({ queue: 'tasks' }, counts.queued ?? 0);
    },
  });

  /** engine: how long a tool use waited for its answer, observed when it is decided. */
  readonly approvalWait = new Histogram({
    name: 'patchbay_approval_wait_seconds',
    help: 'Time from an approval request to its decision, by decision (allow_once, allow_session, deny) and by (person, policy, session, timeout)',
    labelNames: ['decision', 'by'] as const,
    buckets: APPROVAL_BUCKETS,
    registers: [this.registry],
  });

  /** engine: requests waiting for a person, by agent (labelled, so no other process shows a 0), counted in the database at each scrape. */
  readonly approvalsPending = new Gauge({
    name: 'patchbay_approvals_pending',
    help: 'Approval requests waiting for a person, by agent, from the database',
    labelNames: ['agent'] as const,
    registers: [this.registry],
    collect: async () => {
      if (this.pendingApprovals) setCounts(this.approvalsPending, 'agent', await this.pendingApprovals());
    },
  });

  /** runner: how long a run took from start to its last event. */
  readonly runDuration = new Histogram({
    name: 'patchbay_run_duration_seconds',
    help: 'Agent run durations, by agent and outcome (done, failed)',
    labelNames: ['agent', 'outcome'] as const,
    buckets: RUN_BUCKETS,
    registers: [this.registry],
  });

  /** runner: labelled with its id (unlabelled gauges would show 0 in every other process). */
  readonly runnerCapacity = new Gauge({
    name: 'patchbay_runner_capacity',
    help: 'Runs a runner may have at once (runner.capacity), by runner id',
    labelNames: ['runner'] as const,
    registers: [this.registry],
  });

  readonly runnerActiveRuns = new Gauge({
    name: 'patchbay_runner_active_runs',
    help: 'Runs with an agent in tmux, by runner id',
    labelNames: ['runner'] as const,
    registers: [this.registry],
  });

  /** gateway: what the chat renderers asked of each platform. */
  readonly rendererCalls = new Counter({
    name: 'patchbay_renderer_calls_total',
    help: 'Messages sent and edited by the chat renderers, by platform, operation (send, edit) and result (ok, rate_limited, error)',
    labelNames: ['platform', 'operation', 'result'] as const,
    registers: [this.registry],
  });

  /** every process: request-reply latency on the bus, by contract subject (not the wire subject: bounded). */
  readonly busRequestDuration = new Histogram({
    name: 'patchbay_bus_request_duration_seconds',
    help: 'Bus request latency, by subject pattern and outcome',
    labelNames: ['subject', 'outcome'] as const,
    buckets: BUS_BUCKETS,
    registers: [this.registry],
  });

  private taskCounts: (() => Promise<Counts>) | null = null;
  private pendingApprovals: (() => Promise<Counts>) | null = null;
  /** One count per scrape: both task gauges are collected at once and share it. */
  private counting: Promise<Counts> | null = null;

  /** `processName` labels every series, so the gateway can merge processes without mixing them. */
  constructor(readonly processName: string) {
    this.registry.setDefaultLabels({ process: processName });
    // Event-loop lag, heap, CPU, file descriptors: prom-client's defaults.
    collectDefaultMetrics({ register: this.registry });
  }

  /** The engine hands over how it counts tasks; the gauges read it at each scrape. */
  countTasksWith(source: () => Promise<Counts>): void {
    this.taskCounts = source;
  }

  /** The engine hands over how it counts pending approval requests; the gauge reads it at each scrape. */
  countPendingApprovalsWith(source: () => Promise<Counts>): void {
    this.pendingApprovals = source;
  }

  private async collectTasks(): Promise<void> {
    const counts = await this.countedTasks();
    if (counts) setCounts(this.tasks, 'state', counts);
  }

  private countedTasks(): Promise<Counts> | null {
    if (!this.taskCounts) return null;
    this.counting ??= this.taskCounts().finally(() => (this.counting = null));
    return this.counting;
  }
}

/** Sets a gauge to freshly counted values, forgetting a value no longer counted. */
function setCounts<L extends string>(gauge: Gauge<L>, label: L, counts: Counts): void {
  gauge.reset();
  for (const [value, count] of Object.entries(counts)) gauge.set({ [label]: value } as Partial<Record<L, string>>, count);
}

/** The `process` label of a process running these roles: `engine@host`, `gateway+engine+runner@host`. */
export function processName(roles: readonly string[]): string {
  return `${roles.join('+')}@${hostname()}`;
}
