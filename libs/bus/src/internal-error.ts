import { Logger } from '@nestjs/common';
import { newId } from '@patchbay/contracts';

/** What a requester or an HTTP client learns of an unexpected error: an id to quote, nothing more. */
export interface InternalError {
  code: 'internal';
  message: string;
  errorId: string;
}

const logger = new Logger('InternalError');

/** PostgreSQL's error codes are five digits or capitals (23505, 42P01, XX000). */
const SQLSTATE = /^[0-9A-Z]{5}$/;
/** Fields of a driver error that name things, never values: safe in a log line. */
const DATABASE_NAMES = ['schema', 'table', 'column', 'constraint', 'routine'] as const;
const MAX_DESCRIPTION = 200;

/**
 * Turns an unexpected error (not a deliberate, user-facing one) into a short random error
 * id, and logs one ERROR line that explains it: where it happened, the error's class and a
 * safe description. The id is all the caller gets; the log line is how an operator finds
 * the rest.
 */
export function reportInternalError(error: unknown, where: string): InternalError {
  const errorId = newId(8);
  logger.error(`error ${errorId} in ${where}: ${safeDescription(error)}`);
  return { code: 'internal', message: `internal error ${errorId}`, errorId };
}

/**
 * An error as one line that carries no SQL, parameters, values or stack. A database error
 * (pg's, or MikroORM's DriverException around it) is described by its SQLSTATE and the
 * objects it names, as its message quotes the statement and its detail the values; any
 * other error by its class and the first line of its message.
 */
export function safeDescription(error: unknown): string {
  if (!(error instanceof Error)) return `a thrown ${error === null ? 'null' : typeof error}`;
  const fields = error as unknown as Record<string, unknown>;
  const sqlState = [fields.sqlState, fields.code].find((c): c is string => typeof c === 'string' && SQLSTATE.test(c));
  if (sqlState || 'sql' in fields || 'query' in fields || 'parameters' in fields) {
    const names = DATABASE_NAMES.flatMap((key) => (typeof fields[key] === 'string' && fields[key] ? [`${key} ${fields[key]}`] : []));
    return [`${error.name} (database error)`, `SQLSTATE ${sqlState ?? 'unknown'}`, ...names].join(', ');
  }
  const line = error.message.split('\n', 1)[0];
  return `${error.name}: ${line.length > MAX_DESCRIPTION ? `${line.slice(0, MAX_DESCRIPTION)}…` : line}`;
}
