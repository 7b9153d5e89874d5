import { execFileSync } from 'node:child_process';
import { accessSync, constants, mkdirSync } from 'node:fs';
import { connect as natsConnect } from 'nats';
import { Client as PgClient } from 'pg';
import { AgentHost, agentChecks, surveyAgents, SystemAgentHost } from '@patchbay/agents';
import { LoadedConfig, PatchbayConfig } from '@patchbay/config';
import { DoctorCheckV1 } from '@patchbay/contracts';
import { EmbeddedDatabase } from '@patchbay/persistence';
import { redactUrl } from '../server';
import { ApiClient, ApiError } from './api-client';

const MARK: Record<DoctorCheckV1['outcome'], string> = { ok: '✓', warn: '!', fail: '✗' };

const check = (name: string, outcome: DoctorCheckV1['outcome'], detail: string, fix: string | null = null): DoctorCheckV1 => ({ name, outcome, detail, fix });

/**
 * `patchbay doctor`: when a Patchbay answers, reports what that instance really uses (its
 * GET /api/doctor: database, bus, runners, agents); when none does, checks this machine
 * and says so. Every line that is not ok says what to do; exits 1 when something needed
 * is broken.
 */
export async function doctorCommand(loaded: LoadedConfig, api: ApiClient, host: AgentHost = new SystemAgentHost()): Promise<number> {
  const lines = [nodeCheck(), configCheck(loaded)];
  const server = await serverReport(api);
  if ('checks' in server) {
    lines.push(check('server', 'ok', `${api.baseUrl} is running; the lines below are what it uses`), ...server.checks);
  } else if (server.refused) {
    lines.push(check('server', 'fail', server.refused.message));
  } else {
    lines.push(check('server', 'warn', `${server.unreachable}; checked this machine instead`, 'start Patchbay with `npm start` (or `patchbay start`)'));
    for (const local of LOCAL_CHECKS) lines.push(...(await local(loaded.config, host)));
  }
  for (const line of lines) process.stdout.write(`${MARK[line.outcome]} ${line.name}: ${line.detail}${line.fix ? ` → ${line.fix}` : ''}\n`);
  return lines.some((line) => line.outcome === 'fail') ? 1 : 0;
}

/** The running instance's own checks; why there are none (nothing answers, or it refused us). */
async function serverReport(api: ApiClient): Promise<{ checks: DoctorCheckV1[] } | { unreachable: string; refused?: undefined } | { refused: ApiError }> {
  try {
    return await api.get<{ checks: DoctorCheckV1[] }>('/api/doctor');
  } catch (error) {
    if (!(error instanceof ApiError)) throw error;
    if (error.status === 401 || error.status === 403) return { refused: error };
    return { unreachable: error.status === 0 ? `nothing answers at ${api.baseUrl}` : `${api.baseUrl} has no doctor (${error.message})` };
  }
}

function nodeCheck(): DoctorCheckV1 {
  const major = Number(process.versions.node.split('.')[0]);
  return major >= 20 ? check('node', 'ok', process.version) : check('node', 'fail', process.version, 'Patchbay needs Node 20 or newer');
}

function configCheck({ file }: LoadedConfig): DoctorCheckV1 {
  return check('config', 'ok', file ? `${file} is valid` : 'no patchbay.yaml: defaults and environment (`patchbay init` writes one)');
}

type LocalCheck = (config: PatchbayConfig, host: AgentHost) => DoctorCheckV1[] | Promise<DoctorCheckV1[]>;

/** What this machine offers a Patchbay started here, in order. */
const LOCAL_CHECKS: LocalCheck[] = [
  () => {
    try {
      return [check('tmux', 'ok', execFileSync('tmux', ['-V'], { encoding: 'utf8' }).trim())];
    } catch {
      return [check('tmux', 'fail', 'not found on PATH', 'apt-get install tmux (or brew install tmux)')];
    }
  },
  (config, host) => agentChecks(surveyAgents(config, host)),
  (config) => {
    try {
      mkdirSync(config.home, { recursive: true });
      accessSync(config.home, constants.W_OK);
      return [check('home', 'ok', config.home)];
    } catch (error) {
      return [check('home', 'fail', `${config.home} is not writable: ${(error as Error).message}`, 'set PATCHBAY_HOME to a folder you can write')];
    }
  },
  async (config) => {
    const url = config.bus.natsUrl;
    if (!url) return [check('bus', 'ok', 'in-process (all-in-one); set NATS_URL for separate processes')];
    try {
      const nc = await natsConnect({ servers: url, timeout: 3_000, reconnect: false });
      const line = check('nats', 'ok', `${redactUrl(url)} (server ${nc.info?.version ?? '?'}, JetStream ${nc.info?.jetstream ? 'on' : 'off'})`);
      await nc.close();
      return [line];
    } catch (error) {
      return [check('nats', 'fail', `${redactUrl(url)}: ${(error as Error).message}`, 'start NATS with JetStream (nats-server -js), or fix NATS_URL')];
    }
  },
  async (config) => {
    const url = config.database.url;
    if (!url) {
      const { package: name, postgres } = EmbeddedDatabase.binaries();
      return postgres
        ? [check('postgresql', 'ok', `embedded (${postgres}), data under ${config.home}`)]
        : [check('postgresql', 'fail', `embedded binaries (${name}) missing`, 'run npm install, or set DATABASE_URL')];
    }
    const client = new PgClient({ connectionString: url, connectionTimeoutMillis: 3_000 });
    try {
      await client.connect();
      const { rows } = await client.query<{ server_version: string }>('show server_version');
      return [check('postgresql', 'ok', `${redactUrl(url)} (server ${rows[0].server_version})`)];
    } catch (error) {
      return [check('postgresql', 'fail', `${redactUrl(url)}: ${(error as Error).message}`, 'start PostgreSQL, or fix DATABASE_URL')];
    } finally {
      await client.end().catch(() => undefined);
    }
  },
];
