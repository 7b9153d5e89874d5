import { AgentHost } from '@patchbay/agents';

/**
 * A strict AgentHost: only the environment, files, commands and exit codes a spec sets
 * exist; running a command no spec scripted fails the test rather than guessing.
 */
export class FakeAgentHost extends AgentHost {
  /** Every command run, as `command arg…`. */
  readonly ran: string[] = [];

  constructor(
    private readonly setup: {
      env?: Record<string, string>;
      home?: string;
      /** Commands (names or paths) the user has installed. */
      installed?: string[];
      files?: Record<string, string>;
      /** `command arg…` → its exit code. */
      exitCodes?: Record<string, number | null>;
    } = {},
  ) {
    super();
  }

  env(name: string): string | undefined {
    return this.setup.env?.[name] || undefined;
  }

  homeDir(): string {
    return this.setup.home ?? '/home/user';
  }

  installed(command: string): boolean {
    return this.setup.installed?.includes(command) ?? false;
  }

  readFile(path: string): string | null {
    return this.setup.files?.[path] ?? null;
  }

  exitCode(command: string, args: string[]): number | null {
    const line = [command, ...args].join(' ');
    this.ran.push(line);
    const codes = this.setup.exitCodes ?? {};
    if (!(line in codes)) throw new Error(`FakeAgentHost: unexpected command ${line}`);
    return codes[line];
  }
}
