import { HttpException, Logger } from '@nestjs/common';
import { json, raw } from 'express';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { STATUS_CODES } from 'node:http';

/**
 * Webhook routes and the most each takes. Their bodies are kept as the bytes that came
 * (no JSON parser runs on them): the signature or secret is checked first, and only a
 * proven delivery is parsed. GitHub deliveries may be up to 25 MB; Telegram updates are
 * small (a message is at most 4096 characters).
 */
const WEBHOOK_BODY_LIMITS: Readonly<Record<string, string>> = {
  '/webhooks/github': '25mb',
  '/webhooks/telegram': '1mb',
};

const logger = new Logger('HTTP');

/**
 * [route, middleware] pairs that read request bodies, in order, used instead of Nest's own
 * parsers: webhook bodies as Buffers into req.body, then JSON (up to 100 KB) everywhere else.
 */
export function bodyReaders(): Array<[string, RequestHandler]> {
  return [
    ...Object.entries(WEBHOOK_BODY_LIMITS).map(([route, limit]): [string, RequestHandler] => [route, reportingClientErrors(raw({ type: () => true, limit }))]),
    ['/', reportingClientErrors(json())],
  ];
}

/** The bytes a webhook reader kept; a request without a body has none. */
export function bodyBytes(body: unknown): Buffer {
  return Buffer.isBuffer(body) ? body : Buffer.alloc(0);
}

/**
 * A reader's client errors (400 malformed, 413 too large, 415 unsupported charset or
 * encoding) answered with their status and logged at WARN on one line. Anyone can send
 * these: as Nest logs them by default, an ERROR with a stack each, they would flood the log.
 */
function reportingClientErrors(reader: RequestHandler): RequestHandler {
  return (req: Request, res: Response, next: NextFunction) =>
    reader(req, res, (error?: unknown) => {
      const status = clientErrorStatus(error);
      if (status === null) return next(error);
      const message = (error as Error).message;
      logger.warn(`${req.method} ${req.originalUrl.split('?')[0].slice(0, 200)} from ${req.ip}: ${status} ${message}`);
      next(new HttpException({ statusCode: status, error: STATUS_CODES[status], message }, status));
    });
}

/** The 4xx status of an http-errors error meant for the client (`expose`), as body-parser raises; else null. */
function clientErrorStatus(error: unknown): number | null {
  if (!(error instanceof Error)) return null;
  const { status, expose } = error as Error & { status?: unknown; expose?: unknown };
  return typeof status === 'number' && status >= 400 && status < 500 && expose === true ? status : null;
}
