import { rmSync } from 'node:fs';
import { Bus, HeldSessions, InProcessTransport } from '@patchbay/bus';
import type { PatchbayConfig } from '@patchbay/config';
import { newId, OutputEventV1, RunRequestV1 } from '@patchbay/contracts';
import { PatchbayMetrics } from '@patchbay/metrics';
import { Redactor } from '@patchbay/security';
import { TmuxClient } from '@patchbay/tmux';
import { HeldSessionsController } from '../../apps/runner/src/held-sessions.controller';
import { RunnerService } from '../../apps/runner/src/runner.service';
import { removeTmuxServer } from './patchbay-processes';

/**
 * A RunnerService for runner specs: an in-process bus, a tmux server of its own, every
 * output event recorded. `restart()` is what a new runner process does.
 */
export class SpecRunner {
  readonly bus = new Bus(new InProcessTransport(), { prefix: 'pbtest', requestTimeoutMs: 5_000 });
  readonly events: OutputEventV1[] = [];
  private readonly socket = `pbtest-${newId(8)}`;
  private config?: PatchbayConfig;
  private current?: RunnerService;

  constructor() {
    this.bus.subscribe('session.*.output', (event) => void this.events.push(event));
  }

  get runner(): RunnerService {
    if (!this.current) throw new Error('SpecRunner: start() it first');
    return this.current;
  }

  async start(config: PatchbayConfig): Promise<RunnerService> {
    this.config = config;
    const sessions = new HeldSessions(this.bus);
    this.current = new RunnerService(config, this.bus, sessions, new TmuxClient(this.socket), Redactor.fromConfig(config), new PatchbayMetrics('spec-runner'));
    new HeldSessionsController(this.current, sessions).onModuleInit();
    await this.current.onApplicationBootstrap();
    return this.current;
  }

  /** Stops the runner (its runs stay live in tmux) and starts a new one, which adopts them. */
  async restart(): Promise<RunnerService> {
    await this.runner.onModuleDestroy();
    return this.start(this.config!);
  }

  /** The events of one run, in the order they came. */
  of(request: RunRequestV1): OutputEventV1[] {
    return this.events.filter((e) => e.runId === request.runId);
  }

  /** Stops everything and removes the tmux server and `dirs`. */
  async stop(...dirs: string[]): Promise<void> {
    await this.current?.onModuleDestroy();
    await this.bus.close();
    removeTmuxServer(this.socket);
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  }
}
