import { z } from 'zod';
import * as a from './access';
import * as ap from './approvals';
import * as d from './dead-letters';
import * as j from './jobs';
import * as m from './messages';
import * as mx from './metrics';
import * as o from './overview';
import * as t from './terminal';

/**
 * The one map of bus subjects. Keys are subject patterns without the deployment prefix
 * (`pb.` by default); a `*` is a token a publisher fills in (a session id). Every publish
 * and every handler goes through this map, so payloads are checked at both ends.
 *
 * `SIGNED` requests carry channel identities or change state: the Bus signs them with
 * `bus.secret`, which only the gateway and the engine hold, and the responder refuses one
 * without a valid signature (docs/ARCHITECTURE.md, "Trust model").
 */
const SIGNED = { signed: true } as const;

export const contracts = {
  /** A channel hands a user's message to the engine; the reply says what it started. */
  'inbound.message': request(m.InboundMessageV1, m.InboundAcceptedV1, SIGNED),
  /**
   * Over NATS, messages go through a JetStream stream instead (survive an engine that is
   * down); the engine answers on this subject, keyed by a hash of the dedup key: its answer,
   * or the failure of a message it refused or parked as a dead letter.
   */
  'inbound.result.*': event(d.InboundResultV1),
  /** A message was parked as a dead letter: the gateway tells its chat (the sender may have stopped waiting). */
  'inbound.parked': event(d.DeadLetterV1),
  /** The parked inbound messages (dead letters), newest first; answered by the engine. */
  'query.inbound.dead': request(m.ListQueryV1, d.DeadLetterListV1),
  /** The engine asks one runner (queue group `runners`) to start a run. */
  'runner.run': request(m.RunRequestV1, m.RunAcceptedV1),
  /**
   * Ask the runner that ran a session to publish again its events after a seq (events an
   * engine that was down never stored). Answered by runner `*` only.
   */
  'runner.*.resync': request(z.object({ sessionId: z.string(), afterSeq: z.number().int().nonnegative() }), z.object({ republished: z.number().int() })),
  /** Runners announce themselves every few seconds, and when asked. */
  'runner.heartbeat': event(m.RunnerHeartbeatV1),
  /** Anyone may ask every runner to send a heartbeat now (a gateway that just started). */
  'runner.announce': event(m.Empty),
  /** A session's output as its runner produces it, in seq order; the engine stores it. */
  'session.*.output': event(m.OutputEventV1),
  /**
   * The same events once stored (and, for a run's last event, once its task is closed):
   * what viewers follow, so nothing a viewer saw can be missing from a later replay.
   */
  'session.*.events': event(m.OutputEventV1),
  /** Text for a live session, answered by the runner that holds it (no answer: not live). */
  'session.*.input': request(m.SessionInputV1, m.InputResultV1),
  /** Keys pressed in a live interactive session (`/keys C-c`), answered by its runner. */
  'session.*.keys': request(m.SessionKeysV1, m.InputResultV1),
  /**
   * Typing into a live terminal session from the HTTP API: the engine checks the role and
   * audits it (as for chat input), then passes it to `session.*.input` / `.keys`. Errors:
   * not_found, forbidden, not_live (nobody holds the session).
   */
  'sessions.type': request(t.SessionTypeV1, m.InputResultV1, SIGNED),
  /** What a live terminal session's pane shows now (the dashboard's terminal view), answered by its runner. */
  'session.*.screen': request(m.Empty, m.ScreenV1),
  /** The pane of a live terminal session changed (no content): screen watchers ask `session.*.screen` now rather than at their next poll. */
  'session.*.pane': event(m.SessionRefV1),
  /** The tmux sessions on runner `*` (for the tmux bridge's /tmux). */
  'runner.*.tmux': request(m.Empty, m.TmuxSessionsV1),
  /** Stop or kill a live session's run, answered by the runner that holds it. */
  'session.*.control': request(m.SessionControlV1, m.ControlResultV1),
  /** The chats bound to a session changed (attach, detach, a new session), published once stored, with all of them. */
  'session.*.bindings': event(a.SessionBindingsV1),
  /** The chats of a session a gateway has not heard of yet. */
  'query.bindings': request(m.ByIdV1, a.BindingListV1),
  /** The chats Patchbay knows (seen a message from, or bound), newest first: what the dashboard offers to attach. */
  'query.chats': request(m.ListQueryV1, a.KnownChatListV1),
  /** Attach or detach a chat from the dashboard (through SessionBindings; audited); errors: not_found (no such session, chat or binding). */
  'bindings.attach': request(a.BindingAttachV1, a.BindingListV1, SIGNED),
  'bindings.detach': request(a.BindingDetachV1, a.BindingListV1, SIGNED),
  /**
   * A session's status, its latest task's status or its chats changed: the whole summary,
   * published by the engine once stored (SessionSummaries), so followers never ask back.
   */
  'session.*.summary': event(o.SessionSummaryV1),
  'engine.status': request(m.Empty, m.EngineStatusV1),
  'access.pairings': request(m.Empty, z.object({ pending: z.array(a.PairingRequestV1) })),
  'access.pair.approve': request(a.PairApproveV1, a.PrincipalV1, SIGNED),
  'access.principals': request(m.Empty, z.object({ principals: z.array(a.PrincipalV1) })),
  /** The role a channel's user has now (null: unknown, would get a pairing code). */
  'access.role': request(a.RoleQueryV1, z.object({ role: a.Role.nullable() })),
  'access.audit': request(a.AuditQueryV1, z.object({ entries: z.array(a.AuditEntryV1) })),
  /** Owners change roles and revoke principals (audited); errors: not_found, last_owner, from_config. */
  'access.principal.role': request(a.PrincipalRoleV1, a.PrincipalV1, SIGNED),
  'access.principal.revoke': request(a.PrincipalRevokeV1, a.PrincipalV1, SIGNED),
  'query.sessions.list': request(o.SessionListQueryV1, o.SessionSummaryListV1),
  'query.sessions.get': request(m.ByIdV1, o.SessionSummaryFoundV1),
  /** How many tasks are queued (the overview's line waiting for runners). */
  'query.tasks.queued': request(m.Empty, o.QueueDepthV1),
  'query.tasks.list': request(m.ListQueryV1, m.TaskListV1),
  'query.tasks.get': request(m.ByIdV1, m.TaskFoundV1),
  'query.transcript': request(m.TranscriptQueryV1, m.TranscriptPageV1),
  /** Scheduled jobs, kept by the engine (queue group `engine`); errors: invalid_schedule, invalid_job, duplicate, not_found. */
  'jobs.list': request(m.Empty, j.JobListV1),
  /**
   * Approvals (a person in the loop). A runner asks whether its paused agent may use a tool;
   * the engine answers at once when a policy rule or an earlier "allow for this session"
   * decides, else stores the request as pending and announces it. The runner takes the
   * decision only from this reply (asking again with the same toolUseId), never from an
   * event, since it holds no bus secret to check one.
   */
  'approval.ask': request(ap.ApprovalAskV1, ap.ApprovalV1),
  /** A request now waits for a person: every chat bound to its session shows it. */
  'approval.requested': event(ap.ApprovalV1),
  /** A person (or the timeout) decided: chats show who and what; the waiting runner asks again. */
  'approval.decided': event(ap.ApprovalV1),
  'approvals.list': request(ap.ApprovalListQueryV1, ap.ApprovalListV1),
  /** The first answer wins; errors: not_found, already_decided (names who), forbidden (the role may not approve). */
  'approvals.decide': request(ap.ApprovalDecideV1, ap.ApprovalV1, SIGNED),
  'jobs.add': request(j.JobSpecV1, j.JobV1, SIGNED),
  'jobs.remove': request(j.JobNameV1, j.JobV1, SIGNED),
  'jobs.enable': request(j.JobEnableV1, j.JobV1, SIGNED),
  /** Fire a job now, out of its schedule; the reply is the run. */
  'jobs.run': request(j.JobNameV1, j.JobRunV1, SIGNED),
  'jobs.runs': request(j.JobRunsQueryV1, j.JobRunListV1),
  /**
   * A gateway's /metrics asks every process without a gateway for its metrics (no queue
   * group: all of them answer), each on `metrics.snapshot.<scrapeId>`.
   */
  'metrics.scrape': event(mx.MetricsScrapeV1),
  'metrics.snapshot.*': event(mx.MetricsSnapshotV1),
} as const;

export interface EventContract<P extends z.ZodType> {
  kind: 'event';
  payload: P;
}
export interface RequestContract<P extends z.ZodType, R extends z.ZodType> {
  kind: 'request';
  payload: P;
  reply: R;
  /** Only a holder of `bus.secret` (gateway, engine) may send it. */
  signed: boolean;
}

function event<P extends z.ZodType>(payload: P): EventContract<P> {
  return { kind: 'event', payload };
}
function request<P extends z.ZodType, R extends z.ZodType>(payload: P, reply: R, options: { signed?: boolean } = {}): RequestContract<P, R> {
  return { kind: 'request', payload, reply, signed: options.signed ?? false };
}

type Contracts = typeof contracts;
export type Subject = keyof Contracts;
export type EventSubject = { [K in Subject]: Contracts[K]['kind'] extends 'event' ? K : never }[Subject];
export type RequestSubject = { [K in Subject]: Contracts[K]['kind'] extends 'request' ? K : never }[Subject];
export type PayloadOf<S extends Subject> = z.infer<Contracts[S]['payload']>;
export type ReplyOf<S extends RequestSubject> = Contracts[S] extends RequestContract<z.ZodType, infer R> ? z.infer<R> : never;

/** Fills the `*` tokens of a subject pattern, in order. */
export function fillSubject(pattern: string, params: readonly string[]): string {
  let i = 0;
  const filled = pattern
    .split('.')
    .map((token) => (token === '*' && i < params.length ? params[i++] : token))
    .join('.');
  if (i !== params.length) {
    throw new Error(`subject ${pattern} has fewer "*" tokens than the ${params.length} values given`);
  }
  return filled;
}
