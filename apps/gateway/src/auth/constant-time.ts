import { createHash, timingSafeEqual } from 'node:crypto';

/** Compares secrets without leaking, through timing, how much of them matched or their length. */
export function secretsEqual(given: string, expected: string): boolean {
  const digest = (text: string) => createHash('sha256').update(text, 'utf8').digest();
  return timingSafeEqual(digest(given), digest(expected));
}
