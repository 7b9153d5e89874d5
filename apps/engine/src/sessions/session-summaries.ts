import { Injectable, Logger } from '@nestjs/common';
import { Bus, reportInternalError } from '@patchbay/bus';
import { SessionSummaryReader } from './session-summary-reader';

/**
 * The one owner of `session.*.summary`: told after each store write that changes a
 * session's status, its latest task's status or its chats, it reads the session's whole
 * summary as stored and publishes it, so overviews never ask back. Never throws: an
 * overview missing one update must not fail the run or the message that caused it.
 */
@Injectable()
export class SessionSummaries {
  private readonly logger = new Logger(SessionSummaries.name);

  constructor(
    private readonly reader: SessionSummaryReader,
    private readonly bus: Bus,
  ) {}

  async changed(sessionId: string): Promise<void> {
    try {
      const summary = await this.reader.one(sessionId);
      if (!summary) {
        this.logger.warn(`session ${sessionId}: no such session to summarize`);
        return;
      }
      this.bus.publish('session.*.summary', summary, [sessionId]);
    } catch (error) {
      reportInternalError(error, `publishing the summary of session ${sessionId}`);
    }
  }
}
