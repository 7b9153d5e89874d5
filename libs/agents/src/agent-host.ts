import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, realpathSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, dirname, join, sep } from 'node:path';
import { commandOnPath } from './agent-profiles';

/**
 * What the agent usability probes read of this machine: environment, files, the PATH and
 * a short command's exit code. Side effects stay behind this class; unit specs use a strict
 * double (test/fakes/agent-host.fake.ts).
 */
export abstract class AgentHost {
  abstract env(name: string): string | undefined;
  abstract homeDir(): string;
  /**
   * Whether the user has `command`: a path as given, else on the PATH. Patchbay's own
   * node_modules/.bin (on the PATH under `npm start`, holding dev dependencies such as
   * claude) is not the user's install and does not count.
   */
  abstract installed(command: string): boolean;
  /** The file's text; null when it does not exist or cannot be read. */
  abstract readFile(path: string): string | null;
  /** The exit code of a short command (a login check); null when it could not run in time. */
  abstract exitCode(command: string, args: string[]): number | null;
}

const PROBE_TIMEOUT_MS = 5_000;

export class SystemAgentHost extends AgentHost {
  constructor(
    private readonly environment: NodeJS.ProcessEnv = process.env,
    private readonly ownModules: string | null = patchbayNodeModules(),
  ) {
    super();
  }

  env(name: string): string | undefined {
    return this.environment[name] || undefined;
  }

  homeDir(): string {
    return this.environment.HOME || homedir();
  }

  installed(command: string): boolean {
    if (command.includes('/')) return commandOnPath(command);
    const own = this.ownModules;
    const path = (this.environment.PATH ?? '')
      .split(delimiter)
      .filter((dir) => dir && !(own && isInside(realPath(dir), own)))
      .join(delimiter);
    return commandOnPath(command, path);
  }

  readFile(path: string): string | null {
    try {
      return readFileSync(path, 'utf8');
    } catch {
      return null;
    }
  }

  exitCode(command: string, args: string[]): number | null {
    const result = spawnSync(command, args, { env: this.environment, stdio: 'ignore', timeout: PROBE_TIMEOUT_MS });
    return result.error ? null : result.status;
  }
}

/** The real path of the node_modules folder Patchbay itself runs from, if any. */
function patchbayNodeModules(): string | null {
  for (let dir = __dirname; dir !== dirname(dir); dir = dirname(dir)) {
    const modules = join(dir, 'node_modules');
    if (existsSync(join(dir, 'package.json')) && existsSync(modules)) return realPath(modules);
  }
  return null;
}

function realPath(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return path;
  }
}

function isInside(path: string, dir: string): boolean {
  return path === dir || path.startsWith(dir + sep);
}
