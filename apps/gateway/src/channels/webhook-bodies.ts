import { raw } from 'express';
import type { RequestHandler } from 'express';

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

/** [route, middleware] pairs for the HTTP app: every content type read as a Buffer into req.body. */
export function webhookBodyReaders(): Array<[string, RequestHandler]> {
  return Object.entries(WEBHOOK_BODY_LIMITS).map(([route, limit]) => [route, raw({ type: () => true, limit })]);
}

/** The bytes a webhook reader kept; a request without a body has none. */
export function bodyBytes(body: unknown): Buffer {
  return Buffer.isBuffer(body) ? body : Buffer.alloc(0);
}
