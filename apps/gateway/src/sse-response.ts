import { Response } from 'express';

/** A comment this often keeps proxies and browsers from closing a quiet stream. */
const KEEPALIVE_MS = 15_000;

/**
 * Starts a server-sent event response: the headers (no caching or proxy buffering), a first
 * comment naming the stream, and a keepalive comment every KEEPALIVE_MS. Returns the
 * keepalive's timer, for the stream to clear when it ends.
 */
function openSse(res: Response, name: string): NodeJS.Timeout {
  res.writeHead(200, {
    'Content-Type': 'text/event-stream; charset=utf-8',
    'Cache-Control': 'no-cache, no-transform',
    Connection: 'keep-alive',
    'X-Accel-Buffering': 'no',
  });
  res.write(`: ${name}\n\n`);
  return setInterval(() => res.write(': keepalive\n\n'), KEEPALIVE_MS);
}

/**
 * What every SSE stream of the gateway shares: it opens once (openSse), closes once, when
 * the client goes or the stream decides it is done, and tells its keeper when it ended.
 * Subclasses let go of what they hold in `release`.
 */
export abstract class SseStream {
  protected closed = false;
  private keepalive?: NodeJS.Timeout;
  private resolveEnded!: () => void;
  private readonly ended = new Promise<void>((resolve) => (this.resolveEnded = resolve));

  constructor(protected readonly res: Response) {}

  /** Resolves when the stream has ended, for whatever reason. */
  whenEnded(): Promise<void> {
    return this.ended;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.release();
    clearInterval(this.keepalive);
    if (this.res.headersSent && !this.res.writableEnded) this.res.end();
    this.resolveEnded();
  }

  /** Sends the headers and the first comment `name`; the stream closes when the client goes. */
  protected start(name: string): void {
    this.keepalive = openSse(this.res, name);
    this.res.on('close', () => this.close());
  }

  /** Subscriptions and timers the stream holds: let go of once, as it closes. */
  protected abstract release(): void;
}
