import { ConsoleLogger, LogLevel } from '@nestjs/common';
import { inspect } from 'node:util';
import { Redactor } from './redactor';

/**
 * The logger of every role: each line, and each stack trace, redacted. An Error logged as
 * the message shows as `Name: message` and any other object on one line, instead of
 * Nest's multi-line JSON dump.
 */
export class RedactingLogger extends ConsoleLogger {
  constructor(private readonly redactor: Redactor) {
    super();
  }

  protected override stringifyMessage(message: unknown, logLevel: LogLevel): string {
    return this.redactor.redact(super.stringifyMessage(oneLine(message), logLevel) as string);
  }

  /** Nest calls it for every error line, with a stack or not (typed as always given). */
  protected override printStackTrace(stack: string): void {
    super.printStackTrace(stack ? this.redactor.redact(stack) : stack);
  }
}

/** A log message as one line of text. */
function oneLine(message: unknown): unknown {
  if (typeof message === 'string' || typeof message === 'function') return message;
  if (message instanceof Error) return message.name === 'Error' ? message.message : `${message.name}: ${message.message}`;
  return inspect(message, { breakLength: Infinity, depth: 4 });
}
