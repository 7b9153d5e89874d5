import { z } from 'zod';
import { BindingV1 } from './access';
import { ListQueryV1, RunnerHeartbeatV1, SessionStatus, SessionV1, TaskStatus } from './messages';
import { textField } from './text';

const isoTime = z.iso.datetime({ offset: true });

/** How much of a task's prompt a summary carries. */
export const SUMMARY_PROMPT_CHARS = 200;

/** A session's latest task, as an overview shows it (the prompt cut, redacted as stored). */
export const TaskGlanceV1 = z.object({
  id: z.string(),
  status: TaskStatus,
  prompt: textField().max(SUMMARY_PROMPT_CHARS),
  channel: z.string(),
  createdAt: isoTime,
  startedAt: isoTime.nullable(),
  finishedAt: isoTime.nullable(),
});
export type TaskGlanceV1 = z.infer<typeof TaskGlanceV1>;

/**
 * Everything an overview shows of one session, in one piece: what `GET /api/sessions`
 * lists and what `session.*.summary` carries whenever any of it changes.
 */
export const SessionSummaryV1 = SessionV1.extend({
  /** The chats following the session. */
  bindings: z.array(BindingV1),
  /** The newest task; null for a session without one (opened by /new). */
  task: TaskGlanceV1.nullable(),
  /** The session's model choice (`/model`), else its agent profile's configured one; null when neither names one. */
  model: z.string().nullable(),
});
export type SessionSummaryV1 = z.infer<typeof SessionSummaryV1>;

/** Agent names and channel names as filters take them. */
export const AGENT_FILTER = /^[A-Za-z0-9._-]{1,100}$/;
export const CHANNEL_FILTER = /^[A-Za-z0-9_-]{1,40}$/;

/**
 * A page of sessions, newest first, narrowed by the filters given: the session's status, its
 * agent, and a channel (one of its chats' channels, or its latest task's).
 */
export const SessionListQueryV1 = ListQueryV1.extend({
  status: SessionStatus.optional(),
  agent: z.string().regex(AGENT_FILTER).optional(),
  channel: z.string().regex(CHANNEL_FILTER).optional(),
});
export type SessionListQueryV1 = z.infer<typeof SessionListQueryV1>;

export const SessionSummaryListV1 = z.object({ sessions: z.array(SessionSummaryV1) });
export type SessionSummaryListV1 = z.infer<typeof SessionSummaryListV1>;
export const SessionSummaryFoundV1 = z.object({ session: SessionSummaryV1.nullable() });
export type SessionSummaryFoundV1 = z.infer<typeof SessionSummaryFoundV1>;

/** How many tasks are queued, waiting for a run. */
export const QueueDepthV1 = z.object({ queued: z.number().int().nonnegative() });
export type QueueDepthV1 = z.infer<typeof QueueDepthV1>;

/** A live runner as `GET /api/runners` lists it: its last heartbeat and when the gateway got it. */
export const RunnerSeenV1 = RunnerHeartbeatV1.extend({ seenAt: isoTime });
export type RunnerSeenV1 = z.infer<typeof RunnerSeenV1>;
