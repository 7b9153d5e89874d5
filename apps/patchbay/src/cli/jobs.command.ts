import { parseArgs } from 'node:util';
import { jobChatId, JobListV1, JobRunListV1, JobRunV1, JobSpecV1, JobV1, SCHEDULE_CHANNEL } from '@patchbay/contracts';
import { ApiClient } from './api-client';
import { oneLine, printTable } from './table';

export const JOBS_USAGE = `Usage: patchbay jobs <command>

  list                           the jobs, their schedules and next runs (the default)
  add <name> --prompt "text" (--cron "<5 fields>" [--tz <zone>] | --every <interval> | --at <ISO time>)
      [--session <id> | --chat <id> [--channel <name>]] [--agent <name>] [--disabled]
                                 add a job:
                                   --cron "0 9 * * 1-5", or @hourly @daily @weekly @monthly @yearly;
                                     read in --tz (an IANA zone; default: this machine's, ${localZone()})
                                   --every 30s | 15m | 2h | 1d     a fixed interval from now
                                   --at 2026-12-01T09:00:00Z       once, then the job disables itself
                                 the prompt goes to --session, or to the session of --chat (on
                                 --channel, default local; a new session the first time), or else
                                 to a session of the job's own; --agent picks a new session's agent
  rm <name>                      remove the job (its sessions and tasks stay)
  enable <name> | disable <name> turn the job on (next run computed from now) or off
  run <name>                     run the job now, out of its schedule
  runs <name> [--limit n]        the job's run log, newest first`;

type Api = () => ApiClient;

/** `patchbay jobs …`: scheduled jobs over the HTTP API. */
export async function jobsCommand(api: Api, argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        cron: { type: 'string' },
        tz: { type: 'string' },
        every: { type: 'string' },
        at: { type: 'string' },
        prompt: { type: 'string' },
        session: { type: 'string' },
        chat: { type: 'string' },
        channel: { type: 'string' },
        agent: { type: 'string' },
        disabled: { type: 'boolean' },
        limit: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (error) {
    return usage((error as Error).message);
  }
  const { positionals, values } = parsed;
  const [verb = 'list', name, ...extra] = positionals;
  if (values.help || verb === 'help') {
    process.stdout.write(`${JOBS_USAGE}\n`);
    return 0;
  }
  if (extra.length > 0) return usage(`unexpected arguments: ${extra.join(' ')} (quote the prompt: --prompt "…")`);
  const path = (suffix = '') => `/api/jobs/${encodeURIComponent(name)}${suffix}`;
  const needsName = ['add', 'rm', 'remove', 'enable', 'disable', 'run', 'runs'];
  if (needsName.includes(verb) && !name) return usage(`jobs ${verb} needs a job name`);
  switch (verb) {
    case 'list':
    case 'ls': {
      if (name) return usage('jobs list takes no arguments');
      const { jobs } = await api().get<JobListV1>('/api/jobs');
      printTable(
        ['NAME', 'SCHEDULE', 'TARGET', 'ENABLED', 'NEXT RUN', 'LAST RUN', 'PROMPT'],
        jobs.map((j) => [j.name, schedule(j), target(j), j.enabled ? 'yes' : 'no', j.enabled ? (j.nextRunAt ?? '-') : '-', j.lastRunAt ?? '-', oneLine(j.prompt, 40)]),
        '(no jobs yet: try `patchbay jobs add nightly --cron "0 2 * * *" --prompt "run the tests"`)',
      );
      return 0;
    }
    case 'add': {
      const spec = jobSpec(name, values);
      if (typeof spec === 'string') return usage(spec);
      const job = await api().post<JobV1>('/api/jobs', spec);
      process.stdout.write(`job ${job.name} added: ${schedule(job)}, to ${target(job)}; ${nextRun(job)}\n`);
      return 0;
    }
    case 'rm':
    case 'remove': {
      const job = await api().delete<JobV1>(path());
      process.stdout.write(`job ${job.name} removed\n`);
      return 0;
    }
    case 'enable':
    case 'disable': {
      const job = await api().post<JobV1>(path(`/${verb}`), {});
      process.stdout.write(`job ${job.name} ${job.enabled ? `enabled; ${nextRun(job)}` : 'disabled'}\n`);
      return 0;
    }
    case 'run': {
      const run = await api().post<JobRunV1>(path('/run'), {});
      if (run.outcome === 'failed') {
        process.stderr.write(`job ${name} failed to run: ${run.error}\n`);
        return 1;
      }
      const where = run.sessionId ? ` in session ${run.sessionId} (follow it: patchbay stream ${run.sessionId})` : '';
      process.stdout.write(`job ${name} ran: ${run.taskId ? `task ${run.taskId}` : run.outcome}${where}\n`);
      return 0;
    }
    case 'runs': {
      const limit = values.limit ?? '20';
      if (!/^\d{1,3}$/.test(limit)) return usage('--limit: expected a number from 1 to 500');
      const { runs } = await api().get<JobRunListV1>(`${path('/runs')}?limit=${limit}`);
      printTable(
        ['FIRED', 'SLOT', 'TRIGGER', 'OUTCOME', 'TASK', 'SESSION', 'ERROR'],
        runs.map((r) => [r.firedAt, r.scheduledFor, r.trigger, `${r.outcome}${r.duplicate ? ' (again)' : ''}`, r.taskId ?? '-', r.sessionId ?? '-', oneLine(r.error ?? '', 60)]),
        `(job ${name} has not run yet)`,
      );
      return 0;
    }
    default:
      return usage(`unknown jobs command "${verb}"`);
  }
}

/** The request body for `jobs add`, or what is wrong with the options. */
export function jobSpec(name: string, values: Record<string, string | boolean | undefined>): JobSpecV1 | string {
  const str = (key: string) => (typeof values[key] === 'string' ? (values[key] as string) : undefined);
  const kinds = ['cron', 'every', 'at'].filter((k) => str(k) !== undefined);
  if (kinds.length !== 1) return kinds.length === 0 ? 'jobs add needs one of --cron, --every or --at' : `give only one of --${kinds.join(', --')}`;
  if (str('tz') && !str('cron')) return '--tz goes with --cron';
  if (!str('prompt')) return 'jobs add needs --prompt "what the agent should do"';
  if (str('session') && str('chat')) return 'give --session or --chat, not both';
  if (str('channel') && !str('chat')) return '--channel goes with --chat';
  const spec: JobSpecV1 = { name, prompt: str('prompt')! };
  if (str('cron')) {
    spec.cron = str('cron');
    spec.tz = str('tz') ?? localZone();
  }
  if (str('every')) spec.every = str('every');
  if (str('at')) spec.at = str('at');
  if (str('session')) spec.target = { sessionId: str('session')! };
  if (str('chat')) spec.target = { channel: str('channel') ?? 'local', chatId: str('chat')! };
  if (str('agent')) spec.agent = str('agent');
  if (values.disabled) spec.enabled = false;
  return spec;
}

function schedule(job: JobV1): string {
  if (job.cron) return `cron ${job.cron} (${job.tz})`;
  if (job.every) return `every ${job.every}`;
  return `at ${job.at}`;
}

function target(job: JobV1): string {
  if ('sessionId' in job.target) return `session ${job.target.sessionId}`;
  if (job.target.channel === SCHEDULE_CHANNEL && job.target.chatId === jobChatId(job.name)) return 'its own session';
  return `chat ${job.target.channel}:${job.target.chatId}`;
}

function nextRun(job: JobV1): string {
  return job.enabled && job.nextRunAt ? `next run ${job.nextRunAt}` : 'not scheduled (disabled)';
}

function localZone(): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
}

function usage(message: string): number {
  process.stderr.write(`patchbay jobs: ${message}\n\n${JOBS_USAGE}\n`);
  return 2;
}
