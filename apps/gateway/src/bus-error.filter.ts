import { ArgumentsHost, Catch, ExceptionFilter, HttpStatus } from '@nestjs/common';
import { Response } from 'express';
import { BusError } from '@patchbay/bus';

const STATUS_BY_CODE: Record<string, number> = {
  no_responder: HttpStatus.SERVICE_UNAVAILABLE,
  timeout: HttpStatus.GATEWAY_TIMEOUT,
  invalid_payload: HttpStatus.BAD_REQUEST,
  not_found: HttpStatus.NOT_FOUND,
  invalid_schedule: HttpStatus.BAD_REQUEST,
  invalid_job: HttpStatus.BAD_REQUEST,
  duplicate: HttpStatus.CONFLICT,
  already_decided: HttpStatus.CONFLICT,
  forbidden: HttpStatus.FORBIDDEN,
  idempotency_conflict: HttpStatus.UNPROCESSABLE_ENTITY,
};

/** Bus failures behind an HTTP call become a clear status and message, not a bare 500. */
@Catch(BusError)
export class BusErrorFilter implements ExceptionFilter {
  catch(error: BusError, host: ArgumentsHost): void {
    const response = host.switchToHttp().getResponse<Response>();
    const status = STATUS_BY_CODE[error.code] ?? HttpStatus.BAD_GATEWAY;
    const message = error.code === 'no_responder' ? 'the engine is not reachable: is it running?' : error.message;
    response.status(status).json({ statusCode: status, error: error.code, message });
  }
}
