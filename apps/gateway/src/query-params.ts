import { BadRequestException } from '@nestjs/common';
import { ID_PATTERN } from '@patchbay/contracts';

export function listLimit(raw: string | undefined, fallback = 50): number {
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > 500) throw new BadRequestException('limit: expected a whole number from 1 to 500');
  return n;
}

export function requireId(raw: string, what: string): string {
  if (!ID_PATTERN.test(raw)) throw new BadRequestException(`${what} id: expected 4-40 lowercase letters and digits`);
  return raw;
}
