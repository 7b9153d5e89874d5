import { Inject, Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { AppError, Bus, HeldSessions, TransportSubscription } from '@patchbay/bus';
import { PATCHBAY_CONFIG, PatchbayConfig } from '@patchbay/config';
import { ApprovalV1, ControlResultV1, InputResultV1, RunAcceptedV1, RunnerHeartbeatV1, RunRequestV1, ScreenV1, sessionOfTmux, TmuxSessionsV1 } from '@patchbay/contracts';
import { AgentProfile, agentProfiles, commandOnPath } from '@patchbay/agents';
import { PatchbayMetrics } from '@patchbay/metrics';
import { REDACTOR, Redactor, withLogIds } from '@patchbay/security';
import { TmuxClient } from '@patchbay/tmux';
import { AgentRun, RunDeps } from './agent-run';
import { runnerIdOf } from './runner-id';
import { JournalBatch, RunJournal } from './run-journal';
import { WaitingLine } from './waiting-line';
import { Workspace, Workspaces } from './workspaces';
import { ENGINE_WAIT_MS, HEARTBEAT_INTERVAL_MS, PREVIOUS_RUN_EXIT_MS } from './runner.constants';

const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Starts agents in tmux within its capacity (runs beyond it wait in line), answers input
 * and stop requests for the sessions it holds, adopts the runs of its previous process,
 * and tells the others it is alive.
 */
@Injectable()
export class RunnerService implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(RunnerService.name);
  readonly runnerId: string;
  private readonly profiles: Map<string, AgentProfile>;
  private readonly deps: RunDeps;
  /** Runs with an agent in tmux, by session id. */
  private readonly running = new Map<string, AgentRun>();
  /** Runs accepted while every slot was taken, in order. */
  private readonly waiting = new WaitingLine<AgentRun>();
  /** The session-addressed subscriptions (input, keys, control, screen) of each run held here. */
  private heartbeat?: NodeJS.Timeout;
  private runnerSubs: TransportSubscription[] = [];
  /** Agents whose command this machine has, reported in heartbeats. */
  private installedAgents: string[] = [];
  private stopping = false;
  private readonly workspaces: Workspaces;
  private tmuxState: RunnerHeartbeatV1['tmux'] = { ok: false, detail: 'not checked yet' };

  constructor(
    @Inject(PATCHBAY_CONFIG) private readonly config: PatchbayConfig,
    private readonly bus: Bus,
    private readonly sessions: HeldSessions,
    tmux: TmuxClient,
    @Inject(REDACTOR) redactor: Redactor,
    private readonly metrics: PatchbayMetrics,
  ) {
    this.runnerId = runnerIdOf(config);
    this.profiles = agentProfiles(config);
    this.workspaces = new Workspaces(config.home);
    this.deps = {
      tmux,
      runnerId: this.runnerId,
      redactor,
      publish: (event) => this.bus.publish('session.*.output', event, [event.sessionId]),
      askApproval: (ask) => this.bus.request('approval.ask', ask),
      paneChanged: (sessionId) => this.bus.publish('session.*.pane', { sessionId }, [sessionId]),
    };
  }

  private get runsDir(): string {
    return join(this.config.home, 'runs');
  }

  async onApplicationBootstrap(): Promise<void> {
    try {
      this.tmuxState = { ok: true, detail: await this.deps.tmux.version() };
    } catch (error) {
      this.tmuxState = { ok: false, detail: (error as Error).message };
      this.logger.error(`tmux unavailable, runs will fail: ${this.tmuxState.detail}`);
    }
    // Looked up once, not on every heartbeat (each lookup scans every PATH folder).
    this.installedAgents = [...this.profiles].filter(([, p]) => commandOnPath(p.command)).map(([name]) => name);
    await RunJournal.prepare(this.runsDir);
    await this.adoptUnfinished();
    this.runnerSubs = [
      this.bus.respond('runner.*.resync', (request) => this.resync(request.sessionId, request.afterSeq), { params: [this.runnerId] }),
      this.bus.respond('runner.*.tmux', () => this.tmuxSessions(), { params: [this.runnerId] }),
    ];
    this.announce();
    this.heartbeat = setInterval(() => this.announce(), HEARTBEAT_INTERVAL_MS);
    this.logger.log(`runner ${this.runnerId} ready (${this.tmuxState.detail}, capacity ${this.config.runner.capacity})`);
  }

  accept(request: RunRequestV1): Promise<RunAcceptedV1> {
    return withLogIds(logIdsOf(request), () => this.acceptRun(request));
  }

  private async acceptRun(request: RunRequestV1): Promise<RunAcceptedV1> {
    // The same run asked again (an engine that died while asking): the same answer.
    const known = [...this.running.values(), ...this.waiting.runs()].find((r) => r.request.runId === request.runId);
    if (known) {
      return { runnerId: this.runnerId, tmuxSession: known.tmuxSession, position: this.waiting.positionOf(known) };
    }
    const configured = this.profiles.get(request.agent);
    if (!configured) throw new AppError('unknown_agent', `runner ${this.runnerId} has no agent profile "${request.agent}"`);
    const profile = request.model ? { ...configured, model: request.model } : configured;
    if (!commandOnPath(profile.command)) {
      throw new AppError('agent_not_installed', `agent ${request.agent}: "${profile.command}" is not on the PATH of runner ${this.runnerId}`);
    }
    // The previous run of the session has reported its end but its agent is still exiting
    // (claude prints its result first): let it finish rather than refuse the follow-up.
    const previous = this.running.get(request.sessionId);
    if (previous?.hasEnded) await Promise.race([previous.done, delay(PREVIOUS_RUN_EXIT_MS)]);
    if (this.holds(request.sessionId)) {
      throw new AppError('session_busy', `session ${request.sessionId} already has a run on runner ${this.runnerId}`);
    }
    if (profile.mode === 'bridge' && !(await this.deps.tmux.hasSession(request.prompt.trim()))) {
      // Another runner (on another machine) may have it: the engine asks around.
      throw new AppError('tmux_session_not_here', `runner ${this.runnerId} has no tmux session "${request.prompt.trim()}"`);
    }
    const full = this.running.size >= this.config.runner.capacity;
    if (full && !request.queueIfBusy) {
      throw new AppError('runner_at_capacity', `runner ${this.runnerId} runs ${this.running.size} agents (capacity ${this.config.runner.capacity})`);
    }
    const journal = await RunJournal.create(join(this.runsDir, request.runId), {
      request,
      runnerId: this.runnerId,
      acceptedAt: new Date().toISOString(),
    });
    const run = new AgentRun(journal, profile, this.deps);
    this.hold(run);
    if (full) {
      const position = this.waiting.join(run);
      this.logger.log(`run ${request.runId} waits for a slot (position ${position})`);
      return { runnerId: this.runnerId, tmuxSession: run.tmuxSession, position };
    }
    await this.launch(run);
    return { runnerId: this.runnerId, tmuxSession: run.tmuxSession, position: 0 };
  }

  async input(sessionId: string, text: string, enter?: boolean): Promise<InputResultV1> {
    const run = this.running.get(sessionId);
    if (!run) return { delivered: false, detail: `session ${sessionId} is waiting for a free slot; the message runs after it` };
    return run.input(text, enter);
  }

  async keys(sessionId: string, keys: string[]): Promise<InputResultV1> {
    const run = this.running.get(sessionId);
    if (!run) return { delivered: false, detail: `session ${sessionId} is waiting for a free slot; no keys pressed` };
    return run.keys(keys);
  }

  /** The session's pane now; not_found when its run is not an interactive one under way here. */
  async screen(sessionId: string): Promise<ScreenV1> {
    const screen = await this.running.get(sessionId)?.visibleScreen();
    if (!screen) throw new AppError('not_found', `session ${sessionId} has no live terminal on runner ${this.runnerId}`);
    return { sessionId, ...screen, at: new Date().toISOString() };
  }

  async control(sessionId: string, action: 'stop' | 'kill', by: string): Promise<ControlResultV1> {
    const waiting = this.waiting.runs().find((r) => r.request.sessionId === sessionId);
    if (waiting) {
      // It never started: take it out of the line.
      this.waiting.remove(waiting);
      waiting.cancel('cancelled', `cancelled by ${by} before it started`, by);
      this.release(waiting);
      return { runId: waiting.request.runId, detail: 'removed from the line before it started' };
    }
    const run = this.running.get(sessionId);
    // A run that reported its end is only waiting for its agent to exit: nothing to stop.
    if (!run || run.hasEnded) throw new AppError('not_found', `session ${sessionId} has no live run on runner ${this.runnerId}`);
    if (run.bridged && action === 'kill') {
      throw new AppError('not_allowed', `Patchbay did not start tmux session ${run.tmuxSession} and will not kill it; /unwatch lets go of it`);
    }
    if (run.bridged) {
      await run.stop('stop', 'unwatched', `stopped watching tmux session ${run.tmuxSession} (${by})`, by);
      return { runId: run.request.runId, detail: `stopped watching ${run.tmuxSession}` };
    }
    await run.stop(action, action === 'kill' ? 'killed' : 'stopped', `${action === 'kill' ? 'killed' : 'stopped'} by ${by}`, by);
    return { runId: run.request.runId, detail: action === 'kill' ? 'tmux session closed' : run.interactive ? 'sent Ctrl-C' : 'sent SIGTERM to the agent' };
  }

  /** A decided approval: the session's run, if here, asks again at once (the decision comes from that reply). */
  approvalDecided(approval: ApprovalV1): void {
    this.running.get(approval.sessionId)?.approvalDecided(approval);
  }

  /** Publishes again the journaled events of a session's runs after `afterSeq`. */
  async resync(sessionId: string, afterSeq: number): Promise<{ republished: number }> {
    let republished = 0;
    for (const { batches } of await RunJournal.ofSession(this.runsDir, sessionId)) {
      for (const event of batches.flatMap((b) => b.events)) {
        if (event.seq <= afterSeq) continue;
        this.deps.publish(event);
        republished++;
      }
    }
    if (republished > 0) this.logger.log(`session ${sessionId}: published ${republished} event(s) again for the engine`);
    return { republished };
  }

  /** The tmux sessions on this machine, and which ones Patchbay started. */
  async tmuxSessions(): Promise<TmuxSessionsV1> {
    const names = await this.deps.tmux.listSessions();
    return { sessions: names.map((name) => ({ name, patchbay: sessionOfTmux(name) !== null })) };
  }

  announce(leaving = false): void {
    this.metrics.runnerCapacity.set({ runner: this.runnerId }, this.config.runner.capacity);
    this.metrics.runnerActiveRuns.set({ runner: this.runnerId }, this.running.size);
    this.metrics.queueDepth.set({ queue: 'runner' }, this.waiting.length);
    this.bus.publish('runner.heartbeat', {
      runnerId: this.runnerId,
      host: hostname(),
      agents: this.installedAgents,
      activeRuns: this.running.size,
      capacity: this.config.runner.capacity,
      tmux: this.tmuxState,
      at: new Date().toISOString(),
      leaving,
    });
  }

  /**
   * Agents keep running in tmux when the runner stops; the next runner process on this
   * machine adopts them (and the runs still waiting in line) from their journals.
   */
  async onModuleDestroy(): Promise<void> {
    this.stopping = true;
    clearInterval(this.heartbeat);
    for (const sub of this.runnerSubs) sub.unsubscribe();
    for (const run of [...this.running.values(), ...this.waiting.runs()]) {
      this.sessions.release(run.request.sessionId);
      run.detach();
    }
    if (this.running.size > 0) this.logger.log(`leaving ${this.running.size} run(s) live in tmux for the next runner`);
    this.announce(true);
    await this.bus.transport.flush();
  }

  /** Counts the run against capacity until it ends; then its workspace is released and the next in line starts. */
  private track(run: AgentRun, workspace: Workspace): void {
    this.running.set(run.request.sessionId, run);
    void run.done.then(async () => {
      if (this.stopping || this.running.get(run.request.sessionId) !== run) return;
      this.running.delete(run.request.sessionId);
      if (run.startedAt !== null) {
        this.metrics.runDuration.observe({ agent: run.request.agent, outcome: run.outcome }, (Date.now() - run.startedAt) / 1000);
      }
      this.release(run);
      await workspace.release(run.outcome);
      await this.startWaiting();
      // Tell the engine and dashboards about the freed slot now, not at the next heartbeat.
      this.announce();
    });
  }

  /** Starts a run; a failure to start is reported by the run itself, as its error event. */
  private launch(run: AgentRun): Promise<void> {
    // A run from the line starts from another run's end: its lines carry its own ids.
    return withLogIds(logIdsOf(run.request), () => this.launchRun(run));
  }

  private async launchRun(run: AgentRun): Promise<void> {
    let workspace: Workspace;
    try {
      workspace = await this.workspaces.prepare(run.profile, run.request);
    } catch (error) {
      run.cancel('workspace_failed', `could not prepare the workspace: ${(error as Error).message}`);
      this.release(run);
      return;
    }
    this.track(run, workspace);
    try {
      await run.start(workspace);
      this.logger.log(`run ${run.request.runId} started: agent ${run.request.agent} in ${run.tmuxSession}`);
    } catch (error) {
      this.logger.error(`run ${run.request.runId} could not start: ${(error as Error).message}`);
    }
  }

  private async startWaiting(): Promise<void> {
    while (this.running.size < this.config.runner.capacity && this.waiting.length > 0) {
      const next = this.waiting.next()!;
      await this.launch(next).catch((error) => this.logger.error(`run ${next.request.runId}: ${(error as Error).message}`));
    }
  }

  private async adoptUnfinished(): Promise<void> {
    const found = await RunJournal.unfinished(this.runsDir);
    // Events published while no engine listens are lost, so adoption waits for one.
    if (found.length > 0) await this.waitForEngine(found.length);
    for (const { journal, batches } of found) await withLogIds(logIdsOf(journal.request), () => this.adopt(journal, batches));
    await this.startWaiting();
  }

  /** Takes over a run of the previous runner process: live in tmux, or still in line. */
  private async adopt(journal: RunJournal, batches: JournalBatch[]): Promise<void> {
    const profile = this.profiles.get(journal.request.agent) ?? { command: 'true', args: [], env: {}, passEnv: [], mode: 'text' };
    const run = new AgentRun(journal, profile, this.deps, batches);
    const lastSeq = await this.engineLastSeq(journal.request.sessionId);
    this.hold(run);
    if (journal.startedAt) {
      const workspace = this.workspaces.handle(profile, journal.request);
      this.track(run, workspace);
      await run.adopt(batches, lastSeq, workspace);
      this.logger.log(`adopted run ${journal.request.runId} in ${run.tmuxSession}`);
    } else {
      run.republish(batches, lastSeq);
      this.waiting.adopt(run);
    }
  }

  private async waitForEngine(runs: number): Promise<void> {
    const deadline = Date.now() + ENGINE_WAIT_MS;
    for (let logged = false; Date.now() < deadline; logged = true) {
      try {
        await this.bus.request('engine.status', {}, { timeoutMs: 2_000 });
        return;
      } catch {
        if (!logged) this.logger.log(`waiting for the engine before adopting ${runs} run(s)`);
        await delay(500);
      }
    }
    this.logger.warn(`no engine after ${ENGINE_WAIT_MS / 1000} s: adopting anyway`);
  }

  /** The engine's view of how far the session's transcript got; 0 (republish all) if unknown. */
  private async engineLastSeq(sessionId: string): Promise<number> {
    try {
      return (await this.bus.request('query.sessions.get', { id: sessionId })).session?.lastSeq ?? 0;
    } catch {
      return 0;
    }
  }

  private holds(sessionId: string): boolean {
    return this.running.has(sessionId) || this.waiting.runs().some((r) => r.request.sessionId === sessionId);
  }

  /** The session's input, keys, control and screen requests come here while its run is held (HeldSessionsController). */
  private hold(run: AgentRun): void {
    this.sessions.hold(run.request.sessionId);
  }

  private release(run: AgentRun): void {
    this.sessions.release(run.request.sessionId);
  }
}

function logIdsOf(request: RunRequestV1): { sessionId: string; taskId: string; runId: string } {
  return { sessionId: request.sessionId, taskId: request.taskId, runId: request.runId };
}
