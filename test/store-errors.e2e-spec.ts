import { Client } from 'pg';
import { createTestDatabase } from './support/databases';
import { PatchbayInstance } from './support/patchbay-instance';
import { describeWith } from './support/services';

jest.setTimeout(120_000);

/** Text the database refuses (the spec's triggers raise on it), in a message and in a run's output. */
const INBOUND_MARKER = 'inbound-marker-5b2e9d';
const OUTPUT_MARKER = 'output-marker-8c1f4a';
const JOB_MARKER = 'job-marker-3d7e21';
/** What must never reach a client or a log line: the statement, its values, the driver's words. */
const SQL = /\b(insert into|select .* from|values \(|\$\d)|refused by the test/i;

/** An agent that prints its prompt. */
const echoAgent = { command: 'bash', args: ['-c', 'echo "asked: $1"', 'echo', '{prompt}'] };

/**
 * A store error never reaches a client with SQL in it: the client gets an error id, and the
 * log one line with that id and the SQLSTATE. A store error while a run's output is recorded
 * gives the run up: its task fails naming the id, its viewers see the end, and the session's
 * next task runs. The errors are forced by triggers in the suite's own database.
 */
describeWith(['tmux', 'postgres'], 'Store errors (all-in-one, real PostgreSQL)', () => {
  let patchbay: PatchbayInstance;
  let db: Awaited<ReturnType<typeof createTestDatabase>>;

  beforeAll(async () => {
    db = await createTestDatabase('pb_store_errors');
    patchbay = PatchbayInstance.prepare('store-errors');
    await patchbay.start({ defaultAgent: 'echo', agents: { echo: echoAgent } }, { ...process.env, DATABASE_URL: db.url });
    // Installed once Patchbay has migrated the database.
    const client = new Client({ connectionString: db.url });
    await client.connect();
    try {
      await client.query(`
        create function refuse_markers() returns trigger language plpgsql as $$
        begin
          if strpos(new::text, tg_argv[0]) > 0 then
            raise exception 'refused by the test: %', left(new::text, 200);
          end if;
          return new;
        end $$;
        create trigger refuse_markers before insert on inbound_message for each row execute function refuse_markers('${INBOUND_MARKER}');
        create trigger refuse_markers before insert on transcript_entry for each row execute function refuse_markers('${OUTPUT_MARKER}');
        create trigger refuse_markers before insert on job for each row execute function refuse_markers('${JOB_MARKER}');`);
    } finally {
      await client.end();
    }
  });

  afterAll(async () => {
    await patchbay?.stop();
    await db?.drop();
  });

  /** The log lines that name an error id. */
  const linesOf = (errorId: string) =>
    patchbay
      .logs()
      .split('\n')
      .filter((line) => line.includes(errorId));

  it('parks a message the store refuses as a dead letter whose reason is an error id, with no SQL, and logs the id with the SQLSTATE', async () => {
    const { status, body } = await patchbay.request('POST', '/api/messages', { text: `deploy ${INBOUND_MARKER}` });
    expect(status).toBe(502);
    expect(body).toMatchObject({
      statusCode: 502,
      error: 'dead_letter',
      message: expect.stringMatching(/^could not be handled after 1 try: internal: internal error [a-z2-7]{8}; parked as dead letter \w+$/),
    });
    expect(JSON.stringify(body)).not.toContain(INBOUND_MARKER);
    const errorId = /internal error ([a-z2-7]{8})/.exec(body.message)![1];
    const lines = linesOf(errorId).filter((line) => line.includes(`error ${errorId} in `));
    expect(lines).toEqual([expect.stringContaining('SQLSTATE P0001')]);
    expect(lines[0]).not.toMatch(SQL);
    expect(patchbay.logs()).not.toContain(INBOUND_MARKER);
    expect(patchbay.logs()).not.toMatch(SQL);
  });

  it('answers a store error in a Nest bus handler (jobs.add) with 502, an error id and no SQL, logged by the engine with the subject', async () => {
    const { status, body } = await patchbay.request('POST', '/api/jobs', { name: 'nightly', every: '1d', prompt: `check ${JOB_MARKER}` });
    expect(status).toBe(502);
    expect(body).toEqual({ statusCode: 502, error: 'internal', message: `internal error ${body.errorId}: see the log`, errorId: expect.stringMatching(/^[a-z2-7]{8}$/) });
    expect(linesOf(body.errorId)).toEqual([expect.stringMatching(new RegExp(`error ${body.errorId} in \\w+\\.jobs\\.add: .*SQLSTATE P0001`))]);
    expect(patchbay.logs()).not.toContain(JOB_MARKER);
    expect(patchbay.logs()).not.toMatch(SQL);
  });

  it('gives up a run whose output the store refuses: the task fails with the id, viewers see the end, the next task runs', async () => {
    const first = await patchbay.send(`say ${OUTPUT_MARKER}`, 'store-chat');
    const events = await patchbay.taskEvents(first.sessionId!, first.taskId!);
    const end = events.at(-1);
    expect(end).toMatchObject({ type: 'error', code: 'store_failed', text: expect.stringMatching(/^could not store the run's output \(internal error [a-z2-7]{8}\)/) });
    const errorId = /internal error ([a-z2-7]{8})/.exec((end as { text: string }).text)![1];
    expect(await patchbay.get(`/api/tasks/${first.taskId}`)).toMatchObject({ status: 'failed', error: expect.stringContaining(`internal error ${errorId}`) });
    const lines = linesOf(errorId);
    expect(lines.filter((line) => line.includes(`error ${errorId} in storing event`))).toHaveLength(1);
    expect(lines.join('\n')).toContain('SQLSTATE P0001');
    expect(lines.join('\n')).not.toMatch(SQL);

    const second = await patchbay.send('second', 'store-chat');
    expect(second.sessionId).toBe(first.sessionId);
    const next = await patchbay.taskEvents(second.sessionId!, second.taskId!);
    expect(next.at(-1)).toMatchObject({ type: 'final', exitCode: 0 });
    expect(
      next
        .filter((e) => e.type === 'text')
        .map((e) => (e as { text: string }).text)
        .join(''),
    ).toContain('asked: second');
    expect(patchbay.logs()).not.toContain(OUTPUT_MARKER);
    expect(patchbay.logs()).not.toMatch(SQL);
  });
});
