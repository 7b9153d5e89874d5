import { ChildProcess, spawn } from 'node:child_process';

const NATS_SERVER = '/usr/sbin/nats-server';

/**
 * A nats-server of an int-spec's own (its TLS and users, or one to stop and start again),
 * so a suite can break its broker without touching the shared one on 4222.
 */
export class PrivateNatsServer {
  private server?: ChildProcess;

  constructor(private readonly args: readonly string[]) {}

  /** Resolves once the server says it is ready; rejects with its output if it exits first. */
  async start(): Promise<void> {
    const server = spawn(NATS_SERVER, this.args, { stdio: ['ignore', 'ignore', 'pipe'] });
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      let output = '';
      server.stderr!.on('data', (chunk: Buffer) => {
        output += chunk.toString();
        if (output.includes('Server is ready')) resolve();
      });
      server.once('exit', (code) => reject(new Error(`nats-server exited with ${code}:\n${output}`)));
    });
  }

  /** Freezes (SIGSTOP) or thaws (SIGCONT) the server: its connections stay open, unanswered. */
  freeze(frozen: boolean): void {
    this.server?.kill(frozen ? 'SIGSTOP' : 'SIGCONT');
  }

  /** Stops the server by `signal` (SIGKILL for a crash) and waits for it to exit. */
  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    const server = this.server;
    if (!server || server.exitCode !== null || server.signalCode !== null) return;
    const exited = new Promise((resolve) => server.once('exit', resolve));
    server.kill(signal);
    await exited;
  }
}
