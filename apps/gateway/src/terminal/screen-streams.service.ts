import { Injectable, OnModuleDestroy } from '@nestjs/common';
import { Response } from 'express';
import { StreamSlots } from '../stream-slots';
import { LiveScreens } from './live-screens';
import { ScreenPollers } from './screen-pollers';
import { ScreenStream } from './screen-stream';

/**
 * The open screen streams, within the same slots as session event streams (per remote
 * address and in all); each watches its session through the shared pollers.
 */
@Injectable()
export class ScreenStreams implements OnModuleDestroy {
  private readonly open = new Set<ScreenStream>();

  constructor(
    private readonly slots: StreamSlots,
    private readonly screens: LiveScreens,
    private readonly pollers: ScreenPollers,
  ) {}

  /** Throws NoLiveTerminalError (writing nothing) when the session has no live terminal. */
  async start(res: Response, sessionId: string, client: string): Promise<{ refused: string } | { streaming: true }> {
    // Claimed before the first await, so concurrent requests cannot overshoot the cap.
    const slot = this.slots.take(client);
    if ('refused' in slot) return slot;
    let stream: ScreenStream;
    try {
      stream = new ScreenStream(res, await this.screens.screen(sessionId));
    } catch (error) {
      slot.release();
      throw error;
    }
    stream.open();
    this.open.add(stream);
    const unwatch = this.pollers.watch(sessionId, stream);
    void stream.whenEnded().then(() => {
      unwatch();
      this.open.delete(stream);
      slot.release();
    });
    return { streaming: true };
  }

  onModuleDestroy(): void {
    for (const stream of this.open) stream.close();
  }
}
