import { Response } from 'express';
import { ScreenV1 } from '@patchbay/contracts';
import { SseStream } from '../sse-response';
import { sameScreen, ScreenWatcher } from './screen-pollers';

/**
 * One SSE client following a session's screen: `event: screen` with a ScreenV1 each time it
 * changes (the first at once), then `event: end` when the session has no live terminal.
 */
export class ScreenStream extends SseStream implements ScreenWatcher {
  private last: ScreenV1;

  constructor(res: Response, first: ScreenV1) {
    super(res);
    this.last = first;
  }

  open(): void {
    this.start('patchbay screen stream');
    this.write('screen', this.last);
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

  /** Nothing of its own: its keeper stops watching the session once it ended. */
  protected release(): void {}

  private write(event: string, data: unknown): void {
    this.res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
  }
}
