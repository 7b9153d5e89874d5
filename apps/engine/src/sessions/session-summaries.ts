import { Injectable, Logger } from '@nestjs/common';
import { Bus, reportInternalError } from '@patchbay/bus';
import { SessionSummaryReader } from './session-summary-reader';

/**
 * The one owner of `session.*.summary`: told after each store write that changes a
 * session's status, its latest task's status or its chats, it reads the session's whole
 * summary as stored and publishes it, so overviews never ask back. Off the run's path:
 * reads of one session go one after the other (an older summary is never published after a
 * newer one), and changes told while a read waits to start are covered by that read. Never
 * throws: an overview missing one update must not fail the run or the message that caused it.
 */
@Injectable()
export class SessionSummaries {
  private readonly logger = new Logger(SessionSummaries.name);
  /** Each session's last read in line. */
  private readonly lines = new Map<string, Promise<void>>();
  /** Sessions whose next read has not started yet. */
  private readonly waiting = new Set<string>();

  constructor(
    private readonly reader: SessionSummaryReader,
    private readonly bus: Bus,
  ) {}

  /** Resolves once a summary read after this call is published (callers on a hot path need not wait). */
  changed(sessionId: string): Promise<void> {
    const line = this.lines.get(sessionId);
    if (line && this.waiting.has(sessionId)) return line;
    this.waiting.add(sessionId);
    const next = (line ?? Promise.resolve()).then(() => {
      this.waiting.delete(sessionId);
      return this.publish(sessionId);
    });
    this.lines.set(sessionId, next);
    void next.then(() => this.lines.get(sessionId) === next && this.lines.delete(sessionId));
    return next;
  }

  private async publish(sessionId: string): Promise<void> {
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
