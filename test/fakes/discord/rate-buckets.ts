import { createHash } from 'node:crypto';

/** One of Discord's per-route limits: `limit` calls per `windowMs`, per major parameter. */
export interface BucketRule {
  /** Names the bucket; its hash is the X-RateLimit-Bucket header. */
  name: string;
  limit: number;
  windowMs: number;
}

/** What a call may do: go on (with its headers), or be answered 429. */
export interface RateDecision {
  headers: Record<string, string>;
  /** Set when the call gets 429: seconds to wait (a float, as in the body). */
  retryAfter?: number;
}

/** A 429 a test asked for (rateLimitNext). */
interface Forced {
  seconds: number;
  channelId?: string;
  route?: string;
  remaining: number;
}

/**
 * Discord's per-route rate limits as a fixed window per bucket and major parameter (the
 * channel): the first call opens a window of `windowMs`; a call with none left gets 429
 * until it resets. Every answer carries the X-RateLimit-* headers. A forced 429 empties the
 * bucket for its retry_after, so a client that does not wait gets 429 again, as on Discord.
 */
export class RateBuckets {
  private readonly windows = new Map<string, { remaining: number; resetAt: number }>();
  private readonly forced: Forced[] = [];

  constructor(private readonly clock: () => number) {}

  force(seconds: number, match: { channelId?: string; route?: string; times?: number }): void {
    this.forced.push({ seconds, channelId: match.channelId, route: match.route, remaining: match.times ?? 1 });
  }

  /** Counts a call against its bucket (`route` is like `POST /channels/:id/messages`). */
  take(rule: BucketRule, major: string, route: string, channelId?: string): RateDecision & { forced: boolean } {
    const now = this.clock();
    const key = `${rule.name}:${major}`;
    let window = this.windows.get(key);
    if (!window || window.resetAt <= now) {
      window = { remaining: rule.limit, resetAt: now + rule.windowMs };
      this.windows.set(key, window);
    }
    const forced = this.forced.find((f) => f.remaining > 0 && (!f.channelId || f.channelId === channelId) && (!f.route || f.route === route));
    if (forced) {
      forced.remaining--;
      window.remaining = 0;
      window.resetAt = now + forced.seconds * 1000;
    } else if (window.remaining > 0) {
      window.remaining--;
      return { headers: this.headers(rule, window, now), forced: false };
    }
    const retryAfter = Math.max(0.001, (window.resetAt - now) / 1000);
    return {
      headers: { ...this.headers(rule, window, now), 'Retry-After': String(Math.ceil(retryAfter)), 'X-RateLimit-Scope': 'user' },
      retryAfter: Number(retryAfter.toFixed(3)),
      forced: Boolean(forced),
    };
  }

  private headers(rule: BucketRule, window: { remaining: number; resetAt: number }, now: number): Record<string, string> {
    return {
      'X-RateLimit-Limit': String(rule.limit),
      'X-RateLimit-Remaining': String(window.remaining),
      'X-RateLimit-Reset': (window.resetAt / 1000).toFixed(3),
      'X-RateLimit-Reset-After': ((window.resetAt - now) / 1000).toFixed(3),
      'X-RateLimit-Bucket': createHash('sha1').update(rule.name).digest('hex').slice(0, 32),
    };
  }
}
