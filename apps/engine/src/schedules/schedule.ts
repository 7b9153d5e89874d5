import { Cron } from 'croner';

/** What a job's schedule says, parsed and checked. */
export type Schedule = { kind: 'cron'; cron: string; tz: string } | { kind: 'every'; seconds: number } | { kind: 'at'; at: Date };

/** A schedule that cannot be used; the message names what was wrong. */
export class ScheduleError extends Error {
  override name = 'ScheduleError';
}

/** Cron names we accept, as the five fields they stand for. */
export const CRON_NAMES: Readonly<Record<string, string>> = {
  '@yearly': '0 0 1 1 *',
  '@annually': '0 0 1 1 *',
  '@monthly': '0 0 1 * *',
  '@weekly': '0 0 * * 0',
  '@daily': '0 0 * * *',
  '@midnight': '0 0 * * *',
  '@hourly': '0 * * * *',
};

const UNIT_SECONDS: Readonly<Record<string, number>> = { s: 1, m: 60, h: 3_600, d: 86_400 };
const MAX_EVERY_SECONDS = 366 * 86_400;
/** An `at` this far in the past is refused (a little slack for clocks and slow requests). */
const AT_SLACK_MS = 60_000;

/**
 * Parses the schedule part of a job: exactly one of cron (with an optional IANA time zone,
 * UTC by default), every or at.
 */
export function parseSchedule(spec: { cron?: string; tz?: string; every?: string; at?: string }): Schedule {
  const given = (['cron', 'every', 'at'] as const).filter((key) => spec[key] !== undefined);
  if (given.length !== 1) {
    throw new ScheduleError(given.length === 0 ? 'give one of cron, every or at' : `give only one of cron, every or at (got ${given.join(' and ')})`);
  }
  if (spec.tz !== undefined && spec.cron === undefined) throw new ScheduleError('a time zone applies to cron schedules only');
  if (spec.cron !== undefined) {
    const tz = parseTimeZone(spec.tz ?? 'UTC');
    const cron = spec.cron.trim().replace(/\s+/g, ' ');
    cronOf(cron, tz);
    return { kind: 'cron', cron, tz };
  }
  if (spec.every !== undefined) return { kind: 'every', seconds: parseEvery(spec.every) };
  const at = new Date(spec.at!);
  if (Number.isNaN(at.getTime())) throw new ScheduleError(`at "${spec.at}": expected an ISO time such as 2026-12-01T09:00:00Z`);
  return { kind: 'at', at };
}

/** `30s`, `15m`, `2h`, `1d` (also `15 min`, `2 hours`) → seconds. */
export function parseEvery(text: string): number {
  const match = /^(\d+)\s*(s|sec|secs|seconds?|m|min|mins|minutes?|h|hr|hrs|hours?|d|days?)$/i.exec(text.trim());
  if (!match) throw new ScheduleError(`every "${text}": expected a number and a unit, such as 30s, 15m, 2h or 1d`);
  const seconds = Number(match[1]) * UNIT_SECONDS[match[2][0].toLowerCase()];
  if (seconds < 1) throw new ScheduleError(`every "${text}": the interval must be at least 1 second`);
  if (seconds > MAX_EVERY_SECONDS) throw new ScheduleError(`every "${text}": the interval must be at most 366 days`);
  return seconds;
}

/** Checks an IANA zone name and returns its canonical spelling (`europe/berlin` → `Europe/Berlin`). */
export function parseTimeZone(name: string): string {
  // Intl also takes offsets such as +02:00 on newer Node versions; a job wants a zone with rules.
  if (!/^[A-Za-z][A-Za-z0-9_+-]*(\/[A-Za-z0-9_+-]+)*$/.test(name)) {
    throw new ScheduleError(`unknown time zone "${name}": expected an IANA name such as Europe/Berlin or UTC`);
  }
  try {
    return new Intl.DateTimeFormat('en-US', { timeZone: name }).resolvedOptions().timeZone;
  } catch {
    throw new ScheduleError(`unknown time zone "${name}": expected an IANA name such as Europe/Berlin or UTC`);
  }
}

/**
 * A five-field cron (minute hour day-of-month month day-of-week) or one of CRON_NAMES, read
 * in `tz`. Day-of-month and day-of-week combine with OR, as in Vixie cron. Daylight saving
 * (croner's rules): a fixed time in the skipped hour runs when the hour ends, a fixed time in
 * the repeated hour runs once; `0 * * * *`-style jobs keep their real-time rhythm.
 */
function cronOf(cron: string, tz: string): Cron {
  let fields = cron;
  if (cron.startsWith('@')) {
    fields = CRON_NAMES[cron.toLowerCase()];
    if (!fields) throw new ScheduleError(`invalid cron "${cron}": known names are ${Object.keys(CRON_NAMES).join(', ')}`);
  }
  const count = fields.split(' ').length;
  if (count !== 5) {
    throw new ScheduleError(`invalid cron "${cron}": expected five fields (minute hour day-of-month month day-of-week), got ${count}`);
  }
  let parsed: Cron;
  try {
    parsed = new Cron(fields, { timezone: tz, mode: '5-part', paused: true });
  } catch (error) {
    throw new ScheduleError(`invalid cron "${cron}": ${(error as Error).message.replace(/^CronPattern: /, '')}`);
  }
  if (!parsed.nextRun(new Date())) throw new ScheduleError(`invalid cron "${cron}": it never runs`);
  return parsed;
}

function cronAfter(cron: string, tz: string, after: Date): Date | null {
  return cronOf(cron, tz).nextRun(after);
}

/**
 * The first slot of a new (or re-enabled) job, from `now`. An `at` in the past by more than a
 * minute is refused: a job that never runs is a mistake.
 */
export function firstRun(schedule: Schedule, now: Date): Date | null {
  switch (schedule.kind) {
    case 'cron':
      return cronAfter(schedule.cron, schedule.tz, now);
    case 'every':
      return new Date(now.getTime() + schedule.seconds * 1000);
    case 'at':
      if (schedule.at.getTime() < now.getTime() - AT_SLACK_MS) {
        throw new ScheduleError(`at ${schedule.at.toISOString()} is in the past (now ${now.toISOString()})`);
      }
      return schedule.at;
  }
}

/**
 * The slot after firing `slot` at `now`: the first slot later than both. After downtime the
 * missed slots are skipped, so a job that missed many runs once and continues from now; an
 * interval job keeps its phase (the slots stay slot + k × interval). A one-shot job has none.
 */
export function nextRunAfter(schedule: Schedule, slot: Date, now: Date): Date | null {
  const after = slot.getTime() > now.getTime() ? slot : now;
  switch (schedule.kind) {
    case 'cron':
      return cronAfter(schedule.cron, schedule.tz, after);
    case 'every': {
      const step = schedule.seconds * 1000;
      const steps = Math.floor((after.getTime() - slot.getTime()) / step) + 1;
      return new Date(slot.getTime() + steps * step);
    }
    case 'at':
      return null;
  }
}

/** The `count` slots from `next` on (fewer for a one-shot job), as the scheduler will fire them. */
export function upcomingRuns(schedule: Schedule, next: Date | null, count: number): Date[] {
  const slots: Date[] = [];
  for (let slot = next; slot && slots.length < count; slot = nextRunAfter(schedule, slot, slot)) slots.push(slot);
  return slots;
}
