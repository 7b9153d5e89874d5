import { createHmac, timingSafeEqual } from 'node:crypto';
import { TransportHeaders } from './bus.transport';

export const SIGNATURE_HEADER = 'Patchbay-Signature';
export const SIGNED_AT_HEADER = 'Patchbay-Signed-At';
/** Shortest `bus.secret`: 32 characters leave no room for guessing it from signatures. */
export const MIN_BUS_SECRET_LENGTH = 32;
/** A signed core request older (or further ahead) than this is refused as a replay. */
export const MAX_REQUEST_AGE_MS = 5 * 60 * 1000;

const VERSION = 'v1=';

/** Why a message was refused. */
export type SignatureFault = 'unsigned' | 'bad signature' | 'expired';
export type Verdict = { ok: true } | { ok: false; fault: SignatureFault };

/**
 * HMAC-SHA256 with `bus.secret` over the wire subject, the signing time and the exact
 * payload bytes, carried in two message headers. The subject is covered so a signature for
 * one subject (or deployment prefix) is worth nothing on another.
 */
export class BusSigner {
  private readonly key: Buffer;

  constructor(secret: string) {
    if (secret.length < MIN_BUS_SECRET_LENGTH) {
      throw new Error(`bus.secret must be at least ${MIN_BUS_SECRET_LENGTH} characters (it has ${secret.length})`);
    }
    this.key = Buffer.from(secret, 'utf8');
  }

  sign(subject: string, data: Uint8Array, now: number = Date.now()): TransportHeaders {
    const at = String(now);
    return { [SIGNATURE_HEADER]: VERSION + this.mac(subject, at, data).toString('hex'), [SIGNED_AT_HEADER]: at };
  }

  /** `maxAgeMs` null: no age check (a stored message may wait long for its reader). */
  verify(subject: string, data: Uint8Array, headers: TransportHeaders | undefined, maxAgeMs: number | null, now: number = Date.now()): Verdict {
    const signature = headers?.[SIGNATURE_HEADER];
    const at = headers?.[SIGNED_AT_HEADER];
    if (!signature || !at) return { ok: false, fault: 'unsigned' };
    if (!signature.startsWith(VERSION) || !/^\d{1,15}$/.test(at)) return { ok: false, fault: 'bad signature' };
    const given = Buffer.from(signature.slice(VERSION.length), 'hex');
    const expected = this.mac(subject, at, data);
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return { ok: false, fault: 'bad signature' };
    if (maxAgeMs !== null && Math.abs(now - Number(at)) > maxAgeMs) return { ok: false, fault: 'expired' };
    return { ok: true };
  }

  private mac(subject: string, at: string, data: Uint8Array): Buffer {
    return createHmac('sha256', this.key).update(`${subject}\n${at}\n`).update(data).digest();
  }
}
