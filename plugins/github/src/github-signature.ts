import { createHmac, timingSafeEqual } from 'node:crypto';

/** `sha256=<hex>` of the raw body, as GitHub sends it in X-Hub-Signature-256. */
export function signBody(secret: string, body: Buffer | string): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

/**
 * True when `header` is the HMAC-SHA256 of exactly these bytes under `secret`. Compared in
 * constant time; a missing or malformed header, or an empty secret, never verifies.
 */
export function verifySignature(secret: string, body: Buffer, header: string | undefined): boolean {
  if (!secret || !header || !/^sha256=[0-9a-f]{64}$/i.test(header)) return false;
  const expected = Buffer.from(signBody(secret, body).slice('sha256='.length), 'hex');
  const given = Buffer.from(header.slice('sha256='.length), 'hex');
  return timingSafeEqual(expected, given);
}
