import { Response } from 'express';
import { ScreenV1 } from '@patchbay/contracts';
import { sameScreen, ScreenWatcher } from './screen-pollers';

const KEEPALIVE_MS = 15_000;

/**
 * One SSE client following a session's screen: `event: screen` with a ScreenV1 each time it
 * changes (the first at once), then `event: end` when the session has no live terminal.
 */
export class ScreenStream implements ScreenWatcher {
  private last: ScreenV1;
  private keepalive?: NodeJS.Timeout;
  private closed = false;
  private resolveEnded!: () => void;
  private readonly ended = new Promise<void>((resolve) => (this.resolveEnded = resolve));

  constructor(
    private readonly res: Response,
    first: ScreenV1,
  ) {
    this.last = first;
  }

  open(): void {
    this.res.writeHead(200, {
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-cache, no-transform',
      Connection: 'keep-alive',
      'X-Accel-Buffering': 'no',
    });
    this.res.write(': patchbay screen stream\n\n');
    this.write('screen', this.last);
    this.res.on('close', () => this.close());
    this.keepalive = setInterval(() => this.res.write(': keepalive\n\n'), KEEPALIVE_MS);
  }

  screen(screen: ScreenV1): void {
    // A watcher joining a running poll is handed its latest screen, maybe the one sent first.
    if (this.closed || sameScreen(this.last, screen)) return;
    this.last = screen;
    this.write('screen', screen);
  }

  end(reason: string): void {
    if (this.closed) return;
    this.write('end', { reason });
    this.close();
  }

  /** Resolves when the stream has ended, for whatever reason. */
  whenEnded(): Promise<void> {
    return this.ended;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.keepalive);
    if (this.res.headersSent && !this.res.writableEnded) this.res.end();
    this.resolveEnded();
  }

  private write(event: string, data: unknown): void {
    this.res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
  }
}
