import { BadRequestException } from '@nestjs/common';
import { AGENT_FILTER, CHANNEL_FILTER, ID_PATTERN, SessionListQueryV1, SessionStatus } from '@patchbay/contracts';

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

/**
 * The session list's filters that were given, each checked; 400 naming the first bad one.
 * Express hands a repeated parameter (`?agent=a&agent=b`) over as an array:
 * only a plain string counts.
 */
export function sessionFilters(raw: { status?: unknown; agent?: unknown; channel?: unknown }): Omit<SessionListQueryV1, 'limit'> {
  const filters: Omit<SessionListQueryV1, 'limit'> = {};
  if (raw.status !== undefined) {
    const status = SessionStatus.safeParse(raw.status);
    if (!status.success) throw new BadRequestException(`status: expected one of ${SessionStatus.options.join(', ')}`);
    filters.status = status.data;
  }
  if (raw.agent !== undefined) {
    if (typeof raw.agent !== 'string' || !AGENT_FILTER.test(raw.agent)) throw new BadRequestException('agent: expected an agent name (1-100 letters, digits, ".", "_" or "-")');
    filters.agent = raw.agent;
  }
  if (raw.channel !== undefined) {
    if (typeof raw.channel !== 'string' || !CHANNEL_FILTER.test(raw.channel)) throw new BadRequestException('channel: expected a channel name (1-40 letters, digits, "_" or "-")');
    filters.channel = raw.channel;
  }
  return filters;
}
