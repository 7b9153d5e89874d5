import { ArgumentsHost, Catch } from '@nestjs/common';
import { BaseExceptionFilter } from '@nestjs/core';
import { Observable, throwError } from 'rxjs';
import { describeError } from './bus';
import { BusContext } from './bus.server';

/**
 * What a bus handler (@OnBusRequest, @OnBusEvent) threw, as the reply its requester gets:
 * Nest's own RPC filter would log the error whole (SQL and all) and answer a bare
 * "Internal server error"; this one answers deliberate errors as they are and an
 * unexpected one with an error id, logged once with the subject. Other contexts (HTTP)
 * get Nest's default; the gateway's filter extends this one for them.
 */
@Catch()
export class BusExceptionFilter extends BaseExceptionFilter {
  override catch(error: unknown, host: ArgumentsHost): Observable<never> | void {
    if (host.getType() !== 'rpc') return super.catch(error, host);
    const context = host.switchToRpc().getContext<unknown>();
    const where = context instanceof BusContext ? context.subject : 'a bus handler';
    const reply = describeError(error, where);
    return throwError(() => reply);
  }
}
