import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

export const NATS_URL = process.env.TEST_NATS_URL ?? 'nats://127.0.0.1:4222';
export const POSTGRES_URL = process.env.TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

type Service = 'nats' | 'postgres' | 'tmux' | 'chromium';

/** TCP reachability, checked synchronously (in a child) so suites can decide at definition time. */
function reachable(url: string, defaultPort: number): boolean {
  const { hostname, port } = new URL(url);
  const probe = `require('net').connect(${Number(port || defaultPort)}, ${JSON.stringify(hostname)})
    .on('connect', () => process.exit(0)).on('error', () => process.exit(1)).setTimeout(1000, () => process.exit(1));`;
  return spawnSync(process.execPath, ['-e', probe], { timeout: 5_000 }).status === 0;
}

function tmuxInstalled(): boolean {
  try {
    execFileSync('tmux', ['-V']);
    return true;
  } catch {
    return false;
  }
}

/**
 * `describe` for suites that need real services. Under CI (CI=true) a missing service
 * fails the run; elsewhere the suite is skipped with the reason printed.
 */
export function describeWith(needs: Service[], name: string, body: () => void): void {
  const missing: string[] = [];
  if (needs.includes('nats') && !reachable(NATS_URL, 4222)) missing.push(`NATS at ${NATS_URL}`);
  if (needs.includes('postgres') && !reachable(POSTGRES_URL, 5432)) missing.push(`PostgreSQL at ${POSTGRES_URL}`);
  if (needs.includes('tmux') && !tmuxInstalled()) missing.push('tmux');
  if (needs.includes('chromium') && !existsSync('/usr/bin/chromium')) missing.push('Chromium at /usr/bin/chromium');
  if (missing.length === 0) {
    describe(name, body);
    return;
  }
  const reason = `not reachable: ${missing.join(', ')}`;
  if (process.env.CI === 'true') {
    describe(name, () => {
      it('has the services it needs', () => {
        throw new Error(`CI=true and ${reason}: start them (see .ci/run)`);
      });
    });
    return;
  }
  console.warn(`SKIPPED "${name}": ${reason}`);
  describe.skip(name, body);
}

/** Removes the JetStream streams a test's Patchbay made for its bus prefix (if any): inbound and dead letters. */
export async function deleteInboundStream(prefix: string): Promise<void> {
  const { connect } = await import('nats');
  const nc = await connect({ servers: NATS_URL });
  try {
    const jsm = await nc.jetstreamManager();
    const name = `${prefix.toUpperCase().replace(/[^A-Z0-9_-]/g, '_')}_INBOUND`;
    for (const stream of [name, `${name}_DEAD`]) await jsm.streams.delete(stream).catch(() => false);
  } finally {
    await nc.close();
  }
}
