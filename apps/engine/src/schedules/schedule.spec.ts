import { firstRun, nextRunAfter, parseEvery, parseSchedule, parseTimeZone, Schedule, ScheduleError, upcomingRuns } from './schedule';

const at = (iso: string) => new Date(iso);
const iso = (date: Date | null) => date?.toISOString() ?? null;

/** The next `n` slots of a schedule from `start`, as the scheduler would walk them. */
function slots(schedule: Schedule, start: string, n: number): string[] {
  return upcomingRuns(schedule, firstRun(schedule, at(start)), n).map((slot) => slot.toISOString());
}

describe('parseSchedule: cron', () => {
  it('reads five fields in UTC by default', () => {
    const schedule = parseSchedule({ cron: '0 9 * * 1-5' });
    expect(schedule).toEqual({ kind: 'cron', cron: '0 9 * * 1-5', tz: 'UTC' });
    // Saturday 2026-11-21 → Monday 09:00 UTC.
    expect(iso(firstRun(schedule, at('2026-11-21T10:00:00Z')))).toBe('2026-11-23T09:00:00.000Z');
  });

  it('reads the fields in the given time zone', () => {
    const schedule = parseSchedule({ cron: '0 9 * * 1-5', tz: 'Europe/Berlin' });
    // Berlin is UTC+1 in November.
    expect(iso(firstRun(schedule, at('2026-11-21T10:00:00Z')))).toBe('2026-11-23T08:00:00.000Z');
    const tokyo = parseSchedule({ cron: '30 8 * * *', tz: 'Asia/Tokyo' });
    expect(iso(firstRun(tokyo, at('2026-11-21T00:00:00Z')))).toBe('2026-11-21T23:30:00.000Z');
  });

  it('keeps the local hour across a daylight saving change', () => {
    const schedule = parseSchedule({ cron: '0 9 * * *', tz: 'Europe/Berlin' });
    // Clocks go forward on 2026-03-29: 09:00 is 08:00Z before, 07:00Z after.
    expect(slots(schedule, '2026-03-27T12:00:00Z', 3)).toEqual(['2026-03-28T08:00:00.000Z', '2026-03-29T07:00:00.000Z', '2026-03-30T07:00:00.000Z']);
    // And back on 2026-10-25.
    expect(slots(schedule, '2026-10-23T12:00:00Z', 3)).toEqual(['2026-10-24T07:00:00.000Z', '2026-10-25T08:00:00.000Z', '2026-10-26T08:00:00.000Z']);
  });

  it('runs a time in the skipped hour when the hour ends, and a time in the repeated hour once', () => {
    const schedule = parseSchedule({ cron: '30 2 * * *', tz: 'Europe/Berlin' });
    // 02:30 does not exist on 2026-03-29 (02:00 → 03:00): it runs at 03:00 CEST = 01:00Z.
    expect(slots(schedule, '2026-03-27T12:00:00Z', 3)).toEqual(['2026-03-28T01:30:00.000Z', '2026-03-29T01:00:00.000Z', '2026-03-30T00:30:00.000Z']);
    // 02:30 happens twice on 2026-10-25; it runs at the first.
    expect(slots(schedule, '2026-10-23T12:00:00Z', 3)).toEqual(['2026-10-24T00:30:00.000Z', '2026-10-25T00:30:00.000Z', '2026-10-26T01:30:00.000Z']);
  });

  it('keeps hourly jobs hourly in real time through a daylight saving change', () => {
    const schedule = parseSchedule({ cron: '@hourly', tz: 'Europe/Berlin' });
    expect(slots(schedule, '2026-10-24T23:10:00Z', 4)).toEqual(['2026-10-25T00:00:00.000Z', '2026-10-25T01:00:00.000Z', '2026-10-25T02:00:00.000Z', '2026-10-25T03:00:00.000Z']);
  });

  it.each([
    ['@hourly', '2026-11-21T10:17:00Z', '2026-11-21T11:00:00.000Z'],
    ['@daily', '2026-11-21T10:17:00Z', '2026-11-22T00:00:00.000Z'],
    ['@weekly', '2026-11-21T10:17:00Z', '2026-11-22T00:00:00.000Z'],
    ['@monthly', '2026-11-21T10:17:00Z', '2026-12-01T00:00:00.000Z'],
    ['@yearly', '2026-11-21T10:17:00Z', '2027-01-01T00:00:00.000Z'],
  ])('understands %s', (cron, now, next) => {
    expect(iso(firstRun(parseSchedule({ cron }), at(now)))).toBe(next);
  });

  it('gives the next slot strictly after the one just fired', () => {
    const schedule = parseSchedule({ cron: '*/15 * * * *' });
    const slot = at('2026-11-21T10:15:00Z');
    expect(iso(nextRunAfter(schedule, slot, slot))).toBe('2026-11-21T10:30:00.000Z');
    expect(iso(nextRunAfter(schedule, slot, at('2026-11-21T10:15:00.250Z')))).toBe('2026-11-21T10:30:00.000Z');
  });

  it('after downtime, skips the missed slots: the next run is after now', () => {
    const schedule = parseSchedule({ cron: '@hourly' });
    expect(iso(nextRunAfter(schedule, at('2026-11-21T01:00:00Z'), at('2026-11-21T10:17:00Z')))).toBe('2026-11-21T11:00:00.000Z');
  });

  it('canonicalizes the time zone and tidies spaces', () => {
    expect(parseSchedule({ cron: ' 0  9 * *   1 ', tz: 'europe/berlin' })).toEqual({ kind: 'cron', cron: '0 9 * * 1', tz: 'Europe/Berlin' });
  });
});

describe('parseSchedule: every', () => {
  it.each([
    ['30s', 30],
    ['15m', 900],
    ['2h', 7200],
    ['1d', 86_400],
    ['15 min', 900],
    ['90 seconds', 90],
  ])('reads %s as %i seconds', (every, seconds) => {
    expect(parseSchedule({ every })).toEqual({ kind: 'every', seconds });
  });

  it('first runs one interval from now, then keeps its phase', () => {
    const schedule = parseSchedule({ every: '15m' });
    expect(slots(schedule, '2026-11-21T10:00:00Z', 3)).toEqual(['2026-11-21T10:15:00.000Z', '2026-11-21T10:30:00.000Z', '2026-11-21T10:45:00.000Z']);
    // Fired a little late: the next slot is still on the grid.
    expect(iso(nextRunAfter(schedule, at('2026-11-21T10:15:00Z'), at('2026-11-21T10:15:02Z')))).toBe('2026-11-21T10:30:00.000Z');
  });

  it('after downtime, the next slot on its grid after now', () => {
    const schedule = parseSchedule({ every: '15m' });
    expect(iso(nextRunAfter(schedule, at('2026-11-21T10:15:00Z'), at('2026-11-21T13:07:00Z')))).toBe('2026-11-21T13:15:00.000Z');
    // Exactly on a later slot: that one is taken as fired, the next follows.
    expect(iso(nextRunAfter(schedule, at('2026-11-21T10:15:00Z'), at('2026-11-21T13:15:00Z')))).toBe('2026-11-21T13:30:00.000Z');
  });
});

describe('parseSchedule: at', () => {
  it('runs once, at its time', () => {
    const schedule = parseSchedule({ at: '2026-12-01T10:00:00+01:00' });
    expect(schedule).toEqual({ kind: 'at', at: at('2026-12-01T09:00:00Z') });
    expect(iso(firstRun(schedule, at('2026-11-21T10:00:00Z')))).toBe('2026-12-01T09:00:00.000Z');
    expect(nextRunAfter(schedule, at('2026-12-01T09:00:00Z'), at('2026-12-01T09:00:01Z'))).toBeNull();
  });

  it('refuses a time in the past (beyond a minute of slack)', () => {
    const schedule = parseSchedule({ at: '2026-11-21T09:00:00Z' });
    expect(() => firstRun(schedule, at('2026-11-21T10:00:00Z'))).toThrow(new ScheduleError('at 2026-11-21T09:00:00.000Z is in the past (now 2026-11-21T10:00:00.000Z)'));
    expect(iso(firstRun(schedule, at('2026-11-21T09:00:30Z')))).toBe('2026-11-21T09:00:00.000Z');
  });
});

describe('invalid schedules', () => {
  it.each([
    [{ cron: '61 * * * *' }, 'invalid cron "61 * * * *": Invalid value for minute: 61'],
    [{ cron: '0 25 * * *' }, 'invalid cron "0 25 * * *": Invalid value for hour: 25'],
    [{ cron: '* * * *' }, 'invalid cron "* * * *": expected five fields (minute hour day-of-month month day-of-week), got 4'],
    [{ cron: '0 0 9 * * *' }, 'invalid cron "0 0 9 * * *": expected five fields (minute hour day-of-month month day-of-week), got 6'],
    [{ cron: 'every day' }, 'invalid cron "every day": expected five fields (minute hour day-of-month month day-of-week), got 2'],
    [{ cron: 'a b c d e' }, 'invalid cron "a b c d e": configuration entry 1 (a) contains illegal characters.'],
    [{ cron: '@fortnightly' }, 'invalid cron "@fortnightly": known names are @yearly, @annually, @monthly, @weekly, @daily, @midnight, @hourly'],
    [{ cron: '0 9 31 2 *' }, 'invalid cron "0 9 31 2 *": it never runs'],
    [{ cron: '0 9 * * *', tz: 'Mars/Olympus_Mons' }, 'unknown time zone "Mars/Olympus_Mons": expected an IANA name such as Europe/Berlin or UTC'],
    [{ cron: '0 9 * * *', tz: '+02:00' }, 'unknown time zone "+02:00": expected an IANA name such as Europe/Berlin or UTC'],
    [{ every: '15' }, 'every "15": expected a number and a unit, such as 30s, 15m, 2h or 1d'],
    [{ every: '15 fortnights' }, 'every "15 fortnights": expected a number and a unit, such as 30s, 15m, 2h or 1d'],
    [{ every: '0m' }, 'every "0m": the interval must be at least 1 second'],
    [{ every: '400d' }, 'every "400d": the interval must be at most 366 days'],
    [{ at: 'tomorrow' }, 'at "tomorrow": expected an ISO time such as 2026-12-01T09:00:00Z'],
    [{}, 'give one of cron, every or at'],
    [{ cron: '@daily', every: '1d' }, 'give only one of cron, every or at (got cron and every)'],
    [{ every: '1d', tz: 'UTC' }, 'a time zone applies to cron schedules only'],
  ])('%j: %s', (spec, message) => {
    expect(() => parseSchedule(spec)).toThrow(new ScheduleError(message));
  });

  it('says which time zone is unknown', () => {
    expect(() => parseTimeZone('Europe/Atlantis')).toThrow(/unknown time zone "Europe\/Atlantis"/);
    expect(parseTimeZone('UTC')).toBe('UTC');
  });

  it('refuses an every without a unit', () => {
    expect(() => parseEvery('10')).toThrow(ScheduleError);
  });
});

describe('upcomingRuns', () => {
  const next = new Date('2030-01-07T09:00:00.000Z');

  it('counts cron slots on from the next run', () => {
    const schedule = parseSchedule({ cron: '0 9 * * 1-5' });
    expect(upcomingRuns(schedule, next, 3).map((d) => d.toISOString())).toEqual(['2030-01-07T09:00:00.000Z', '2030-01-08T09:00:00.000Z', '2030-01-09T09:00:00.000Z']);
  });

  it('steps an interval on its grid', () => {
    expect(upcomingRuns(parseSchedule({ every: '15m' }), next, 3).map((d) => d.toISOString())).toEqual([
      '2030-01-07T09:00:00.000Z',
      '2030-01-07T09:15:00.000Z',
      '2030-01-07T09:30:00.000Z',
    ]);
  });

  it('has one slot for a one-shot job, and none for a job that will not run', () => {
    const once = parseSchedule({ at: '2030-01-07T09:00:00.000Z' });
    expect(upcomingRuns(once, next, 5)).toEqual([next]);
    expect(upcomingRuns(once, null, 5)).toEqual([]);
  });
});
