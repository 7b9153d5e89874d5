import type { ResponseLike, RESTOptions } from 'discord.js';
import { RateLimitedError, RendererClock } from '@patchbay/plugin-sdk';

type MakeRequest = RESTOptions['makeRequest'];

/** A call the renderer makes: creating or editing a message in a channel. */
export interface PacedRoute {
  /** `POST /channels/:id/messages` or `PATCH /channels/:id/messages/:id`. */
  route: string;
  channelId: string;
}

/** The paced route of a REST call, or null for any other call. */
export function pacedRoute(method: string, url: string): PacedRoute | null {
  const match = /\/channels\/(\d+)\/messages(\/\d+)?$/.exec(new URL(url).pathname);
  if (!match) return null;
  const m = method.toUpperCase();
  if (m === 'POST' && !match[2]) return { route: 'POST /channels/:id/messages', channelId: match[1] };
  if (m === 'PATCH' && match[2]) return { route: 'PATCH /channels/:id/messages/:id', channelId: match[1] };
  return null;
}

interface Bucket {
  remaining: number;
  resetAt: number;
  /** A 429 said to wait until then. */
  blockedUntil: number;
}

const RATE_LIMIT_HEADERS = /^(x-ratelimit-|retry-after$)/i;

/**
 * Discord's per-route, per-channel buckets for the calls the renderer makes, kept on the
 * renderer's clock and surfaced as RateLimitedError, so that only that chat waits and the
 * renderer decides when to try again.
 *
 * Why not discord.js's own bucket handling: it sleeps inside the call (or, with
 * rejectOnRateLimit, refuses) on real time, per its own reading of the headers; two pacers
 * for one chat on two clocks disagree (on a virtual clock in the conformance kit, its
 * real-time lock outlives the renderer's wait). So, as a `makeRequest` wrapper for these
 * routes only, this class reads the X-RateLimit-* headers (remaining, reset-after, bucket),
 * refuses a call while its bucket is empty or a 429 is being waited out, turns a 429 into
 * RateLimitedError(retry_after), and hands discord.js the response without those headers.
 * A global 429 is left to discord.js (it holds every route). Other routes are untouched.
 */
export class ChannelRateLimits {
  private readonly buckets = new Map<string, Bucket>();
  /** Route → Discord's bucket hash: routes that share a bucket share its state. */
  private readonly hashes = new Map<string, string>();

  constructor(
    private readonly clock: RendererClock,
    private readonly inner: MakeRequest,
  ) {}

  readonly makeRequest: MakeRequest = async (url, init) => {
    const paced = pacedRoute(init.method ?? 'GET', url);
    if (!paced) return this.inner(url, init);
    this.check(paced);
    const res = await this.inner(url, init);
    if (res.headers.has('x-ratelimit-global')) return res;
    const now = this.clock.now();
    const bucket = this.note(paced, res.headers, now);
    if (res.status === 429) {
      const body = (await res.json().catch(() => ({}))) as { retry_after?: number };
      const seconds = Number(body.retry_after ?? res.headers.get('retry-after') ?? 1);
      const waitMs = Math.ceil(seconds * 1000);
      bucket.blockedUntil = now + waitMs;
      throw new RateLimitedError(waitMs, `Discord: 429 on ${paced.route} (channel ${paced.channelId}), retry after ${waitMs} ms`);
    }
    return withoutRateLimitHeaders(res);
  };

  /** Refuses the call when its bucket has nothing left until a later time. */
  private check(paced: PacedRoute): void {
    const bucket = this.buckets.get(this.key(paced));
    if (!bucket) return;
    const until = Math.max(bucket.blockedUntil, bucket.remaining <= 0 ? bucket.resetAt : 0);
    const waitMs = Math.ceil(until - this.clock.now());
    if (waitMs > 0) throw new RateLimitedError(waitMs, `Discord: bucket of ${paced.route} (channel ${paced.channelId}) empty for ${waitMs} ms`);
  }

  private note(paced: PacedRoute, headers: ResponseLike['headers'], now: number): Bucket {
    const hash = headers.get('x-ratelimit-bucket');
    if (hash) this.hashes.set(paced.route, hash);
    const key = this.key(paced);
    const bucket = this.buckets.get(key) ?? { remaining: 1, resetAt: now, blockedUntil: now };
    const remaining = headers.get('x-ratelimit-remaining');
    const resetAfter = headers.get('x-ratelimit-reset-after');
    if (remaining !== null && resetAfter !== null) {
      bucket.remaining = Number(remaining);
      bucket.resetAt = now + Number(resetAfter) * 1000;
    }
    this.buckets.set(key, bucket);
    return bucket;
  }

  private key(paced: PacedRoute): string {
    return `${this.hashes.get(paced.route) ?? paced.route}:${paced.channelId}`;
  }
}

/** The response as discord.js should see it: no rate-limit headers (this class handled them). */
function withoutRateLimitHeaders(res: ResponseLike): ResponseLike {
  const headers = new Headers();
  res.headers.forEach((value, name) => {
    if (!RATE_LIMIT_HEADERS.test(name)) headers.set(name, value);
  });
  return {
    body: res.body,
    headers,
    status: res.status,
    statusText: res.statusText,
    ok: res.ok,
    get bodyUsed() {
      return res.bodyUsed;
    },
    arrayBuffer: () => res.arrayBuffer(),
    json: () => res.json(),
    text: () => res.text(),
  };
}
