import { z } from 'zod';
import { textField } from './text';
import { ID_PATTERN } from './ids';
import { MAX_INBOUND_TEXT } from './messages';

const id = z.string().regex(ID_PATTERN, 'expected a lowercase id of 4-40 letters and digits');
const isoTime = z.iso.datetime({ offset: true });

/** Job names go into URLs, chat ids (`job:<name>`) and CLI arguments. */
export const JOB_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;
export const JobName = z.string().regex(JOB_NAME_PATTERN, 'expected 1-64 letters, digits, ".", "_" or "-", starting with a letter or digit');

/** The channel of messages a job's firing sends (account = job id, message id = `<jobId>:<slot>`). */
export const SCHEDULE_CHANNEL = 'schedule';
/** The chat a job's messages come from; also the default target (a session of the job's own). */
export function jobChatId(name: string): string {
  return `job:${name}`;
}

/**
 * Where a job's prompt goes: an existing session, or a chat (the session bound to it, or a
 * new session bound to it on the first firing).
 */
export const JobTargetV1 = z.union([z.object({ sessionId: id }).strict(), z.object({ channel: z.string().min(1).max(40), chatId: z.string().min(1).max(200) }).strict()]);
export type JobTargetV1 = z.infer<typeof JobTargetV1>;

/** Who asks for a job change (`api:<token name>`, `local:<user>`), for the audit log; the gateway sets it. */
const by = z.string().min(1).max(200).optional();

/**
 * A job to add. Exactly one of `cron` (five fields or @hourly/@daily/@weekly/@monthly/@yearly,
 * read in `tz`, an IANA zone, UTC by default), `every` (`30s`, `15m`, `2h`, `1d`) or `at`
 * (one ISO time: runs once, then the job disables itself).
 */
export const JobSpecV1 = z
  .object({
    name: JobName,
    cron: z.string().trim().min(1).max(200).optional(),
    tz: z.string().trim().min(1).max(100).optional(),
    every: z.string().trim().min(1).max(20).optional(),
    at: isoTime.optional(),
    prompt: textField().trim().min(1, 'prompt is empty').max(MAX_INBOUND_TEXT),
    /** Left out: the job's own chat (`schedule` / `job:<name>`), so its firings share a session. */
    target: JobTargetV1.optional(),
    /** The agent of a session the job creates; left out, the default agent. */
    agent: z.string().min(1).max(100).optional(),
    enabled: z.boolean().optional(),
    by,
  })
  .strict()
  .superRefine((spec, ctx) => {
    const given = (['cron', 'every', 'at'] as const).filter((key) => spec[key] !== undefined);
    if (given.length !== 1) {
      ctx.addIssue({
        code: 'custom',
        path: given.length > 1 ? [given[1]] : [],
        message: given.length === 0 ? 'give one of cron, every or at' : `give only one of cron, every or at (got ${given.join(' and ')})`,
      });
    }
    if (spec.tz !== undefined && spec.cron === undefined) {
      ctx.addIssue({ code: 'custom', path: ['tz'], message: 'a time zone applies to cron schedules only' });
    }
  });
export type JobSpecV1 = z.infer<typeof JobSpecV1>;

export const JobV1 = z.object({
  id,
  name: z.string(),
  /** The schedule: one of cron (with tz), every (normalized, e.g. `15m`) or at. */
  cron: z.string().nullable(),
  tz: z.string().nullable(),
  every: z.string().nullable(),
  at: isoTime.nullable(),
  prompt: z.string(),
  target: JobTargetV1,
  agent: z.string().nullable(),
  enabled: z.boolean(),
  /** The next slot; null for a one-shot job that ran (or a disabled one that never will). */
  nextRunAt: isoTime.nullable(),
  /** The next few slots (up to 5) from nextRunAt on; empty for a job that will not run. */
  upcoming: z.array(isoTime),
  lastRunAt: isoTime.nullable(),
  createdAt: isoTime,
  updatedAt: isoTime,
});
export type JobV1 = z.infer<typeof JobV1>;

export const JobListV1 = z.object({ jobs: z.array(JobV1) });
export type JobListV1 = z.infer<typeof JobListV1>;

export const JobNameV1 = z.object({ name: JobName, by });
export type JobNameV1 = z.infer<typeof JobNameV1>;

export const JobEnableV1 = z.object({ name: JobName, enabled: z.boolean(), by });
export type JobEnableV1 = z.infer<typeof JobEnableV1>;

/**
 * One firing of a job. outcome: what the engine made of the job's message, as in
 * InboundAcceptedV1 (task, input, command, …), or `failed` (error says why). duplicate: this
 * slot's message had been taken before, and taskId is the task it started then.
 */
export const JobRunV1 = z.object({
  id,
  jobId: id,
  /** The slot fired (for `manual`, the time `jobs run` was asked). */
  scheduledFor: isoTime,
  firedAt: isoTime,
  trigger: z.enum(['schedule', 'manual']),
  outcome: z.string().min(1),
  duplicate: z.boolean(),
  taskId: id.nullable(),
  sessionId: id.nullable(),
  error: z.string().nullable(),
});
export type JobRunV1 = z.infer<typeof JobRunV1>;

export const JobRunsQueryV1 = z.object({ name: JobName, limit: z.number().int().min(1).max(500) });
export type JobRunsQueryV1 = z.infer<typeof JobRunsQueryV1>;
export const JobRunListV1 = z.object({ runs: z.array(JobRunV1) });
export type JobRunListV1 = z.infer<typeof JobRunListV1>;
