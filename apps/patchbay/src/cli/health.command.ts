import { Bus, describeError, NatsTransport, natsSecurityOptions } from '@patchbay/bus';
import { PatchbayConfig } from '@patchbay/config';
import { runnerIdOf } from '@patchbay/runner';
import { ApiClient } from './api-client';
import { Role } from '../roles';

/** How long a runner has to answer an announce (it heartbeats every 5 s anyway). */
const RUNNER_WAIT_MS = 6_000;

/**
 * `patchbay health [role]`: exit 0 when the role on this machine is ready, for container and
 * service-manager healthchecks. The gateway's is its `/readyz`; the engine and the runner have
 * no HTTP, so they are asked over NATS (the engine's database check, the runner's heartbeat).
 */
export async function healthCommand(config: PatchbayConfig, api: ApiClient, role: Role = 'gateway'): Promise<number> {
  const problem = role === 'gateway' ? await gatewayProblem(api) : await onTheBus(config, (bus) => (role === 'engine' ? engineProblem(bus) : runnerProblem(bus, config)));
  process.stdout.write(problem ? `✗ ${role}: ${problem}\n` : `✓ ${role}: ready\n`);
  return problem ? 1 : 0;
}

async function gatewayProblem(api: ApiClient): Promise<string | null> {
  try {
    const { ok, body } = await api.probe<{ checks: Record<string, { ok: boolean; detail: string }> }>('/readyz');
    if (ok) return null;
    return Object.entries(body.checks)
      .filter(([, check]) => !check.ok)
      .map(([name, check]) => `${name}: ${check.detail}`)
      .join('; ');
  } catch (error) {
    return `${api.baseUrl}/readyz: ${(error as Error).message}`;
  }
}

async function onTheBus(config: PatchbayConfig, check: (bus: Bus) => Promise<string | null>): Promise<string | null> {
  if (!config.bus.natsUrl) return 'a separate engine or runner is checked over NATS: set NATS_URL (bus.natsUrl)';
  let transport: NatsTransport;
  try {
    transport = await NatsTransport.connect(config.bus.natsUrl, 'patchbay-health', undefined, natsSecurityOptions(config.bus.nats));
  } catch (error) {
    return `NATS: ${(error as Error).message}`;
  }
  const bus = new Bus(transport, { prefix: config.bus.prefix, requestTimeoutMs: 3_000 });
  try {
    return await check(bus);
  } finally {
    await bus.close();
  }
}

async function engineProblem(bus: Bus): Promise<string | null> {
  try {
    const { database } = await bus.request('engine.status', {});
    return database.ok ? null : `database: ${database.detail}`;
  } catch (error) {
    return `engine.status: ${describeError(error, 'the health check').message}`;
  }
}

/** This machine's runner (runner.id, as `patchbay start runner` names it) answers an announce with a heartbeat. */
function runnerProblem(bus: Bus, config: PatchbayConfig): Promise<string | null> {
  const runnerId = runnerIdOf(config);
  return new Promise((resolve) => {
    const timer = setTimeout(() => done(`no heartbeat from runner ${runnerId} within ${RUNNER_WAIT_MS / 1000} s`), RUNNER_WAIT_MS);
    const subscription = bus.subscribe('runner.heartbeat', (heartbeat) => {
      if (heartbeat.runnerId === runnerId && !heartbeat.leaving) done(heartbeat.tmux.ok ? null : `tmux: ${heartbeat.tmux.detail}`);
    });
    const done = (problem: string | null) => {
      clearTimeout(timer);
      subscription.unsubscribe();
      resolve(problem);
    };
    bus.publish('runner.announce', {});
  });
}
