import { ConflictException, Injectable } from '@nestjs/common';
import { Bus, BusError } from '@patchbay/bus';
import { ScreenV1 } from '@patchbay/contracts';

/** Nobody holds the session, or its run is not a terminal one under way (HTTP 409). */
export class NoLiveTerminalError extends ConflictException {
  constructor(sessionId: string) {
    super(`session ${sessionId} has no live terminal`);
  }
}

/** A session's pane as its runner sees it now (`session.*.screen`, answered only by the runner holding it). */
@Injectable()
export class LiveScreens {
  constructor(private readonly bus: Bus) {}

  async screen(sessionId: string): Promise<ScreenV1> {
    try {
      return await this.bus.request('session.*.screen', {}, { params: [sessionId] });
    } catch (error) {
      if (error instanceof BusError && ['no_responder', 'not_found'].includes(error.code)) throw new NoLiveTerminalError(sessionId);
      throw error;
    }
  }
}
