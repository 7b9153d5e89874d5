import { Inject, Injectable, OnModuleDestroy } from '@nestjs/common';
import { Response } from 'express';
import { Bus } from '@patchbay/bus';
import { REDACTOR, Redactor } from '@patchbay/security';
import { SessionStream, StreamOptions } from './session-stream';
import { StreamSlots } from './stream-slots';

export type StreamStart = { result: 'streaming' | 'no_session' | 'no_task' } | { result: 'too_many'; reason: string };

/**
 * Keeps every open SSE stream, so shutdown can end them (clients resume with Last-Event-ID),
 * within the stream slots (shared with the screen streams).
 */
@Injectable()
export class SessionStreams implements OnModuleDestroy {
  private readonly open = new Set<SessionStream>();

  constructor(
    private readonly bus: Bus,
    @Inject(REDACTOR) private readonly redactor: Redactor,
    private readonly slots: StreamSlots,
  ) {}

  /** `client`: the remote address the stream counts against. */
  async start(res: Response, options: StreamOptions, client: string): Promise<StreamStart> {
    // Claimed before the first await, so concurrent requests cannot overshoot the cap.
    const slot = this.slots.take(client);
    if ('refused' in slot) return { result: 'too_many', reason: slot.refused };
    const stream = new SessionStream(this.bus, res, options, this.redactor);
    try {
      const result = await stream.open();
      if (result !== 'streaming') {
        slot.release();
        return { result };
      }
      this.open.add(stream);
      void stream.whenEnded().then(() => {
        this.open.delete(stream);
        slot.release();
      });
      return { result };
    } catch (error) {
      slot.release();
      throw error;
    }
  }

  onModuleDestroy(): void {
    for (const stream of this.open) stream.close();
  }
}
