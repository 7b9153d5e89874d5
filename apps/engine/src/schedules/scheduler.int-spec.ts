import { INestMicroservice, Logger, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { agentProfiles } from '@patchbay/agents';
import { MetricsModule, PatchbayMetrics } from '@patchbay/metrics';
import { Bus, BusModule, BusServer, DirectInboundQueue, InProcessTransport } from '@patchbay/bus';
import { ConfigModule, ConfigSchema } from '@patchbay/config';
import { InboundAcceptedV1, InboundMessageV1, JobSpecV1, newId, RunRequestV1 } from '@patchbay/contracts';
import { Database, JobsStore, SessionsStore, TasksStore } from '@patchbay/persistence';
import { createTestDatabase } from '../../../../test/support/databases';
import { describeWith } from '../../../../test/support/services';
import { EngineModule } from '../engine.module';
import { InboundService } from '../inbound/inbound.service';
import { ManualClock } from '../../../../test/support/manual-clock';
import { JobsService } from './jobs.service';
import { InboundSink, MAX_SLEEP_MS, SchedulerService } from './scheduler.service';

jest.setTimeout(30_000);

/**
 * The scheduler over a real PostgreSQL and the real engine (EngineModule on an in-process
 * bus, a fake runner that accepts every run). Time is a ManualClock the tests move; the
 * schedulers under test are built here, one per "engine", each with its own connection pool.
 */
describeWith(['postgres'], 'SchedulerService (real PostgreSQL, engine inbound path)', () => {
  const config = ConfigSchema.parse({ home: '/tmp/pb-scheduler-spec', defaultAgent: 'demo' });
  let testDb: { url: string; drop: () => Promise<void> };
  let app: INestMicroservice;
  let bus: Bus;
  let inbound: InboundSink;
  let sessions: SessionsStore;
  let tasks: TasksStore;
  const databases: Database[] = [];
  const runRequests: RunRequestV1[] = [];
  const quiet: jest.SpyInstance[] = [];

  beforeAll(async () => {
    quiet.push(jest.spyOn(Logger.prototype, 'log').mockImplementation(() => undefined));
    quiet.push(jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined));
    testDb = await createTestDatabase('pb_jobs');
    bus = new Bus(new InProcessTransport(), { prefix: `pbtest${newId(6)}`, requestTimeoutMs: 5_000 });
    // A runner that takes every run (and never reports back: tasks stay queued or running).
    bus.respond('runner.run', async (request) => {
      runRequests.push(request);
      return { runnerId: 'fake-runner', tmuxSession: `pb-${request.sessionId}`, position: 0 };
    });
    @Module({
      imports: [
        ConfigModule.forRoot(config),
        BusModule.forRoot({ bus, inbound: new DirectInboundQueue(bus) }),
        MetricsModule.forRoot({ metrics: new PatchbayMetrics('spec-engine'), distributed: false, answerScrapes: false }),
        EngineModule.forRoot({ databaseUrl: testDb.url }),
      ],
    })
    class TestEngine {}
    app = await NestFactory.createMicroservice(TestEngine, { strategy: new BusServer(bus), logger: false });
    await app.listen();
    // The app's own scheduler runs on the real clock; the tests drive their own.
    await app.get(SchedulerService, { strict: false }).stop();
    inbound = app.get(InboundService, { strict: false });
    sessions = app.get(SessionsStore, { strict: false });
    tasks = app.get(TasksStore, { strict: false });
  });

  afterAll(async () => {
    await app?.close();
    for (const database of databases) await database.onApplicationShutdown();
    await bus?.close();
    await testDb?.drop();
    for (const spy of quiet) spy.mockRestore();
  });

  let clock: ManualClock;
  /** One engine's scheduler (the firing loop) and its jobs (what the bus asks for). */
  type Engine = { scheduler: SchedulerService; jobs: JobsService };
  let a: Engine;
  let b: Engine;
  let jobsStore: JobsStore;

  /** One more engine's scheduler: its own connection pool, the same database and inbound path. */
  async function engine(sink: InboundSink = inbound): Promise<Engine> {
    const database = await Database.connect(testDb.url);
    databases.push(database);
    const store = new JobsStore(database);
    const profiles = agentProfiles(config);
    const scheduler = new SchedulerService(store, sink, clock, profiles, { defaultAgent: 'demo' });
    return { scheduler, jobs: new JobsService(store, scheduler, clock, profiles) };
  }

  beforeAll(async () => {
    clock = new ManualClock('2030-01-07T10:05:00Z');
    a = await engine({ accept: (message) => inbound.accept(message) });
    b = await engine();
    jobsStore = new JobsStore(databases[0]);
  });

  afterEach(async () => {
    await a.scheduler.stop();
    await b.scheduler.stop();
    for (const job of await a.jobs.list()) await a.jobs.remove(job.name);
  });

  const spec = (fields: Partial<JobSpecV1> & Pick<JobSpecV1, 'name'>): JobSpecV1 => ({ prompt: 'check the nightly build', ...fields });

  async function sql<T = Record<string, unknown>>(query: string, params: unknown[] = []): Promise<T[]> {
    return databases[0].orm.em.fork().getConnection().execute(query, params);
  }

  /** Tasks the job's messages started (the inbound messages on the schedule channel with the job as account). */
  async function tasksOf(jobId: string): Promise<Array<{ task_id: string; platform_message_id: string }>> {
    return sql(`select task_id, platform_message_id from inbound_message where channel = 'schedule' and account_id = ? order by created_at`, [jobId]);
  }

  async function until(condition: () => Promise<boolean> | boolean, what = 'condition'): Promise<void> {
    for (const deadline = Date.now() + 5_000; !(await condition());) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }

  it('fires a job at its slot: one message, one task, recorded in the run log', async () => {
    clock.set('2030-01-07T10:05:00Z');
    const job = await a.jobs.add(spec({ name: 'nightly', cron: '*/15 * * * *' }));
    expect(job).toMatchObject({ enabled: true, nextRunAt: '2030-01-07T10:15:00.000Z', lastRunAt: null, tz: 'UTC' });
    expect(job.upcoming).toEqual(['10:15', '10:30', '10:45', '11:00', '11:15'].map((hm) => `2030-01-07T${hm}:00.000Z`));
    expect(await a.scheduler.runDue()).toEqual([]);

    clock.set('2030-01-07T10:15:00Z');
    const [run, ...more] = await a.scheduler.runDue();
    expect(more).toEqual([]);
    expect(run).toMatchObject({
      jobId: job.id,
      scheduledFor: '2030-01-07T10:15:00.000Z',
      firedAt: '2030-01-07T10:15:00.000Z',
      trigger: 'schedule',
      outcome: 'task',
      duplicate: false,
      error: null,
    });
    expect(await a.scheduler.runDue()).toEqual([]);

    const task = await tasks.task(run.taskId!);
    expect(task).toMatchObject({ sessionId: run.sessionId, prompt: 'check the nightly build', channel: 'schedule', chatId: 'job:nightly', agent: 'demo' });
    expect(await tasksOf(job.id)).toEqual([{ task_id: run.taskId, platform_message_id: `${job.id}:2030-01-07T10:15:00.000Z` }]);
    expect(await a.jobs.runs('nightly', 10)).toEqual([run]);
    expect((await a.jobs.list())[0]).toMatchObject({ nextRunAt: '2030-01-07T10:30:00.000Z', lastRunAt: '2030-01-07T10:15:00.000Z' });
    // Dispatched like any task: the (fake) runner got it.
    await until(() => runRequests.some((r) => r.taskId === run.taskId), 'the run request');
  });

  it('fires the next slot into the same session (the job has its own chat)', async () => {
    clock.set('2030-01-07T10:05:00Z');
    await a.jobs.add(spec({ name: 'poll', every: '5m' }));
    clock.set('2030-01-07T10:10:00Z');
    const [first] = await a.scheduler.runDue();
    clock.set('2030-01-07T10:15:00Z');
    const [second] = await a.scheduler.runDue();
    expect(second.sessionId).toBe(first.sessionId);
    expect(second.taskId).not.toBe(first.taskId);
    expect(second.scheduledFor).toBe('2030-01-07T10:15:00.000Z');
  });

  it('after a downtime spanning many slots, fires once and schedules the next run after now', async () => {
    clock.set('2030-01-07T10:00:00Z');
    const every = await a.jobs.add(spec({ name: 'every-15m', every: '15m' }));
    const hourly = await a.jobs.add(spec({ name: 'hourly', cron: '@hourly', tz: 'Europe/Berlin' }));
    expect(hourly.nextRunAt).toBe('2030-01-07T11:00:00.000Z');

    clock.set('2030-01-08T03:07:00Z'); // 17 hours later: 68 and 16 slots missed
    const runs = await a.scheduler.runDue();
    expect(runs.map((r) => [r.jobId, r.scheduledFor])).toEqual([
      [every.id, '2030-01-07T10:15:00.000Z'],
      [hourly.id, '2030-01-07T11:00:00.000Z'],
    ]);
    expect(await a.scheduler.runDue()).toEqual([]);
    const jobs = Object.fromEntries((await a.jobs.list()).map((j) => [j.name, j]));
    expect(jobs['every-15m'].nextRunAt).toBe('2030-01-08T03:15:00.000Z');
    expect(jobs.hourly.nextRunAt).toBe('2030-01-08T04:00:00.000Z');
    expect(await tasksOf(every.id)).toHaveLength(1);
    expect(await tasksOf(hourly.id)).toHaveLength(1);
  });

  it('two engines racing on the same due job: exactly one firing', async () => {
    clock.set('2030-01-07T10:05:00Z');
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let entered = 0;
    const slow = await engine({
      accept: async (message: InboundMessageV1): Promise<InboundAcceptedV1> => {
        entered++;
        await gate;
        return inbound.accept(message);
      },
    });
    const job = await a.jobs.add(spec({ name: 'race', cron: '*/10 * * * *' }));
    clock.set('2030-01-07T10:10:00Z');

    const slowPass = slow.scheduler.runDue();
    await until(() => entered === 1, 'the slow engine to hold the job');
    // While the slow engine holds it, the others find nothing to fire.
    expect(await Promise.all([a.scheduler.runDue(), b.scheduler.runDue()])).toEqual([[], []]);
    release();
    expect(await slowPass).toHaveLength(1);
    expect(await Promise.all([a.scheduler.runDue(), b.scheduler.runDue(), slow.scheduler.runDue()])).toEqual([[], [], []]);

    expect(await a.jobs.runs('race', 10)).toHaveLength(1);
    expect(await tasksOf(job.id)).toHaveLength(1);
  });

  it('two engines racing on many due jobs: each fires exactly once', async () => {
    clock.set('2030-01-07T10:05:00Z');
    const jobs = await Promise.all(Array.from({ length: 12 }, (_, i) => a.jobs.add(spec({ name: `many-${i}`, every: '1m' }))));
    clock.set('2030-01-07T10:06:00Z');
    const [fromA, fromB] = await Promise.all([a.scheduler.runDue(), b.scheduler.runDue()]);
    expect(fromA.length + fromB.length).toBe(12);
    expect(new Set([...fromA, ...fromB].map((r) => r.jobId)).size).toBe(12);
    for (const job of jobs) {
      expect(await a.jobs.runs(job.name, 10)).toHaveLength(1);
      expect(await tasksOf(job.id)).toHaveLength(1);
    }
  });

  it('a firing whose transaction was lost is repeated harmlessly: the same slot meets the message dedup', async () => {
    clock.set('2030-01-07T10:05:00Z');
    const job = await a.jobs.add(spec({ name: 'crashy', every: '5m' }));
    clock.set('2030-01-07T10:10:00Z');
    let firstTask: string | null = null;
    // The message is accepted, then the "engine dies" before the job's row is updated.
    await expect(
      jobsStore.fireDue(clock.now(), async (due) => {
        firstTask = (
          await inbound.accept({
            channel: 'schedule',
            accountId: due.id,
            messageId: `${due.id}:${due.nextRunAt!.toISOString()}`,
            chatId: 'job:crashy',
            sender: { id: 'scheduler', name: 'job crashy' },
            text: due.prompt,
            receivedAt: clock.now().toISOString(),
          })
        ).taskId;
        throw new Error('engine died');
      }),
    ).rejects.toThrow('engine died');
    expect(firstTask).toEqual(expect.any(String));
    expect(await a.jobs.runs('crashy', 10)).toEqual([]);

    const [run] = await b.scheduler.runDue();
    expect(run).toMatchObject({ scheduledFor: '2030-01-07T10:10:00.000Z', outcome: 'task', duplicate: true, taskId: firstTask });
    expect(await tasksOf(job.id)).toHaveLength(1);
  });

  it('does not fire disabled jobs; enabling again schedules from now, without catch-up', async () => {
    clock.set('2030-01-07T10:05:00Z');
    await a.jobs.add(spec({ name: 'off', every: '10m', enabled: false }));
    await a.jobs.add(spec({ name: 'paused', every: '10m' }));
    expect(await a.jobs.setEnabled('paused', false)).toMatchObject({ enabled: false });

    clock.set('2030-01-07T12:00:00Z');
    expect(await a.scheduler.runDue()).toEqual([]);
    expect(await a.jobs.runs('off', 10)).toEqual([]);
    expect(await a.jobs.runs('paused', 10)).toEqual([]);

    expect(await a.jobs.setEnabled('paused', true)).toMatchObject({ enabled: true, nextRunAt: '2030-01-07T12:10:00.000Z' });
    expect(await a.scheduler.runDue()).toEqual([]);
    clock.set('2030-01-07T12:10:00Z');
    expect((await a.scheduler.runDue()).map((r) => r.scheduledFor)).toEqual(['2030-01-07T12:10:00.000Z']);
  });

  it('a one-shot job runs once, then disables itself', async () => {
    clock.set('2030-01-07T10:05:00Z');
    const job = await a.jobs.add(spec({ name: 'once', at: '2030-01-07T11:10:00+01:00' }));
    expect(job).toMatchObject({ at: '2030-01-07T10:10:00.000Z', nextRunAt: '2030-01-07T10:10:00.000Z' });
    expect(await a.scheduler.runDue()).toEqual([]);
    clock.set('2030-01-07T10:10:02Z');
    const [run] = await a.scheduler.runDue();
    expect(run).toMatchObject({ scheduledFor: '2030-01-07T10:10:00.000Z', firedAt: '2030-01-07T10:10:02.000Z', outcome: 'task' });
    expect((await a.jobs.list())[0]).toMatchObject({ enabled: false, nextRunAt: null, lastRunAt: '2030-01-07T10:10:02.000Z' });

    clock.set('2030-02-01T00:00:00Z');
    expect(await a.scheduler.runDue()).toEqual([]);
    await expect(a.jobs.setEnabled('once', true)).rejects.toMatchObject({ code: 'invalid_schedule', message: expect.stringContaining('a one-shot job does not run again') });
    expect(await tasksOf(job.id)).toHaveLength(1);
  });

  it('runs a job now on request, out of its schedule, and logs it as manual', async () => {
    clock.set('2030-01-07T10:05:00Z');
    const job = await a.jobs.add(spec({ name: 'adhoc', cron: '0 9 * * 1-5', tz: 'Europe/Berlin', enabled: false }));
    clock.set('2030-01-07T10:06:30Z');
    const run = await a.jobs.runNow('adhoc');
    expect(run).toMatchObject({ trigger: 'manual', scheduledFor: '2030-01-07T10:06:30.000Z', outcome: 'task', taskId: expect.any(String) });
    expect(await tasks.task(run.taskId!)).toMatchObject({ channel: 'schedule', chatId: 'job:adhoc' });
    expect((await a.jobs.list())[0]).toMatchObject({ enabled: false, nextRunAt: job.nextRunAt, lastRunAt: '2030-01-07T10:06:30.000Z' });
    expect(await a.jobs.runs('adhoc', 10)).toEqual([run]);
  });

  describe('targets', () => {
    it('sends to an existing session', async () => {
      clock.set('2030-01-07T10:05:00Z');
      const existing = await inbound.accept(message('local', 'me-session', 'hello'));
      await expect(a.jobs.add(spec({ name: 'to-session', every: '1m', agent: 'codex', target: { sessionId: existing.sessionId! } }))).rejects.toMatchObject({
        code: 'invalid_job',
        message: `agent applies to a session the job creates; session ${existing.sessionId} keeps its own agent`,
      });
      await a.jobs.add(spec({ name: 'to-session', every: '1m', target: { sessionId: existing.sessionId! } }));
      clock.set('2030-01-07T10:06:00Z');
      const [run] = await a.scheduler.runDue();
      expect(run).toMatchObject({ outcome: 'task', sessionId: existing.sessionId });
      expect(await sessions.bindings(existing.sessionId!)).toContainEqual(expect.objectContaining({ channel: 'schedule', chatId: 'job:to-session' }));
    });

    it('sends to the session bound to a chat, creating it (with the job agent) on the first firing', async () => {
      clock.set('2030-01-07T10:05:00Z');
      const chatId = `chat-${newId()}`;
      await a.jobs.add(spec({ name: 'to-chat', every: '1m', agent: 'codex', target: { channel: 'telegram', chatId } }));
      clock.set('2030-01-07T10:06:00Z');
      const [first] = await a.scheduler.runDue();
      expect(first).toMatchObject({ outcome: 'task' });
      expect(await sessions.session(first.sessionId!)).toMatchObject({ agent: 'codex' });
      expect(await sessions.boundSession('telegram', chatId)).toMatchObject({ id: first.sessionId });
      // The chat and the job share the session: the job's prompts say who sent them.
      expect(await tasks.task(first.taskId!)).toMatchObject({ agent: 'codex', prompt: '[job to-chat] check the nightly build' });
      clock.set('2030-01-07T10:07:00Z');
      const [second] = await a.scheduler.runDue();
      expect(second.sessionId).toBe(first.sessionId);
    });

    it('records a failure when the target session is gone, and carries on with the schedule', async () => {
      clock.set('2030-01-07T10:05:00Z');
      const existing = await inbound.accept(message('local', `gone-${newId()}`, 'hello'));
      await a.jobs.add(spec({ name: 'orphan', every: '1m', target: { sessionId: existing.sessionId! } }));
      await until(() => runRequests.some((r) => r.taskId === existing.taskId), 'the first task to be dispatched');
      await sql(`delete from session where id = ?`, [existing.sessionId]);
      clock.set('2030-01-07T10:06:00Z');
      const [run] = await a.scheduler.runDue();
      expect(run).toMatchObject({ outcome: 'failed', taskId: null, error: `target session ${existing.sessionId} does not exist` });
      expect((await a.jobs.list())[0]).toMatchObject({ nextRunAt: '2030-01-07T10:07:00.000Z' });
    });
  });

  describe('the loop', () => {
    it('sleeps until the next slot (at most MAX_SLEEP_MS), fires, and stops cleanly', async () => {
      clock.set('2030-01-07T10:05:00Z');
      await a.jobs.add(spec({ name: 'looped', every: '1m' }));
      a.scheduler.start();
      await until(() => clock.sleeping === 1, 'the loop to sleep');
      clock.advance(59_999);
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(await a.jobs.runs('looped', 10)).toEqual([]);
      clock.advance(1);
      await until(async () => (await a.jobs.runs('looped', 10)).length === 1, 'the firing');
      await until(() => clock.sleeping === 1, 'the loop to sleep again');
      await a.scheduler.stop();
      expect(clock.sleeping).toBe(0);
    });

    it('wakes when a job is added, and caps its sleep when nothing is scheduled', async () => {
      clock.set('2030-01-07T10:05:00Z');
      a.scheduler.start();
      await until(() => clock.sleeping === 1, 'the loop to sleep');
      clock.advance(MAX_SLEEP_MS - 1);
      expect(clock.sleeping).toBe(1);
      clock.advance(1); // the cap: it looks again, and sleeps again
      await a.jobs.add(spec({ name: 'woken', at: '2030-01-07T10:05:40Z' }));
      await until(() => clock.sleeping === 1, 'the loop to sleep until the job');
      clock.set('2030-01-07T10:05:40Z');
      await until(async () => (await a.jobs.runs('woken', 10)).length === 1, 'the firing');
    });

    it('on stop, waits for the firing in progress', async () => {
      clock.set('2030-01-07T10:05:00Z');
      let release!: () => void;
      const gate = new Promise<void>((resolve) => (release = resolve));
      let entered = false;
      const slow = await engine({
        accept: async (message) => {
          entered = true;
          await gate;
          return inbound.accept(message);
        },
      });
      await slow.jobs.add(spec({ name: 'slow', every: '1m' }));
      slow.scheduler.start();
      await until(() => clock.sleeping === 1, 'the loop to sleep');
      clock.advance(60_000);
      await until(() => entered, 'the firing to start');
      let stopped = false;
      const stopping = slow.scheduler.stop().then(() => (stopped = true));
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(stopped).toBe(false);
      release();
      await stopping;
      expect(await slow.jobs.runs('slow', 10)).toEqual([expect.objectContaining({ outcome: 'task' })]);
    });
  });

  describe('over the bus (jobs.* subjects, the engine app)', () => {
    it('adds, lists, disables, runs, shows runs and removes a job', async () => {
      const added = await bus.request('jobs.add', { name: 'bus-job', cron: '0 9 * * 1-5', tz: 'Europe/Berlin', prompt: 'stand-up notes' });
      expect(added).toMatchObject({
        name: 'bus-job',
        cron: '0 9 * * 1-5',
        tz: 'Europe/Berlin',
        every: null,
        at: null,
        enabled: true,
        target: { channel: 'schedule', chatId: 'job:bus-job' },
      });
      expect((await bus.request('jobs.list', {})).jobs.map((j) => j.name)).toContain('bus-job');
      expect(await bus.request('jobs.enable', { name: 'bus-job', enabled: false })).toMatchObject({ enabled: false });
      const run = await bus.request('jobs.run', { name: 'bus-job' });
      expect(run).toMatchObject({ trigger: 'manual', outcome: 'task' });
      expect((await bus.request('jobs.runs', { name: 'bus-job', limit: 5 })).runs).toEqual([run]);
      expect(await bus.request('jobs.remove', { name: 'bus-job' })).toMatchObject({ name: 'bus-job' });
      expect((await bus.request('jobs.list', {})).jobs.map((j) => j.name)).not.toContain('bus-job');
    });

    it('audits every change with who asked for it', async () => {
      await bus.request('jobs.add', { name: 'audited', every: '1h', prompt: 'x', by: 'api:ci' });
      await bus.request('jobs.enable', { name: 'audited', enabled: false, by: 'local:ada' });
      await bus.request('jobs.run', { name: 'audited', by: 'api:ci' });
      await bus.request('jobs.remove', { name: 'audited' });
      const { entries } = await bus.request('access.audit', { limit: 50 });
      expect(
        entries
          .filter((e) => e.target === 'job:audited')
          .map((e) => [e.actor, e.action, e.detail])
          .reverse(),
      ).toEqual([
        ['api:ci', 'job.add', 'every 1h'],
        ['local:ada', 'job.disable', null],
        ['api:ci', 'job.run', expect.stringMatching(/^task [a-z0-9]+$/)],
        ['bus', 'job.remove', null],
      ]);
    });

    it.each([
      [{ name: 'bad', cron: '61 * * * *', prompt: 'x' }, 'invalid_schedule', 'invalid cron "61 * * * *": Invalid value for minute: 61'],
      [
        { name: 'bad', cron: '0 9 * * *', tz: 'Europe/Atlantis', prompt: 'x' },
        'invalid_schedule',
        'unknown time zone "Europe/Atlantis": expected an IANA name such as Europe/Berlin or UTC',
      ],
      [{ name: 'bad', every: 'often', prompt: 'x' }, 'invalid_schedule', 'every "often": expected a number and a unit, such as 30s, 15m, 2h or 1d'],
      [{ name: 'bad', at: '2001-01-01T00:00:00Z', prompt: 'x' }, 'invalid_schedule', expect.stringContaining('at 2001-01-01T00:00:00.000Z is in the past')],
      [{ name: 'bad', every: '1m', agent: 'nobody', prompt: 'x' }, 'invalid_job', expect.stringContaining('unknown agent "nobody": known agents are')],
      [{ name: 'bad', every: '1m', target: { sessionId: 'nosuchsession' }, prompt: 'x' }, 'invalid_job', 'target session nosuchsession does not exist'],
    ])('refuses %j (%s)', async (job, code, message) => {
      await expect(bus.request('jobs.add', job as JobSpecV1)).rejects.toMatchObject({ code, message });
    });

    it('refuses a second job with the same name', async () => {
      await bus.request('jobs.add', { name: 'twice', every: '1h', prompt: 'x' });
      await expect(bus.request('jobs.add', { name: 'twice', every: '2h', prompt: 'y' })).rejects.toMatchObject({
        code: 'duplicate',
        message: 'a job named "twice" already exists: remove it first, or pick another name',
      });
    });

    it.each([
      ['jobs.remove', { name: 'ghost' }],
      ['jobs.enable', { name: 'ghost', enabled: true }],
      ['jobs.run', { name: 'ghost' }],
      ['jobs.runs', { name: 'ghost', limit: 5 }],
    ] as const)('%s of an unknown job: not_found', async (subject, payload) => {
      await expect(bus.request(subject, payload as never)).rejects.toMatchObject({ code: 'not_found', message: 'no job named "ghost"' });
    });

    it('refuses a malformed spec before it reaches the engine', async () => {
      await expect(bus.request('jobs.add', { name: 'x', cron: '@daily', every: '1d', prompt: 'x' })).rejects.toThrow(/give only one of cron, every or at/);
    });
  });

  function message(channel: string, chatId: string, text: string): InboundMessageV1 {
    return { channel, accountId: channel, messageId: newId(), chatId, sender: { id: 'me', name: 'me' }, text, receivedAt: new Date().toISOString() };
  }
});
