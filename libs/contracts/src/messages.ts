import { z } from 'zod';
import { Vouch } from './access';
import { ID_PATTERN } from './ids';
import { textField } from './text';

const id = z.string().regex(ID_PATTERN, 'expected a lowercase id of 4-40 letters and digits');
const isoTime = z.iso.datetime({ offset: true });

/** Longest text accepted from any channel; bigger inputs are refused with a clear error. */
export const MAX_INBOUND_TEXT = 32_000;

/** A message from any channel, normalized by its plugin. */
export const InboundMessageV1 = z.object({
  channel: z.string().min(1).max(40),
  accountId: z.string().min(1).max(200),
  /** The platform's own id for this message: the dedup key with channel and account. */
  messageId: z.string().min(1).max(200),
  chatId: z.string().min(1).max(200).nullable(),
  sender: z.object({
    id: z.string().min(1).max(200),
    name: textField().max(200).optional(),
    /** The channel checked this sender on its platform and vouches for their role (see Vouch). */
    vouch: Vouch.optional(),
  }),
  text: textField().trim().min(1, 'text is empty').max(MAX_INBOUND_TEXT),
  /**
   * Set by a channel whose clients choose the message id (the HTTP API's Idempotency-Key):
   * a digest of what was sent (sha256 hex). The same id with another digest is refused
   * (`idempotency_conflict`) instead of answered as the first; channels whose platform
   * names the message leave it out.
   */
  contentDigest: z
    .string()
    .regex(/^[0-9a-f]{64}$/)
    .optional(),
  /** Labels the platform attached (GitHub issue labels); routing rules can match them. */
  labels: z.array(textField().max(100)).max(50).optional(),
  receivedAt: isoTime,
});
export type InboundMessageV1 = z.infer<typeof InboundMessageV1>;

export const InboundAcceptedV1 = z.object({
  /** The task the message started; null when it started none (input, a command, refused). */
  taskId: id.nullable(),
  /** The session it went to; null when none (a command without one, refused). */
  sessionId: id.nullable(),
  /** True when this message was seen before: nothing new was started. */
  duplicate: z.boolean(),
  /** Set when the message went to a live interactive session as input. */
  input: z.object({ delivered: z.boolean(), detail: z.string() }).optional(),
  /** What became of the message. */
  outcome: z.enum(['task', 'input', 'command', 'pairing', 'denied']),
  /** Of a new task that waits: how many tasks of its session are queued or running before it. */
  ahead: z.number().int().positive().optional(),
  /** Text for the sender (a command's answer, a pairing code, why it was refused). */
  reply: textField().optional(),
  /** Buttons to show with the reply, each standing for a command (e.g. approve a pairing). */
  buttons: z
    .array(z.object({ id: z.string().min(1).max(64), label: z.string().min(1).max(64) }))
    .max(10)
    .optional(),
});
export type InboundAcceptedV1 = z.infer<typeof InboundAcceptedV1>;

const outputBase = {
  sessionId: id,
  taskId: id,
  runId: id,
  /** Per-session sequence number, starting at 1, without gaps. */
  seq: z.number().int().positive(),
  at: isoTime,
};

/**
 * A run's lifecycle steps: waiting for a slot, started, resumed after a runner restart;
 * and, after a successful run that committed on its task branch, the branch pushed (or the
 * push failed), just before the final event.
 */
export const RunState = z.enum(['waiting', 'started', 'resumed', 'pushed', 'push_failed']);
export type RunState = z.infer<typeof RunState>;

export const OutputEventV1 = z.discriminatedUnion('type', [
  z.object({ ...outputBase, type: z.literal('text'), text: textField() }),
  z.object({
    ...outputBase,
    type: z.literal('tool_call'),
    tool: textField(),
    input: textField(),
  }),
  z.object({ ...outputBase, type: z.literal('tool_result'), tool: textField(), text: textField() }),
  z
    .object({
      ...outputBase,
      type: z.literal('status'),
      text: textField(),
      /** Set by the runner on lifecycle steps (RunState). */
      state: RunState.optional(),
      /** pushed / push_failed: the task's branch (`patchbay/<task>`), for a pull request. */
      branch: z.string().min(1).optional(),
      /** The agent's own session id (claude's session_id, codex's thread), for resuming it. */
      agentSessionId: z.string().optional(),
    })
    .refine((e) => (e.state === 'pushed' || e.state === 'push_failed') === (e.branch !== undefined), {
      message: 'branch is set exactly on pushed and push_failed statuses',
      path: ['branch'],
    }),
  z.object({
    ...outputBase,
    type: z.literal('final'),
    text: textField(),
    durationMs: z.number().int().nonnegative(),
    exitCode: z.number().int().nullable(),
    costUsd: z.number().nonnegative().optional(),
    tokens: z.object({ input: z.number().int().nonnegative(), output: z.number().int().nonnegative() }).optional(),
    agentSessionId: z.string().optional(),
  }),
  z.object({
    ...outputBase,
    type: z.literal('error'),
    text: textField(),
    code: z.string(),
    exitCode: z.number().int().nullable(),
    /** Who stopped, killed or cancelled the run, when someone did (`api:ops`, `telegram:42`). */
    by: z.string().max(200).optional(),
  }),
]);
export type OutputEventV1 = z.infer<typeof OutputEventV1>;

/**
 * The error event that ends a run which Patchbay itself gave up (it could not start, its
 * runner was lost, its output could not be stored), at the session's next seq.
 */
export function runErrorEvent(run: { sessionId: string; taskId: string; runId: string; seq: number }, code: string, text: string, at: Date = new Date()): OutputEventV1 {
  return { ...run, type: 'error', code, text, exitCode: null, at: at.toISOString() };
}
export type OutputEventType = OutputEventV1['type'];
/** The events after which a run produces nothing more. */
export const TERMINAL_EVENT_TYPES: ReadonlySet<OutputEventType> = new Set(['final', 'error']);

/** Engine → runner: start an agent for a task. */
export const RunRequestV1 = z.object({
  runId: id,
  taskId: id,
  sessionId: id,
  agent: z.string().min(1),
  prompt: textField().min(1),
  /** The seq the first event of this run must carry (the session's transcript continues). */
  nextSeq: z.number().int().positive(),
  /** The agent's own session to continue (claude --resume), from an earlier run's events. */
  resume: z.string().min(1).nullable().optional(),
  /** The session's model choice (`/model`), over the profile's. */
  model: z.string().min(1).optional(),
  /** When every runner is full: wait in this runner's line instead of refusing. */
  queueIfBusy: z.boolean().optional(),
  /**
   * The effective approvals mode of the run's profile and rule. Not `allow` (absent means
   * allow, as before approvals): the runner has the agent ask (approval.ask) before a tool
   * use its own flags do not allow.
   */
  approvals: z.enum(['ask', 'allow', 'deny']).optional(),
});
export type RunRequestV1 = z.infer<typeof RunRequestV1>;

export const RunAcceptedV1 = z.object({
  runnerId: z.string(),
  tmuxSession: z.string(),
  /** 0 when the run started; otherwise its place in the runner's line. */
  position: z.number().int().nonnegative(),
});
export type RunAcceptedV1 = z.infer<typeof RunAcceptedV1>;

export const RunnerHeartbeatV1 = z.object({
  runnerId: z.string(),
  host: z.string(),
  agents: z.array(z.string()),
  activeRuns: z.number().int().nonnegative(),
  capacity: z.number().int().positive(),
  tmux: z.object({ ok: z.boolean(), detail: z.string() }),
  at: isoTime,
  /** True when the runner is shutting down: drop it from the live set at once. */
  leaving: z.boolean(),
});
export type RunnerHeartbeatV1 = z.infer<typeof RunnerHeartbeatV1>;

/** Names a session, for events that carry nothing else. */
export const SessionRefV1 = z.object({ sessionId: id });
export type SessionRefV1 = z.infer<typeof SessionRefV1>;

/** Text for a live session: typed into a terminal-mode agent. */
export const SessionInputV1 = z.object({
  text: textField().min(1).max(MAX_INBOUND_TEXT),
  sender: z.string().max(200).optional(),
  /** Press Enter after the text (the default); false leaves it typed, e.g. for the dashboard's keyboard. */
  enter: z.boolean().optional(),
});
export type SessionInputV1 = z.infer<typeof SessionInputV1>;
export const InputResultV1 = z.object({ delivered: z.boolean(), detail: z.string() });
export type InputResultV1 = z.infer<typeof InputResultV1>;

/** stop interrupts the agent (Ctrl-C / SIGTERM); kill closes its tmux session. */
export const SessionControlV1 = z.object({ action: z.enum(['stop', 'kill']), by: z.string().max(200) });
export type SessionControlV1 = z.infer<typeof SessionControlV1>;
export const ControlResultV1 = z.object({ runId: z.string(), detail: z.string() });
export type ControlResultV1 = z.infer<typeof ControlResultV1>;

/** tmux key names for `/keys`: C-c, Enter, Escape, Up, F5, or a single character. */
export const SessionKeysV1 = z.object({
  keys: z
    .array(z.string().regex(/^(?:[A-Za-z0-9]|[CMS]-[A-Za-z0-9]|[A-Z][A-Za-z0-9]{1,12})$/, 'expected tmux key names like C-c, Enter, Up'))
    .min(1)
    .max(20),
});
export type SessionKeysV1 = z.infer<typeof SessionKeysV1>;

/**
 * What a live terminal session's pane shows now (terminal mode and bridges): the visible
 * rows with their ANSI colour escapes (redacted by the runner), the pane's size and cursor.
 */
export const ScreenV1 = z.object({
  sessionId: z.string(),
  cols: z.number().int().positive(),
  rows: z.number().int().positive(),
  cursor: z.object({ x: z.number().int().nonnegative(), y: z.number().int().nonnegative() }),
  lines: z.array(z.string()),
  at: isoTime,
});
export type ScreenV1 = z.infer<typeof ScreenV1>;

export const TmuxSessionsV1 = z.object({
  sessions: z.array(z.object({ name: z.string(), patchbay: z.boolean() })),
});
export type TmuxSessionsV1 = z.infer<typeof TmuxSessionsV1>;

export const Empty = z.object({}).strict();
export type Empty = z.infer<typeof Empty>;

/** Whether an agent can run here: its CLI found, and logged in (or given a key). */
export const AgentStatusV1 = z.object({
  name: z.string(),
  state: z.enum(['ok', 'not_installed', 'not_logged_in']),
  detail: z.string(),
  /** What to do about it; null when it is ok. */
  fix: z.string().nullable(),
});
export type AgentStatusV1 = z.infer<typeof AgentStatusV1>;

/** The agents the engine found at start, and the default it chose (with why, when it fell back to the demo). */
export const AgentSurveyV1 = z.object({
  defaultAgent: z.string(),
  /** Said to whoever starts a task on the default agent, e.g. why it is the demo. */
  notice: z.string().nullable(),
  agents: z.array(AgentStatusV1),
});
export type AgentSurveyV1 = z.infer<typeof AgentSurveyV1>;

/** One line of `patchbay doctor`: what was checked, how it went, and what to do about it. */
export const DoctorCheckV1 = z.object({
  name: z.string(),
  /** fail: something needed is broken (doctor exits non-zero); warn: worth knowing. */
  outcome: z.enum(['ok', 'warn', 'fail']),
  detail: z.string(),
  fix: z.string().nullable(),
});
export type DoctorCheckV1 = z.infer<typeof DoctorCheckV1>;

export const EngineStatusV1 = z.object({
  database: z.object({ ok: z.boolean(), detail: z.string() }),
  /** Left out by an engine older than the survey. */
  agents: AgentSurveyV1.optional(),
});
export type EngineStatusV1 = z.infer<typeof EngineStatusV1>;

export const SessionStatus = z.enum(['idle', 'running', 'failed']);
/**
 * new → routed → queued → running → done | failed | blocked | needs_review | cancelled;
 * a retry goes from running back to queued.
 */
export const TaskStatus = z.enum(['new', 'routed', 'queued', 'running', 'done', 'failed', 'blocked', 'needs_review', 'cancelled']);
export type TaskStatus = z.infer<typeof TaskStatus>;

export const SessionV1 = z.object({
  id,
  status: SessionStatus,
  agent: z.string(),
  tmuxSession: z.string(),
  runnerId: z.string().nullable(),
  lastSeq: z.number().int().nonnegative(),
  createdAt: isoTime,
  updatedAt: isoTime,
});
export type SessionV1 = z.infer<typeof SessionV1>;

export const TaskV1 = z.object({
  id,
  sessionId: id,
  status: TaskStatus,
  agent: z.string(),
  prompt: textField(),
  channel: z.string(),
  chatId: z.string().nullable(),
  error: textField().nullable(),
  /** The run of the latest attempt (null while queued for one). */
  runId: z.string().nullable(),
  attempts: z.number().int().nonnegative(),
  createdAt: isoTime,
  updatedAt: isoTime,
  startedAt: isoTime.nullable(),
  finishedAt: isoTime.nullable(),
  /** Every status change, oldest first (only when one task is asked for). */
  history: z
    .array(
      z.object({
        from: TaskStatus.nullable(),
        to: TaskStatus,
        at: isoTime,
        reason: z.string().nullable(),
        /** Who made the change, where Patchbay knows: the sender (`telegram:42`, `api:ops`), who stopped or retried it; null for Patchbay's own steps. */
        by: z.string().nullable(),
      }),
    )
    .optional(),
});
export type TaskV1 = z.infer<typeof TaskV1>;

export const ListQueryV1 = z.object({ limit: z.number().int().min(1).max(500) });
export type ListQueryV1 = z.infer<typeof ListQueryV1>;
export const ByIdV1 = z.object({ id });
export type ByIdV1 = z.infer<typeof ByIdV1>;

export const TaskListV1 = z.object({ tasks: z.array(TaskV1) });
export const TaskFoundV1 = z.object({ task: TaskV1.nullable() });

export const TranscriptQueryV1 = z.object({
  sessionId: id,
  after: z.number().int().nonnegative(),
  limit: z.number().int().min(1).max(1000),
});
export type TranscriptQueryV1 = z.infer<typeof TranscriptQueryV1>;
export const TranscriptPageV1 = z.object({
  session: SessionV1.nullable(),
  /** True while the session runs or has queued tasks: more events will come. */
  active: z.boolean(),
  events: z.array(OutputEventV1),
});
export type TranscriptPageV1 = z.infer<typeof TranscriptPageV1>;

/** True when the task went on after the run `runId` ended (it is queued or runs again). */
export function isRetried(task: Pick<TaskV1, 'status' | 'runId'>, runId: string): boolean {
  return task.status === 'queued' || task.status === 'running' || task.runId !== runId;
}
