import { Response } from 'express';

/** A comment this often keeps proxies and browsers from closing a quiet stream. */
export const KEEPALIVE_MS = 15_000;

/**
 * Starts a server-sent event response: the headers (no caching or proxy buffering), a first
 * comment naming the stream, and a keepalive comment every KEEPALIVE_MS. Returns the
 * keepalive's timer, for the stream to clear when it ends.
 */
export function openSse(res: Response, name: string): NodeJS.Timeout {
  res.writeHead(200, {
    'Content-Type': 'text/event-stream; charset=utf-8',
    'Cache-Control': 'no-cache, no-transform',
    Connection: 'keep-alive',
    'X-Accel-Buffering': 'no',
  });
  res.write(`: ${name}\n\n`);
  return setInterval(() => res.write(': keepalive\n\n'), KEEPALIVE_MS);
}
