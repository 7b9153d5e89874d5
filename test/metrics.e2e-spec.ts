import { randomBytes } from 'node:crypto';
import { networkInterfaces } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import type { InboundAcceptedV1 } from '@patchbay/contracts';
import { waitUntil } from './support/patchbay-instance';
import { freePort, PatchbayProcesses, runPatchbay, scratchDir, writeConfig } from './support/patchbay-processes';
import { parsePrometheusText, Sample, sampleValue } from './support/prometheus-text';
import { readSse } from './support/sse';
import { RUN_MODES, tearDownRun } from './support/run-modes';
import { describeWith } from './support/services';

jest.setTimeout(180_000);

const OWNER = { name: 'ops-owner', token: 'metrics-owner-token-0123456789', role: 'owner' };
const PROMETHEUS = { name: 'prometheus', token: 'metrics-viewer-token-0123456789', role: 'viewer' };

/** An address of this machine that is not loopback, if it has one. */
function outsideAddress(): string | undefined {
  return Object.values(networkInterfaces())
    .flat()
    .find((a) => a && a.family === 'IPv4' && !a.internal)?.address;
}

/** Issue #10: GET /metrics after a real flow through the demo agent; the counters say what happened. */
for (const mode of RUN_MODES) {
  describeWith(mode.needs, `GET /metrics (${mode.name})`, () => {
    const dir = scratchDir('metrics');
    const tmuxSocket = `pbtest-${randomBytes(4).toString('hex')}`;
    const prefix = `pbtest${randomBytes(4).toString('hex')}`;
    let port: number;
    let baseUrl: string;
    let processes: PatchbayProcesses;
    let cleanup: () => Promise<void> = async () => {};
    let accepted: InboundAcceptedV1;
    let env: NodeJS.ProcessEnv;

    const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
    /** What Prometheus does: GET, `Accept: text/plain`, its viewer token. */
    const scrape = async (): Promise<Sample[]> => {
      const response = await fetch(`${baseUrl}/metrics`, { headers: { accept: 'text/plain;version=0.0.4', ...bearer(PROMETHEUS.token) } });
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toContain('text/plain');
      return parsePrometheusText(await response.text());
    };

    beforeAll(async () => {
      port = await freePort();
      baseUrl = `http://127.0.0.1:${port}`;
      const prepared = await mode.prepare();
      cleanup = prepared.cleanup;
      env = {
        ...process.env,
        ...prepared.env,
        PATCHBAY_CONFIG: writeConfig(dir, stringify({ defaultAgent: 'demo', http: { host: '0.0.0.0', tokens: [OWNER, PROMETHEUS] } })),
        PATCHBAY_HOME: join(dir, 'home'),
        PATCHBAY_HTTP_PORT: String(port),
        PATCHBAY_TMUX_SOCKET: tmuxSocket,
        PATCHBAY_BUS_PREFIX: prefix,
        PATCHBAY_RUNNER_ID: 'runner-metrics',
      };
      processes = new PatchbayProcesses(mode.roles, env, dir);
      processes.start();
      await processes.waitReady(baseUrl, bearer(OWNER.token));
      const response = await fetch(`${baseUrl}/api/messages`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...bearer(OWNER.token) },
        body: JSON.stringify({ text: 'hello metrics' }),
      });
      expect(response.status).toBe(201);
      accepted = (await response.json()) as InboundAcceptedV1;
      // Read until the run's last event: by then its task is closed.
      await readSse(`${baseUrl}/api/sessions/${accepted.sessionId}/events?task=${accepted.taskId}`, { headers: bearer(OWNER.token) });
    });

    afterAll(() => tearDownRun({ mode, processes, cleanup, prefix, tmuxSocket, dir }));

    it('counts the message, the finished task and the run of the demo agent', async () => {
      // The runner records the run's duration as its agent exits, just after the last event.
      let samples: Sample[] = [];
      await waitUntil(async () => {
        samples = await scrape();
        return sampleValue(samples, 'patchbay_run_duration_seconds_count', { agent: 'demo', outcome: 'done' }) === 1;
      }, 'a run duration observation for agent demo');
      expect(sampleValue(samples, 'patchbay_inbound_messages_total', { channel: 'api', outcome: 'task' })).toBe(1);
      expect(samples.filter((s) => s.name === 'patchbay_inbound_messages_total').map((s) => s.value)).toEqual([1]);
      expect(sampleValue(samples, 'patchbay_tasks', { state: 'done' })).toBe(1);
      expect(samples.filter((s) => s.name === 'patchbay_tasks' && s.labels.state !== 'done').every((s) => s.value === 0)).toBe(true);
      expect(sampleValue(samples, 'patchbay_queue_depth', { queue: 'tasks' })).toBe(0);
      expect(sampleValue(samples, 'patchbay_runner_capacity', { runner: 'runner-metrics' })).toBe(4);
      expect(sampleValue(samples, 'patchbay_runner_active_runs', { runner: 'runner-metrics' })).toBe(0);
      expect(sampleValue(samples, 'patchbay_queue_depth', { queue: 'runner' })).toBe(0);
      // The engine asked the runner over the bus to start the run.
      expect(sampleValue(samples, 'patchbay_bus_request_duration_seconds_count', { subject: 'runner.run', outcome: 'ok' })).toBeGreaterThanOrEqual(1);
      expect(samples.some((s) => s.name === 'nodejs_eventloop_lag_seconds')).toBe(true);
    });

    it('labels each series with the process that measured it', async () => {
      const samples = await scrape();
      const processOf = (name: string) => new Set(samples.filter((s) => s.name === name).map((s) => s.labels.process));
      if (mode.roles.length === 1) {
        expect(processOf('nodejs_eventloop_lag_seconds')).toEqual(new Set(['all-in-one']));
      } else {
        expect([...processOf('nodejs_eventloop_lag_seconds')].map((p) => p.split('@')[0]).sort()).toEqual(['engine', 'gateway', 'runner']);
        expect([...processOf('patchbay_inbound_messages_total')].map((p) => p.split('@')[0])).toEqual(['engine']);
        expect([...processOf('patchbay_run_duration_seconds_count')].map((p) => p.split('@')[0])).toEqual(['runner']);
      }
    });

    it('has `patchbay health <role>` pass for each running role (the compose and systemd healthchecks)', async () => {
      // The CLI sends the config's first owner token, as on the machine that runs the role.
      const roles = mode.roles.length === 1 ? ['gateway'] : ['gateway', 'engine', 'runner'];
      for (const role of roles) {
        const result = await runPatchbay(['health', role], env);
        expect({ role, code: result.code, stdout: result.stdout, stderr: result.stderr }).toEqual({ role, code: 0, stdout: `✓ ${role}: ready\n`, stderr: '' });
      }
      if (mode.roles.length > 1) {
        const elsewhere = await runPatchbay(['health', 'runner'], { ...env, PATCHBAY_RUNNER_ID: 'runner-not-here' });
        expect(elsewhere).toMatchObject({ code: 1, stdout: '✗ runner: no heartbeat from runner runner-not-here within 6 s\n' });
      }
    });

    it('answers 401 without a token, from off loopback and on it, and 401 to a wrong one', async () => {
      const outside = outsideAddress();
      // A machine without any other address can only show the loopback case.
      for (const host of [outside, '127.0.0.1'].filter(Boolean)) {
        const response = await fetch(`http://${host}:${port}/metrics`, { headers: { accept: 'text/plain' } });
        expect({ host, status: response.status }).toEqual({ host, status: 401 });
        expect(await response.text()).not.toContain('patchbay_');
      }
      expect((await fetch(`${baseUrl}/metrics`, { headers: bearer('not-a-token-of-this-server') })).status).toBe(401);
    });
  });
}
