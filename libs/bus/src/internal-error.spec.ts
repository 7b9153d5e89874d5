import { Logger } from '@nestjs/common';
import { UniqueConstraintViolationException } from '@mikro-orm/core';
import { AppError, describeError } from './bus';
import { NoResponderError, RemoteError } from './bus.errors';
import { safeDescription } from './internal-error';

const SQL = 'insert into "transcript_entry" ("session_id", "seq", "event") values ($1, $2, $3)';
const MARKER = 'marker-value-7f3a';

/** What pg raises on a duplicate key, with the statement and values MikroORM adds to it. */
function pgError(): Error {
  return Object.assign(new Error(`${SQL} - duplicate key value violates unique constraint "transcript_entry_session_id_seq_unique"`), {
    name: 'error',
    code: '23505',
    severity: 'ERROR',
    detail: `Key (session_id, seq)=(${MARKER}, 1) already exists.`,
    table: 'transcript_entry',
    constraint: 'transcript_entry_session_id_seq_unique',
    routine: '_bt_check_unique',
    query: SQL,
    sql: SQL,
    parameters: [MARKER, 1, `{"text":"${MARKER}"}`],
  });
}

describe('describeError and the error ids of unexpected errors', () => {
  let logged: string[];

  beforeEach(() => {
    logged = [];
    jest.spyOn(Logger.prototype, 'error').mockImplementation((message: unknown) => void logged.push(String(message)));
  });

  afterEach(() => jest.restoreAllMocks());

  it.each([
    ['a pg error', pgError],
    ['MikroORM’s exception around it', () => new UniqueConstraintViolationException(pgError())],
  ])('gives the requester of %s an error id and none of its SQL, values or message', (_, make) => {
    const reply = describeError(make(), 'pb.inbound.message');
    expect(reply).toEqual({ code: 'internal', message: `internal error ${reply.errorId}`, errorId: expect.stringMatching(/^[a-z2-7]{8}$/) });
    expect(logged).toHaveLength(1);
    const line = logged[0];
    expect(line).toContain(`error ${reply.errorId} in pb.inbound.message:`);
    expect(line).toContain('SQLSTATE 23505');
    expect(line).toContain('table transcript_entry');
    expect(line).toContain('constraint transcript_entry_session_id_seq_unique');
    for (const leak of [/insert into/i, /values/i, /duplicate key/, new RegExp(MARKER), /\bat .+:\d+:\d+/]) expect(line).not.toMatch(leak);
  });

  it('gives every unexpected error its own id', () => {
    const ids = new Set([1, 2, 3].map(() => describeError(new Error('boom'), 'here').errorId));
    expect(ids.size).toBe(3);
  });

  it('logs any other unexpected error by its class and first line, without its stack', () => {
    const reply = describeError(new TypeError("Cannot read properties of undefined (reading 'id')\nmore"), 'GET /api/tasks');
    expect(reply.message).toBe(`internal error ${reply.errorId}`);
    expect(logged).toEqual([`error ${reply.errorId} in GET /api/tasks: TypeError: Cannot read properties of undefined (reading 'id')`]);
  });

  it('describes what is not an Error by its type only', () => {
    expect(safeDescription('select * from task')).toBe('a thrown string');
    expect(safeDescription(null)).toBe('a thrown null');
  });

  it('keeps deliberate errors as they are, logging nothing', () => {
    expect(describeError(new AppError('not_found', 'no session abcd'), 'x')).toEqual({ code: 'not_found', message: 'no session abcd' });
    expect(describeError(new NoResponderError('pb.runner.run'), 'x')).toMatchObject({ code: 'no_responder' });
    // A responder elsewhere logged this one: its id travels on, not a new one.
    expect(describeError(new RemoteError('pb.engine.status', 'internal', 'internal error abcd2345', 'abcd2345'), 'x')).toEqual({
      code: 'internal',
      message: 'internal error abcd2345',
      errorId: 'abcd2345',
    });
    expect(logged).toEqual([]);
  });
});
