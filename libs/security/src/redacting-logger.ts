import { ConsoleLogger, LogLevel } from '@nestjs/common';
import { inspect } from 'node:util';
import pino from 'pino';
import { currentLogIds } from './log-context';
import { Redactor } from './redactor';

/** `log.level` and `log.format` of the config. */
export interface LogSettings {
  level: 'error' | 'warn' | 'info' | 'debug' | 'verbose';
  format: 'text' | 'json';
}

const NEST_LEVELS: readonly LogLevel[] = ['fatal', 'error', 'warn', 'log', 'debug', 'verbose'];
const ENABLED_UP_TO: Record<LogSettings['level'], LogLevel> = { error: 'error', warn: 'warn', info: 'log', debug: 'debug', verbose: 'verbose' };
const PINO_LEVEL: Record<LogLevel, pino.Level> = { fatal: 'fatal', error: 'error', warn: 'warn', log: 'info', debug: 'debug', verbose: 'trace' };

/**
 * The logger of every role: each line, and each stack trace, redacted. An Error logged as
 * the message shows as `Name: message` and any other object on one line, instead of
 * Nest's multi-line JSON dump. As text (the terminal default) it prints Nest's lines; as
 * JSON, one pino object a line on stdout, with the session, task and run ids of the work
 * it was logged from.
 */
export class RedactingLogger extends ConsoleLogger {
  private readonly json: pino.Logger | null;

  constructor(
    private readonly redactor: Redactor,
    settings: LogSettings = { level: 'info', format: 'text' },
  ) {
    const json = settings.format === 'json';
    super({ logLevels: NEST_LEVELS.slice(0, NEST_LEVELS.indexOf(ENABLED_UP_TO[settings.level]) + 1), colors: json ? false : undefined });
    // Nest filters by level first; pino writes what passed. Through process.stdout, in order with everything else.
    this.json = json
      ? pino(
          { level: 'trace', timestamp: pino.stdTimeFunctions.isoTime, formatters: { level: (label) => ({ level: label }) }, mixin: () => ({ ...currentLogIds() }) },
          { write: (line: string) => process.stdout.write(line) },
        )
      : null;
  }

  protected override printMessages(messages: unknown[], context = '', logLevel: LogLevel = 'log', writeStreamType?: 'stdout' | 'stderr', errorStack?: unknown): void {
    if (!this.json) return super.printMessages(messages, context, logLevel, writeStreamType, errorStack);
    const stack = typeof errorStack === 'string' && errorStack ? { stack: this.redactor.redact(errorStack) } : {};
    for (const message of messages) {
      this.json[PINO_LEVEL[logLevel]]({ context, ...stack }, this.stringifyMessage(message, logLevel) as string);
    }
  }

  protected override stringifyMessage(message: unknown, logLevel: LogLevel): string {
    return this.redactor.redact(super.stringifyMessage(oneLine(message), logLevel) as string);
  }

  /** Nest calls it for every error line, with a stack or not (typed as always given); JSON lines carry it already. */
  protected override printStackTrace(stack: string): void {
    if (this.json) return;
    super.printStackTrace(stack ? this.redactor.redact(stack) : stack);
  }
}

/** A log message as one line of text. */
function oneLine(message: unknown): unknown {
  if (typeof message === 'string' || typeof message === 'function') return message;
  if (message instanceof Error) return message.name === 'Error' ? message.message : `${message.name}: ${message.message}`;
  return inspect(message, { breakLength: Infinity, depth: 4 });
}
