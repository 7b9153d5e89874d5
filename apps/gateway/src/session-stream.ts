import { Logger } from '@nestjs/common';
import { Response } from 'express';
import { Bus, TransportSubscription } from '@patchbay/bus';
import { ApprovalV1, isRetried, OutputEventV1 } from '@patchbay/contracts';
import { Redactor } from '@patchbay/security';
import { SseStream } from './sse-response';

const PAGE = 500;
/** How long a hole in the live sequence may stay before we read it from the transcript. */
const GAP_RETRY_MS = 250;

interface TranscriptState {
  exists: boolean;
  active: boolean;
}

export interface StreamOptions {
  sessionId: string;
  /** Replay starts after this seq (from `Last-Event-ID` or `?after=`). */
  after: number;
  /** Only this task's events; the stream ends after its final or error event. */
  taskId?: string;
}

/**
 * One SSE client following a session. Live events are subscribed to first, then the stored
 * transcript fills everything before them, so the client sees every seq once, in order,
 * whether it joins before, during or after a run. Approval requests of the session (those
 * pending when it joins, then each one asked and decided) come as `approval` events without
 * an id: they are not part of the transcript's sequence.
 */
export class SessionStream extends SseStream {
  private readonly logger = new Logger(SessionStream.name);
  private next: number;
  private readonly pending = new Map<number, OutputEventV1>();
  private subscription?: TransportSubscription;
  private approvalSubscriptions: TransportSubscription[] = [];
  private gapTimer?: NodeJS.Timeout;
  private filling: Promise<TranscriptState> | null = null;
  /** Set once the SSE headers are out; until then events only collect in `pending`. */
  private streaming = false;

  constructor(
    private readonly bus: Bus,
    res: Response,
    private readonly options: StreamOptions,
    /** Live events and transcript pages alike are redacted as they are written. */
    private readonly redactor: Redactor,
  ) {
    super(res);
    this.next = options.after + 1;
  }

  /**
   * Starts streaming. Returns what was missing instead (writing nothing) when the session,
   * or the task asked for, does not exist.
   */
  async open(): Promise<'streaming' | 'no_session' | 'no_task'> {
    const { sessionId, taskId } = this.options;
    if (taskId) {
      const { task } = await this.bus.request('query.tasks.get', { id: taskId });
      if (!task || task.sessionId !== sessionId) return 'no_task';
    }
    this.subscription = this.bus.subscribe('session.*.events', (event) => this.onLive(event), { params: [sessionId] });
    const onApproval = (approval: ApprovalV1) => {
      if (approval.sessionId === sessionId) this.writeApproval(approval);
    };
    this.approvalSubscriptions = [this.bus.subscribe('approval.requested', onApproval), this.bus.subscribe('approval.decided', onApproval)];
    let state: TranscriptState;
    let waiting: ApprovalV1[];
    try {
      state = await this.readTranscript();
      ({ approvals: waiting } = await this.bus.request('approvals.list', { sessionId, pendingOnly: true, limit: 100 }));
    } catch (error) {
      this.close();
      throw error;
    }
    if (!state.exists) {
      this.close();
      return 'no_session';
    }
    this.start('patchbay session stream');
    this.streaming = true;
    for (const approval of waiting.reverse()) this.writeApproval(approval);
    this.pump();
    // Nothing running or queued: the replay was everything there is.
    if (!taskId && !state.active && this.pending.size === 0) this.close();
    return 'streaming';
  }

  protected release(): void {
    this.subscription?.unsubscribe();
    for (const subscription of this.approvalSubscriptions) subscription.unsubscribe();
    clearTimeout(this.gapTimer);
  }

  private onLive(event: OutputEventV1): void {
    if (this.closed || event.seq < this.next) return;
    this.pending.set(event.seq, event);
    this.pump();
  }

  /** Writes every event that is next in sequence; schedules a transcript read for holes. */
  private pump(): void {
    if (!this.streaming) return;
    for (let event = this.pending.get(this.next); event && !this.closed; event = this.pending.get(this.next)) {
      this.pending.delete(this.next);
      this.next++;
      this.write(event);
    }
    if (!this.closed && this.pending.size > 0 && !this.gapTimer) {
      this.gapTimer = setTimeout(() => {
        this.gapTimer = undefined;
        this.readTranscript()
          .then(() => this.pump())
          .catch((error) => this.logger.warn(`session ${this.options.sessionId}: ${(error as Error).message}`));
      }, GAP_RETRY_MS);
    }
  }

  private write(event: OutputEventV1): void {
    const { taskId } = this.options;
    if (taskId && event.taskId !== taskId) return;
    this.res.write(`id: ${event.seq}\ndata: ${JSON.stringify(this.redactor.redactAll(event))}\n\n`);
    if (event.type === 'final' || (event.type === 'error' && !taskId)) this.close();
    else if (event.type === 'error') void this.endUnlessRetried(event);
  }

  private writeApproval(approval: ApprovalV1): void {
    if (this.streaming && !this.closed) this.res.write(`event: approval\ndata: ${JSON.stringify(this.redactor.redactAll(approval))}\n\n`);
  }

  /** A task's error ends its stream, unless the task was tried again after it. */
  private async endUnlessRetried(event: OutputEventV1): Promise<void> {
    try {
      const { task } = await this.bus.request('query.tasks.get', { id: event.taskId });
      if (task && isRetried(task, event.runId)) return;
    } catch (error) {
      this.logger.warn(`task ${event.taskId}: ${(error as Error).message}`);
    }
    this.close();
  }

  /** Loads stored events from `next` on into `pending`; one read at a time. */
  private readTranscript(): Promise<TranscriptState> {
    this.filling ??= this.readPages().finally(() => (this.filling = null));
    return this.filling;
  }

  private async readPages(): Promise<TranscriptState> {
    for (;;) {
      const page = await this.bus.request('query.transcript', {
        sessionId: this.options.sessionId,
        after: this.next - 1,
        limit: PAGE,
      });
      if (!page.session) return { exists: false, active: false };
      for (const event of page.events) if (event.seq >= this.next) this.pending.set(event.seq, event);
      if (page.events.length < PAGE) return { exists: true, active: page.active };
      this.pump();
    }
  }
}
