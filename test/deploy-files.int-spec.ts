import { execFileSync, spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { CONFIG_ENV_NAMES } from '@patchbay/config';

const ROOT = join(__dirname, '..');
const DEPLOY = join(ROOT, 'deploy');
const ROLES = ['gateway', 'engine', 'runner'];
/** Variables deploy files set that are not Patchbay's config: tmux's socket folder. */
const OTHER_ENV = ['TMUX_TMPDIR'];

/** `docker compose` or `docker-compose`, whichever this machine has (no engine needed for `config`). */
function composeCommand(): string[] | null {
  for (const command of [['docker', 'compose'], ['docker-compose']]) {
    if (spawnSync(command[0], [...command.slice(1), 'version'], { stdio: 'ignore' }).status === 0) return command;
  }
  return null;
}

interface ComposeService {
  command?: string[];
  environment?: Record<string, string>;
  healthcheck?: { test: string[] };
}

/** Issue #10: docker-compose.yml and the systemd units stay correct. */
describe('docker-compose.yml', () => {
  const compose = parse(readFileSync(join(ROOT, 'docker-compose.yml'), 'utf8'), { merge: true }) as { services: Record<string, ComposeService> };

  it('has NATS, PostgreSQL and the three roles, each with a healthcheck', () => {
    expect(Object.keys(compose.services).sort()).toEqual(['engine', 'gateway', 'nats', 'postgres', 'runner']);
    for (const [name, service] of Object.entries(compose.services)) expect({ name, healthcheck: !!service.healthcheck }).toEqual({ name, healthcheck: true });
  });

  it("checks each role with `patchbay health <its role>` (the gateway's is /readyz)", () => {
    for (const role of ROLES) {
      const service = compose.services[role];
      expect(service.command).toEqual(['start', role]);
      expect(service.healthcheck!.test).toEqual(['CMD', 'node', '/app/bin/patchbay', 'health', role]);
    }
  });

  it('sets only environment variables the config loader reads', () => {
    for (const role of ROLES) {
      const unknown = Object.keys(compose.services[role].environment ?? {}).filter((name) => !CONFIG_ENV_NAMES.includes(name));
      expect({ role, unknown }).toEqual({ role, unknown: [] });
    }
  });

  const command = composeCommand();
  (command ? it : it.skip)(
    command ? `passes \`${command.join(' ')} config\`` : 'passes `docker compose config` (skipped: neither the docker compose plugin nor docker-compose is installed)',
    () => {
      execFileSync(command![0], [...command!.slice(1), '-f', join(ROOT, 'docker-compose.yml'), 'config', '--quiet'], {
        env: { ...process.env, PATCHBAY_API_TOKEN: 'compose-config-check-0123456789' },
        stdio: 'pipe',
      });
    },
  );
});

describe('deploy/*.service (systemd)', () => {
  const units = Object.fromEntries(
    readdirSync(DEPLOY)
      .filter((name) => name.endsWith('.service'))
      .map((name) => [name, readFileSync(join(DEPLOY, name), 'utf8')]),
  );
  const settings = (text: string, key: string) => [...text.matchAll(new RegExp(`^${key}=(.*)$`, 'gm'))].map((m) => m[1]);

  it('has one unit per role and one for all-in-one, each starting what its name says', () => {
    expect(Object.keys(units).sort()).toEqual(['patchbay-engine.service', 'patchbay-gateway.service', 'patchbay-runner.service', 'patchbay.service']);
    for (const [name, text] of Object.entries(units)) {
      const role = /^patchbay-(\w+)\.service$/.exec(name)?.[1];
      expect(settings(text, 'ExecStart')).toEqual([`/usr/bin/node /opt/patchbay/bin/patchbay start${role ? ` ${role}` : ''}`]);
    }
  });

  it("hardens every unit and lets it write only its data folder (and what the runner's agents need)", () => {
    for (const [name, text] of Object.entries(units)) {
      const has = (key: string) => settings(text, key);
      expect({ name, NoNewPrivileges: has('NoNewPrivileges'), ProtectSystem: has('ProtectSystem'), PrivateTmp: has('PrivateTmp'), User: has('User') }).toEqual({
        name,
        NoNewPrivileges: ['yes'],
        ProtectSystem: ['strict'],
        PrivateTmp: ['yes'],
        User: ['patchbay'],
      });
      expect(has('ReadWritePaths')).toEqual(['/var/lib/patchbay']);
      expect(has('Environment')).toContain('PATCHBAY_HOME=/var/lib/patchbay');
      const runsAgents = name === 'patchbay.service' || name === 'patchbay-runner.service';
      // Agents outlive their runner in tmux, whose socket must survive a restart.
      expect({ name, KillMode: has('KillMode'), ProtectHome: has('ProtectHome') }).toEqual({
        name,
        KillMode: runsAgents ? ['process'] : [],
        ProtectHome: [runsAgents ? 'read-only' : 'yes'],
      });
      for (const setting of has('Environment')) expect([...CONFIG_ENV_NAMES, ...OTHER_ENV]).toContain(setting.split('=')[0]);
    }
  });

  it('names only config variables in the example environment file', () => {
    const names = readFileSync(join(DEPLOY, 'patchbay.env.example'), 'utf8')
      .split('\n')
      .filter((line) => /^[A-Z_]+=/.test(line))
      .map((line) => line.split('=')[0]);
    expect(names.filter((name) => !CONFIG_ENV_NAMES.includes(name))).toEqual([]);
  });

  const analyze = spawnSync('systemd-analyze', ['--version'], { stdio: 'ignore' }).status === 0;
  (analyze ? it : it.skip)(analyze ? 'passes `systemd-analyze verify` without a warning' : 'passes `systemd-analyze verify` (skipped: systemd-analyze is not installed)', () => {
    for (const name of Object.keys(units)) {
      const result = spawnSync('systemd-analyze', ['verify', join(DEPLOY, name)], { encoding: 'utf8' });
      expect({ name, status: result.status, output: `${result.stdout}${result.stderr}` }).toEqual({ name, status: 0, output: '' });
    }
  });
});
