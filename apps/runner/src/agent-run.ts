import { Logger } from '@nestjs/common';
import { FSWatcher, watch } from 'node:fs';
import { chmod, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ApprovalV1, OutputEventV1, RunRequestV1, TERMINAL_EVENT_TYPES, tmuxSessionOf } from '@patchbay/contracts';
import { AgentEvent, AgentProfile, agentArgv, usesPermissionPrompt } from '@patchbay/agents';
import { Redactor } from '@patchbay/security';
import { PaneScreen, TmuxClient } from '@patchbay/tmux';
import { ApprovalBroker, AskApproval } from './approvals/approval-broker';
import { permissionMcpConfig } from './approvals/mcp-config';
import { ScreenPrompts } from './approvals/screen-prompts';
import { RunOutput } from './output/run-output';
import { ScreenOutput } from './output/screen-output';
import { StreamOutput } from './output/stream-output';
import { envScript, RUN_FILES, runScript, scriptCommand, terminalScript } from './run-script';
import { HeldFinal, JournalBatch, RunJournal } from './run-journal';
import { APPROVAL_REASK_MS, APPROVAL_RETRY_MS } from './runner.constants';
import { RunTimers } from './run-timers';
import { Throttle } from './throttle';
import { PublishError, Published, RunOutcome, Workspace } from './workspaces';

/** Pane-change hints go out at most this often per session (screen watchers then ask for the screen). */
const PANE_HINT_MS = 25;
/** A safety net only: fs.watch normally reports every write at once. */
const RESCAN_MS = 2_000;
/** Terminal mode: how long to wait for a program's first output before typing the prompt. */
const PROGRAM_READY_MS = 3_000;
/** Terminal mode: how long typed input has to show up in the pane before one retry. */
const INPUT_CONFIRM_MS = 2_000;

export interface RunDeps {
  tmux: TmuxClient;
  runnerId: string;
  /** Every event is redacted before it is journaled or published. */
  redactor: Redactor;
  publish: (event: OutputEventV1) => void;
  /** The engine's answer to an approval ask (approval.ask). */
  askApproval: AskApproval;
  /** The session's pane changed (terminal mode, bridges): a hint for screen watchers. */
  paneChanged: (sessionId: string) => void;
}

/** What a run needs of its workspace: where to work, and publishing the work at the end. */
export type RunWorkspace = Pick<Workspace, 'cwd' | 'publish'>;

export interface InputResult {
  delivered: boolean;
  detail: string;
}

/**
 * Where a run is: `running` until its final or error event goes out (`ended`: the agent may
 * still be exiting), `finished` once it let go of everything; `detached` when the runner
 * shut down and left the agent for the next runner.
 */
type RunState = 'running' | 'ended' | 'finished' | 'detached';

/**
 * One agent run: tmux session `pb-<session>` running the agent; its output turned into
 * output events by its mode's RunOutput (parsed JSON or text lines, or screen changes in
 * terminal mode and bridges), numbered from the request's nextSeq, journaled before they are
 * published, ending with `final` or `error`. A runner that restarts adopts the run again
 * from its journal.
 */
export class AgentRun {
  private readonly logger = new Logger(AgentRun.name);
  readonly tmuxSession: string;
  private seq: number;
  private state: RunState = 'running';
  private endedWith?: AgentEvent['type'];
  private readonly output: RunOutput;
  /** Set for terminal mode and bridges: the screen the output comes from. */
  private readonly screen?: ScreenOutput;
  private readonly timers: RunTimers;
  /** Terminal mode and bridges: tells screen watchers the pane changed. */
  private readonly paneHint?: Throttle;
  private watcher?: FSWatcher;
  private rescan?: NodeJS.Timeout;
  private workspace?: RunWorkspace;
  /** Answers the agent's permission prompts while it runs (approvals mode ask or deny). */
  private approvals?: ApprovalBroker;
  /** Terminal mode: permission prompts read off the screen. */
  private prompts?: ScreenPrompts;
  /**
   * A final answer the agent printed before it exited (claude does), held back while the
   * run may still push its branch: the pushed status must come first, and nothing after.
   */
  private held?: HeldFinal;
  /** Checks run one after another, so output is emitted once and in order. */
  private checks: Promise<void> = Promise.resolve();
  private resolveDone!: () => void;
  /** Resolves once the run has emitted its last event (or the runner let go of it). */
  readonly done = new Promise<void>((resolve) => (this.resolveDone = resolve));

  constructor(
    private readonly journal: RunJournal,
    readonly profile: AgentProfile,
    private readonly deps: RunDeps,
    journaled: JournalBatch[] = [],
  ) {
    // A bridge watches someone else's tmux session, named by the request's prompt.
    this.tmuxSession = profile.mode === 'bridge' ? journal.request.prompt.trim() : tmuxSessionOf(journal.request.sessionId);
    // A batch may carry only a held final: the numbering goes on from the last event.
    const last = journaled.flatMap((batch) => batch.events).at(-1);
    this.seq = last ? last.seq + 1 : journal.request.nextSeq;
    this.held = journaled.findLast((batch) => batch.held)?.held;
    const sink = { send: (events: AgentEvent[], offset: number, held?: HeldFinal) => this.send(events, offset, held), touched: () => this.timers.touched() };
    const { agent } = journal.request;
    if (this.interactive) {
      const onSettled = () => this.prompts?.look((lines) => this.screen!.tail(lines));
      const hint = (this.paneHint = new Throttle(PANE_HINT_MS, () => deps.paneChanged(journal.request.sessionId)));
      this.output = this.screen = new ScreenOutput(journal.dir, { bridged: this.bridged, agent, tmuxSession: this.tmuxSession, onSettled, onDrawn: () => hint.call() }, sink);
    } else {
      this.output = new StreamOutput(journal.dir, profile.mode === 'structured' ? profile.format! : 'text', agent, !!profile.worktree?.push, sink);
    }
    this.timers = new RunTimers(agent, profile, (code, text) => void this.stop('kill', code, text));
  }

  get request(): RunRequestV1 {
    return this.journal.request;
  }

  /** When the agent started (ms since the epoch); null while the run waits for a slot. */
  get startedAt(): number | null {
    return this.journal.startedAt ? Date.parse(this.journal.startedAt) : null;
  }

  /** How the run ended: done after a final event, failed otherwise. */
  get outcome(): RunOutcome {
    return this.endedWith === 'final' ? 'done' : 'failed';
  }

  /** The run's final or error event went out, or is held (the agent may still be exiting). */
  get hasEnded(): boolean {
    return this.state === 'ended' || this.state === 'finished' || this.held !== undefined;
  }

  /** Output comes from the pane and input is typed into it (terminal mode, and bridges). */
  get interactive(): boolean {
    return this.profile.mode === 'terminal' || this.bridged;
  }

  /** Watching a tmux session Patchbay did not start: never killed, only let go of. */
  get bridged(): boolean {
    return this.profile.mode === 'bridge';
  }

  /** While the run waits for a free slot on this runner (the WaitingLine says when: not on every move). */
  queued(position: number): void {
    this.send([{ type: 'status', state: 'waiting', text: `waiting for a free slot on runner ${this.deps.runnerId}: position ${position} in line` }], 0);
  }

  /** Starts the agent in tmux; throws (after reporting the failure as the run's end) if tmux could not. */
  async start(workspace: RunWorkspace): Promise<void> {
    this.workspace = workspace;
    if (this.bridged) return this.startBridge();
    const { request, profile } = this;
    const dir = this.journal.dir;
    const options = { runId: request.runId, sessionId: request.sessionId, taskId: request.taskId, agent: request.agent, cwd: workspace.cwd, runDir: dir };
    const mcpConfig = await this.listenForApprovals();
    this.watchPrompts();
    const argv = agentArgv(profile, request.prompt, { resume: request.resume ?? undefined, approvals: request.approvals, mcpConfig });
    const script = join(dir, RUN_FILES.script);
    await writeFile(script, this.interactive ? terminalScript({ ...options, argv }) : runScript({ ...options, argv }));
    await chmod(script, 0o700);
    await writeFile(
      join(dir, RUN_FILES.env),
      envScript(process.env, profile.passEnv, { ...profile.env, PATCHBAY_SESSION_ID: request.sessionId, PATCHBAY_TASK_ID: request.taskId }),
      { mode: 0o600 },
    );
    // A session left over from an earlier run whose runner is gone.
    await this.deps.tmux.killSession(this.tmuxSession);
    this.follow(0);
    try {
      await this.deps.tmux.newSession(this.tmuxSession, scriptCommand(script), dir);
      if (this.interactive) {
        await this.deps.tmux.pipePaneTo(this.tmuxSession, join(dir, RUN_FILES.pane));
        await writeFile(join(dir, RUN_FILES.go), '');
      }
    } catch (error) {
      this.end({ type: 'error', code: 'tmux_failed', text: `could not start ${this.tmuxSession}: ${(error as Error).message}`, exitCode: null });
      throw error;
    }
    await this.journal.update({ startedAt: new Date().toISOString() });
    this.armTimers();
    this.send([{ type: 'status', state: 'started', text: `started agent ${request.agent} in tmux session ${this.tmuxSession} on runner ${this.deps.runnerId}` }], 0);
    if (this.interactive && request.prompt.trim()) {
      // Typed too early, a program that is still starting would echo it twice or lose it.
      await this.screen!.grewPast(0, PROGRAM_READY_MS);
      await this.input(request.prompt);
    }
  }

  /**
   * When the agent asks approvals through a permission MCP tool: listens on the run's
   * socket and writes the MCP config naming it (both in the run's 0700 folder). Throws,
   * after reporting the failure as the run's end, if the socket cannot be bound.
   */
  private async listenForApprovals(): Promise<string | undefined> {
    if (!usesPermissionPrompt(this.profile, this.request.approvals)) return undefined;
    try {
      const broker = await this.approvalBroker();
      const file = join(this.journal.dir, RUN_FILES.mcpConfig);
      await writeFile(file, permissionMcpConfig(broker.socketPath), { mode: 0o600 });
      return file;
    } catch (error) {
      this.end({ type: 'error', code: 'approvals_failed', text: `could not set up approvals: ${(error as Error).message}`, exitCode: null });
      throw error;
    }
  }

  /** Listening on the run's socket, for the permission MCP server. */
  private async approvalBroker(): Promise<ApprovalBroker> {
    const broker = this.broker();
    await broker.listen();
    return broker;
  }

  private broker(): ApprovalBroker {
    const { sessionId, taskId, agent } = this.request;
    this.approvals ??= new ApprovalBroker(join(this.journal.dir, RUN_FILES.approvalSocket), { sessionId, taskId, agent }, this.deps.askApproval, this.deps.redactor, {
      reaskMs: APPROVAL_REASK_MS,
      retryMs: APPROVAL_RETRY_MS,
    });
    return this.approvals;
  }

  /** Terminal mode, approvals ask or deny: the profile's prompt patterns are watched on the screen. */
  private watchPrompts(): void {
    const patterns = this.profile.prompts ?? [];
    const mode = this.request.approvals ?? 'allow';
    if (this.profile.mode !== 'terminal' || patterns.length === 0 || mode === 'allow') return;
    const broker = this.broker();
    this.prompts = new ScreenPrompts(patterns, this.request.runId, (question, summary) => broker.decide(question, summary), {
      keys: (keys) => this.keys(keys),
      text: (text) => this.input(text),
    });
  }

  /** An approval of this session was decided: a permission prompt waiting for it asks again now. */
  approvalDecided(approval: ApprovalV1): void {
    this.approvals?.hint(approval);
  }

  /** Starts watching an existing tmux session: its screen now, then what it prints. */
  private async startBridge(): Promise<void> {
    const dir = this.journal.dir;
    this.follow(0);
    let screen: string;
    try {
      screen = (await this.deps.tmux.capturePane(this.tmuxSession)).trimEnd();
      await this.deps.tmux.pipePaneTo(this.tmuxSession, join(dir, RUN_FILES.pane), join(dir, RUN_FILES.exitCode));
    } catch (error) {
      this.end({ type: 'error', code: 'tmux_failed', text: `could not watch ${this.tmuxSession}: ${(error as Error).message}`, exitCode: null });
      throw error;
    }
    await this.journal.update({ startedAt: new Date().toISOString() });
    this.send(
      [
        { type: 'status', state: 'started', text: `watching tmux session ${this.tmuxSession} on runner ${this.deps.runnerId}` },
        ...(screen ? [{ type: 'text' as const, text: `${screen}\n` }] : []),
      ],
      0,
    );
  }

  /** Presses keys in the pane (terminal mode and bridges). */
  async keys(keys: string[]): Promise<InputResult> {
    if (!this.interactive || this.state === 'finished') return { delivered: false, detail: 'no interactive program to press keys in' };
    await this.deps.tmux.sendKeys(this.tmuxSession, keys);
    return { delivered: true, detail: `pressed ${keys.join(' ')}` };
  }

  /**
   * Picks up a run a previous runner process left: republishes journaled events the engine
   * may not have (it keeps each seq once), rebuilds the parser or screen from the output
   * already handled, and continues from there.
   */
  async adopt(journaled: JournalBatch[], engineLastSeq: number, workspace: RunWorkspace): Promise<void> {
    this.workspace = workspace;
    this.republish(journaled, engineLastSeq);
    const offset = journaled.at(-1)?.offset ?? 0;
    await this.output.replayUpTo(offset);
    this.follow(offset);
    this.armTimers();
    const exited = await this.readExitCode();
    if (exited === null && !(await this.deps.tmux.hasSession(this.tmuxSession))) {
      this.end({
        type: 'error',
        code: 'session_lost',
        text: `tmux session ${this.tmuxSession} is gone (the machine restarted, or someone killed it while no runner watched)`,
        exitCode: null,
      });
      return;
    }
    if (exited === null && usesPermissionPrompt(this.profile, this.request.approvals)) {
      // The agent's permission server asks again, with the same tool use, once this listens.
      await this.approvalBroker().catch((error: Error) => this.logger.error(`run ${this.request.runId}: approvals socket: ${error.message}`));
    }
    this.watchPrompts();
    // A prompt already on the screen is asked again (the same tool use: the engine finds its request).
    this.prompts?.look((lines) => this.screen!.tail(lines));
    this.send([{ type: 'status', state: 'resumed', text: `runner ${this.deps.runnerId} resumed streaming from ${this.tmuxSession}` }], offset);
    void this.check();
  }

  /** Publishes journaled events the engine has not stored (it would ignore repeats anyway). */
  republish(journaled: JournalBatch[], engineLastSeq: number): void {
    for (const { events } of journaled) for (const event of events) if (event.seq > engineLastSeq) this.deps.publish(event);
  }

  /** What the pane shows now, each row redacted as output is; null when there is no live pane to show. */
  async visibleScreen(): Promise<PaneScreen | null> {
    // Until the agent's tmux session exists (a run waiting for a slot, or starting) there is no pane.
    if (!this.interactive || this.hasEnded || this.startedAt === null) return null;
    const screen = await this.deps.tmux.screen(this.tmuxSession);
    return { ...screen, lines: screen.lines.map((line) => this.deps.redactor.redact(line)) };
  }

  /** Terminal mode: types the text into the pane (then Enter, unless `enter` is false) and confirms the pane changed. */
  async input(text: string, enter = true): Promise<InputResult> {
    if (!this.interactive) {
      return { delivered: false, detail: `agent ${this.request.agent} is not interactive; the message runs after the current one` };
    }
    if (this.state === 'finished') return { delivered: false, detail: 'the run has ended' };
    const pane = join(this.journal.dir, RUN_FILES.pane);
    for (let attempt = 1; attempt <= 2; attempt++) {
      const before = await size(pane);
      try {
        await this.deps.tmux.paste(this.tmuxSession, text, `pb-in-${this.request.runId}`, enter);
      } catch (error) {
        return { delivered: false, detail: `could not type into ${this.tmuxSession}: ${(error as Error).message}` };
      }
      // Woken by the run's own pane watching as the bytes are drawn, not by polling.
      if (await this.screen!.grewPast(before, INPUT_CONFIRM_MS)) {
        return { delivered: true, detail: attempt === 1 ? 'typed into the session' : 'typed into the session (second try)' };
      }
    }
    return { delivered: false, detail: `the session did not react to the input within ${(2 * INPUT_CONFIRM_MS) / 1000} s` };
  }

  /**
   * Stops the agent on purpose. `stop` interrupts (Ctrl-C in terminal mode, SIGTERM to the
   * agent otherwise); `kill` closes the tmux session. The end event carries the reason.
   */
  async stop(action: 'stop' | 'kill', code: string, text: string, by?: string): Promise<void> {
    if (this.state === 'finished') return;
    const stop = { code, text, ...(by ? { by } : {}) };
    if (this.bridged) {
      // Let go of the session: the pipe closes and the run ends; the session lives on.
      await this.journal.update({ stop });
      await this.deps.tmux.unpipePane(this.tmuxSession);
      return;
    }
    if (action === 'stop' && this.interactive) {
      await this.deps.tmux.sendKeys(this.tmuxSession, ['C-c']);
      return;
    }
    await this.journal.update({ stop });
    if (action === 'kill') {
      await this.deps.tmux.killSession(this.tmuxSession);
    } else {
      process.kill(await this.deps.tmux.panePid(this.tmuxSession), 'SIGTERM');
    }
  }

  /** Ends a run that never started (taken out of the line). */
  cancel(code: string, text: string, by?: string): void {
    this.end({ type: 'error', code, text, exitCode: null, ...(by ? { by } : {}) });
  }

  /** The runner is shutting down: stop watching, leave the agent running for the next runner. */
  detach(): void {
    this.state = 'detached';
    this.stopWatching();
    this.resolveDone();
  }

  private follow(offset: number): void {
    this.output.follow(offset);
    this.watcher = watch(this.journal.dir, () => void this.check());
    this.rescan = setInterval(() => void this.check(), RESCAN_MS);
  }

  private check(): Promise<void> {
    this.checks = this.checks.then(() => this.checkOnce());
    return this.checks;
  }

  private async checkOnce(): Promise<void> {
    if (this.state === 'finished' || this.state === 'detached') return;
    try {
      await this.output.read(false);
      const exitCode = await this.readExitCode();
      if (exitCode === null) return;
      // The agent wrote its last bytes before exit-code appeared: take them, then end.
      await this.output.read(true);
      await this.complete(exitCode);
    } catch (error) {
      this.logger.error(`run ${this.request.runId}: ${(error as Error).message}`);
    }
  }

  private async complete(exitCode: number): Promise<void> {
    const stderrTail = (await readFile(join(this.journal.dir, RUN_FILES.stderr), 'utf8').catch(() => '')).trim().slice(-2_000);
    const durationMs = Date.now() - Date.parse(this.journal.startedAt ?? new Date().toISOString());
    // A held final stands, as it would have had it gone out at once.
    const ending = this.held ? [{ ...this.held, exitCode }] : this.output.closing({ exitCode, durationMs, stderrTail, stop: this.journal.stop });
    const final = ending.findIndex((e) => e.type === 'final');
    // A bridge has no workspace of its own to publish.
    if (final < 0 || this.bridged) {
      this.end(...this.output.flush(), ...ending);
      return;
    }
    // The agent is gone: its time limits no longer apply while its work is pushed.
    this.timers.clear();
    const published = await this.publish();
    // The runner let go meanwhile: the next one adopts the run and pushes (again, harmlessly).
    if (this.state === 'detached') return;
    this.end(...this.output.flush(), ...ending.slice(0, final), ...published, ...ending.slice(final));
  }

  /**
   * The status that tells what the run pushed, or why the push failed: a line before the
   * final answer, never in its place (the answer matters more than the branch).
   */
  private async publish(): Promise<AgentEvent[]> {
    try {
      const pushed = await this.workspace?.publish();
      return pushed ? [{ type: 'status', state: 'pushed', branch: pushed.branch, text: pushedText(pushed) }] : [];
    } catch (error) {
      if (error instanceof PublishError) return [{ type: 'status', state: 'push_failed', branch: error.branch, text: error.message }];
      this.logger.error(`run ${this.request.runId}: publishing its branch: ${(error as Error).message}`);
      return [];
    }
  }

  /** Emits the run's last events and lets go of everything. */
  private end(...events: AgentEvent[]): void {
    // Let go of (a check in flight when the runner stopped): the next runner ends it, from the journal.
    if (this.state === 'finished' || this.state === 'detached') return;
    this.send(events, this.output.position);
    this.state = 'finished';
    this.stopWatching();
    this.output.close();
    void this.journal.markDone().finally(() => this.resolveDone());
  }

  private armTimers(): void {
    this.timers.arm(Date.parse(this.journal.startedAt ?? new Date().toISOString()));
  }

  private async readExitCode(): Promise<number | null> {
    try {
      return Number.parseInt((await readFile(join(this.journal.dir, RUN_FILES.exitCode), 'utf8')).trim(), 10);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw error;
    }
  }

  private stopWatching(): void {
    void this.approvals?.close();
    this.prompts?.close();
    this.watcher?.close();
    clearInterval(this.rescan);
    this.timers.clear();
    this.paneHint?.cancel();
    this.output.close();
  }

  /**
   * Numbers events, journals them as one batch with the output offset they cover, publishes.
   * Nothing follows a run's final or error event (claude prints its result before it exits,
   * so a later stop must not add a second ending).
   */
  private send(all: AgentEvent[], offset: number, held?: HeldFinal): void {
    if (this.state !== 'running') return;
    if (held) this.held = held;
    const end = all.findIndex((e) => TERMINAL_EVENT_TYPES.has(e.type));
    const bodies = end >= 0 ? all.slice(0, end + 1) : all;
    if (end >= 0) {
      this.state = 'ended';
      this.endedWith = all[end].type;
    }
    if (bodies.length === 0 && !held) return;
    const { sessionId, taskId, runId } = this.request;
    const at = new Date().toISOString();
    const { redactor } = this.deps;
    const events = bodies.map((body) => ({ ...redactor.redactAll(body), sessionId, taskId, runId, seq: this.seq++, at }) as OutputEventV1);
    this.journal.append(events, offset, held && redactor.redactAll(held));
    for (const event of events) this.deps.publish(event);
  }
}

/** `pushed branch patchbay/abc (2 commits) to origin` */
function pushedText({ branch, commits, remote }: Published): string {
  return `pushed branch ${branch} (${commits} ${commits === 1 ? 'commit' : 'commits'}) to ${remote}`;
}

async function size(file: string): Promise<number> {
  return stat(file).then(
    (s) => s.size,
    () => 0,
  );
}
