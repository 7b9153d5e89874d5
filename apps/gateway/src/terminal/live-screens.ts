import { ConflictException, Inject, Injectable } from '@nestjs/common';
import { Bus, BusError } from '@patchbay/bus';
import { ScreenV1 } from '@patchbay/contracts';
import { REDACTOR, Redactor } from '@patchbay/security';

/** Nobody holds the session, or its run is not a terminal one under way (HTTP 409). */
export class NoLiveTerminalError extends ConflictException {
  constructor(sessionId: string) {
    super(`session ${sessionId} has no live terminal`);
  }
}

/**
 * A session's pane as its runner sees it now (`session.*.screen`, answered only by the
 * runner holding it). The runner redacted the rows; they are redacted again with the
 * gateway's secrets (a runner may not hold a channel's token), as SSE events are.
 */
@Injectable()
export class LiveScreens {
  constructor(
    private readonly bus: Bus,
    @Inject(REDACTOR) private readonly redactor: Redactor,
  ) {}

  async screen(sessionId: string): Promise<ScreenV1> {
    try {
      const screen = await this.bus.request('session.*.screen', {}, { params: [sessionId] });
      return { ...screen, lines: screen.lines.map((line) => this.redactor.redact(line)) };
    } catch (error) {
      if (error instanceof BusError && ['no_responder', 'not_found'].includes(error.code)) throw new NoLiveTerminalError(sessionId);
      throw error;
    }
  }

  /** The runner's hint that the session's pane changed (`session.*.pane`). */
  changes(sessionId: string, changed: () => void): () => void {
    const subscription = this.bus.subscribe('session.*.pane', () => changed(), { params: [sessionId] });
    return () => subscription.unsubscribe();
  }
}
