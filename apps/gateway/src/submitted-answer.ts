import { ForbiddenException, HttpStatus } from '@nestjs/common';
import { Response } from 'express';
import { Submitted } from '@patchbay/bus';

/**
 * The HTTP status of the engine's answer to a message: 202 stored for a busy engine, 200 a
 * command, 201 a task or input, 403 (the reason as message) a sender who may not do this.
 */
export function answerSubmitted<T extends Submitted>(answer: T, res: Response): T {
  if ('queued' in answer) {
    res.status(HttpStatus.ACCEPTED);
    return answer;
  }
  if (answer.outcome === 'pairing' || answer.outcome === 'denied') throw new ForbiddenException(answer.reply);
  res.status(answer.outcome === 'command' ? HttpStatus.OK : HttpStatus.CREATED);
  return answer;
}
