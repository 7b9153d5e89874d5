import { Inject, Injectable, OnModuleDestroy } from '@nestjs/common';
import { Response } from 'express';
import { Bus } from '@patchbay/bus';
import { REDACTOR, Redactor } from '@patchbay/security';
import { OverviewStream } from './overview-stream';
import { SessionStream, StreamOptions } from './session-stream';
import { StreamSlots } from './stream-slots';

type Opened = 'streaming' | 'no_session' | 'no_task';
export type StreamStart = { result: Opened } | { result: 'too_many'; reason: string };

/** What every SSE stream is to its keeper: opened (or not, saying why), closed, ended. */
interface EventStream<R extends string> {
  open(): Promise<R>;
  close(): void;
  whenEnded(): Promise<void>;
}

/**
 * Keeps every open SSE stream, a session's or the overview's, so shutdown can end them
 * (clients resume with Last-Event-ID), within the stream slots (`http.maxStreamsPerClient`
 * per remote address and `http.maxStreams` in all), shared with the screen streams.
 */
@Injectable()
export class SessionStreams implements OnModuleDestroy {
  private readonly open = new Set<EventStream<string>>();

  constructor(
    private readonly bus: Bus,
    @Inject(REDACTOR) private readonly redactor: Redactor,
    private readonly slots: StreamSlots,
  ) {}

  /** `client`: the remote address the stream counts against. */
  start(res: Response, options: StreamOptions, client: string): Promise<StreamStart> {
    return this.run(client, () => new SessionStream(this.bus, res, options, this.redactor));
  }

  /** The overview's stream (every session's summary, approvals, runners). */
  startOverview(res: Response, client: string): Promise<StreamStart> {
    return this.run(client, () => new OverviewStream(this.bus, res, this.redactor));
  }

  private async run<R extends Opened>(client: string, create: () => EventStream<R>): Promise<StreamStart> {
    // Claimed before the first await, so concurrent requests cannot overshoot the cap.
    const slot = this.slots.take(client);
    if ('refused' in slot) return { result: 'too_many', reason: slot.refused };
    const stream = create();
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
