import { ArgumentsHost, Catch, HttpException, HttpStatus } from '@nestjs/common';
import { Response } from 'express';
import { BusError, BusExceptionFilter, describeError, ErrorReply } from '@patchbay/bus';
import type { Request } from 'express';

const STATUS_BY_CODE: Record<string, number> = {
  no_responder: HttpStatus.SERVICE_UNAVAILABLE,
  bus_unavailable: HttpStatus.SERVICE_UNAVAILABLE,
  timeout: HttpStatus.GATEWAY_TIMEOUT,
  invalid_payload: HttpStatus.BAD_REQUEST,
  not_found: HttpStatus.NOT_FOUND,
  invalid_schedule: HttpStatus.BAD_REQUEST,
  invalid_job: HttpStatus.BAD_REQUEST,
  duplicate: HttpStatus.CONFLICT,
  already_decided: HttpStatus.CONFLICT,
  last_owner: HttpStatus.CONFLICT,
  from_config: HttpStatus.CONFLICT,
  forbidden: HttpStatus.FORBIDDEN,
  not_live: HttpStatus.CONFLICT,
  idempotency_conflict: HttpStatus.UNPROCESSABLE_ENTITY,
};

/** Seconds a client is asked to wait (Retry-After) before trying again when the bus is down. */
const BUS_RETRY_AFTER_S = 5;

/**
 * Every error behind an HTTP call that is not an HttpException: a bus failure becomes a
 * clear status and message, not a bare 500; an unexpected one (here or in the engine) an
 * error id and "see the log", never its message, which may quote SQL and its values.
 * Bus handlers in this process are answered as BusExceptionFilter does.
 */
@Catch()
export class BusErrorFilter extends BusExceptionFilter {
  override catch(error: unknown, host: ArgumentsHost) {
    if (host.getType() !== 'http' || error instanceof HttpException) return super.catch(error, host);
    const http = host.switchToHttp();
    const response = http.getResponse<Response>();
    const request = http.getRequest<Request>();
    const reply = describeError(error, `${request.method} ${request.path}`);
    const status = error instanceof BusError ? (STATUS_BY_CODE[error.code] ?? HttpStatus.BAD_GATEWAY) : HttpStatus.INTERNAL_SERVER_ERROR;
    // A stream already under way cannot change its status; it ends.
    if (response.headersSent) return void response.end();
    // The client reconnects to NATS within a second or so: a retry soon is likely to work.
    if (reply.code === 'bus_unavailable') response.setHeader('Retry-After', String(BUS_RETRY_AFTER_S));
    response.status(status).json(httpBody(status, reply));
  }
}

function httpBody(status: number, reply: ErrorReply) {
  if (reply.errorId) return { statusCode: status, error: reply.code, message: `${reply.message}: see the log`, errorId: reply.errorId };
  const message = reply.code === 'no_responder' ? 'the engine is not reachable: is it running?' : reply.message;
  return { statusCode: status, error: reply.code, message };
}
