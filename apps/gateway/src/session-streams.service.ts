import { Inject, Injectable, OnModuleDestroy } from '@nestjs/common';
import { Response } from 'express';
import { Bus } from '@patchbay/bus';
import { REDACTOR, Redactor } from '@patchbay/security';
import { SessionStream, StreamOptions } from './session-stream';

/** Keeps every open SSE stream, so shutdown can end them (clients resume with Last-Event-ID). */
@Injectable()
export class SessionStreams implements OnModuleDestroy {
  private readonly open = new Set<SessionStream>();

  constructor(
    private readonly bus: Bus,
    @Inject(REDACTOR) private readonly redactor: Redactor,
  ) {}

  async start(res: Response, options: StreamOptions): Promise<'streaming' | 'no_session' | 'no_task'> {
    const stream = new SessionStream(this.bus, res, options, this.redactor);
    const result = await stream.open();
    if (result === 'streaming') {
      this.open.add(stream);
      void stream.whenEnded().then(() => this.open.delete(stream));
    }
    return result;
  }

  onModuleDestroy(): void {
    for (const stream of this.open) stream.close();
  }
}
