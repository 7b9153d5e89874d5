import { Logger } from '@nestjs/common';
import type { Delivery, OutputEventV1 } from '@patchbay/contracts';
import { ChannelCapabilities, ChannelTransport } from '../channel/channel';
import { ChatExecutor, describe, ExecutorLogger, RendererCallResult } from './chat-executor';
import { RendererClock, systemClock } from './clock';
import { DeliveryPlanner, messagesOf, plannerFor } from './delivery-planners';
import { IDLE, op, Run, shows, Step } from './render-run';
import { NO_OUTPUT, errorLine, isClosingStatus, statusLine, toolLine } from './run-document';

export type RendererLogger = ExecutorLogger;
export type { RendererCallResult } from './chat-executor';
export { LEFTOVER_TEXT } from './delivery-planners';

export interface ChatRendererOptions {
  transport: ChannelTransport;
  chatId: string;
  capabilities: ChannelCapabilities;
  /** live: one message edited as output grows; append: new messages only; final: the answer at the end. */
  delivery: Delivery;
  /** Real time by default; specs pass a VirtualClock (testing/virtual-clock.ts). */
  clock?: RendererClock;
  logger?: RendererLogger;
  /** append: output is sent after this long without new output (default 1000 ms)… */
  quietMs?: number;
  /** …or at the latest this long after it arrived (default 10 s). */
  maxDelayMs?: number;
  /** Tries of a send or edit failing with errors other than 429 (default 3)… */
  attempts?: number;
  /** …and of those delivering a run's final answer (default 6). */
  finalAttempts?: number;
  /** Wait after the first failure; doubles with each, at most 30 s (default 1000 ms). */
  backoffMs?: number;
  /** Told of every send and edit and how it went: the gateway counts them for every plugin alike. */
  onCall?: (operation: 'send' | 'edit', result: RendererCallResult) => void;
}

/**
 * Shows one session's output in one chat, the way the binding's delivery mode asks, within
 * the platform's limits. Fed the session's OutputEventV1s in seq order (`push`); all sends
 * and edits happen one at a time, in order, from one worker, which plans each call from
 * what the chat shows and what it should show, so bursts of output coalesce.
 *
 * - A run shows its text, tool calls (`▸ Bash: ls -la`), waiting/started statuses and a
 *   final error line; the run's `final` answer wins over streamed text that differs
 *   (RunDocument.withFinal), and what became of its branch (`⇡ pushed branch …`) follows
 *   the answer. The next run starts a new message.
 * - live: a message sent, then edited as output grows (paced by ChatPacer, identical
 *   edits skipped); a message that would outgrow maxMessageLength is frozen at a good cut
 *   (splitParts: code blocks closed and reopened) and a new one continues. When the run
 *   ends, the messages are made to show the final document: those already right are left
 *   alone, the rest edited, and what is left sent. Without `edit`: append. With `buttons`,
 *   the growing message carries a Stop button; it goes when the message is filled or the
 *   run ends, so only a live run offers one.
 * - append: new messages only: output is sent when quiet for a moment or a message's worth,
 *   never ending inside a code block that is still being written.
 * - final: nothing until the run ends, then its answer (or error).
 *
 * How each mode plans its calls is in delivery-planners.ts; ChatExecutor performs them.
 * A 429 (RateLimitedError) makes this chat, and only this chat, wait retryAfterMs; then the
 * operation is tried again. Other errors are tried again with backoff, then the operation is
 * given up (logged). A final answer is delivered in order and once: an edit of it that keeps
 * failing is sent as a new message instead, and an error after the final comes as a message
 * of its own, never over it.
 */
export class ChatRenderer {
  private readonly chatId: string;
  private readonly max: number;
  private readonly clock: RendererClock;
  private readonly logger: RendererLogger;
  private readonly finalAttempts: number;
  private readonly planner: DeliveryPlanner;
  private readonly executor: ChatExecutor;

  /** Runs still to deliver, oldest first. */
  private readonly runs: Run[] = [];
  /** The run of the newest event (it may be delivered already). */
  private latest: Run | null = null;
  private serial = 0;
  private lastSeq = 0;
  private running = false;
  private worker: Promise<void> = Promise.resolve();
  private wake: (() => void) | null = null;

  constructor(options: ChatRendererOptions) {
    const { capabilities } = options;
    if (!Number.isInteger(capabilities.maxMessageLength) || capabilities.maxMessageLength < 1) {
      throw new RangeError(`invalid maxMessageLength ${capabilities.maxMessageLength}`);
    }
    this.chatId = options.chatId;
    this.max = capabilities.maxMessageLength;
    this.clock = options.clock ?? systemClock;
    this.logger = options.logger ?? new Logger(ChatRenderer.name);
    this.finalAttempts = Math.max(1, options.finalAttempts ?? 6);
    const mode = options.delivery === 'live' && !capabilities.edit ? 'append' : options.delivery;
    this.planner = plannerFor(mode, {
      max: this.max,
      attempts: Math.max(1, options.attempts ?? 3),
      buttons: capabilities.buttons && mode === 'live',
      quietMs: options.quietMs ?? 1000,
      maxDelayMs: options.maxDelayMs ?? 10_000,
      clock: this.clock,
    });
    this.executor = new ChatExecutor({
      transport: options.transport,
      chatId: options.chatId,
      budgets: capabilities,
      clock: this.clock,
      logger: this.logger,
      backoffMs: options.backoffMs ?? 1000,
      onCall: options.onCall,
    });
  }

  /** The session's next event. Events at or below the last seq seen are ignored (repeats). */
  push(event: OutputEventV1): void {
    if (event.seq <= this.lastSeq) return;
    this.lastSeq = event.seq;
    let run = this.latest;
    if (!run || run.runId !== event.runId) {
      // A run that never said it ended (its last events were missed) ends as it stands.
      if (run && !run.ended) this.end(run, null);
      run = new Run(event.runId, event.sessionId, ++this.serial);
      this.latest = run;
      this.runs.push(run);
    }
    if (run.ended) {
      // After a run's final or error: an error is told on its own, never over the answer;
      // anything else (a second final, late output) is dropped.
      if (event.type === 'error') this.note(run, errorLine(event));
      this.kick();
      return;
    }
    switch (event.type) {
      case 'text':
        if (!event.text) return;
        run.doc.addText(event.text);
        break;
      case 'tool_call':
        run.doc.addLine(toolLine(event));
        break;
      case 'status': {
        const line = statusLine(event);
        if (!line) return;
        if (isClosingStatus(event)) run.doc.addClosingLine(line);
        else run.doc.addLine(line);
        break;
      }
      case 'tool_result':
        return;
      case 'final':
        this.end(run, { answer: event.text });
        break;
      case 'error':
        this.end(run, { error: errorLine(event) });
        break;
    }
    const now = this.clock.now();
    run.pendingSince ??= now;
    run.lastPushAt = now;
    this.kick();
  }

  /** Resolves when everything pushed so far is delivered (or given up). Never rejects. */
  idle(): Promise<void> {
    return this.worker;
  }

  private end(run: Run, how: { answer: string } | { error: string } | null): void {
    run.ended = true;
    if (how && 'answer' in how) {
      const { text, answerStart } = run.doc.withFinal(how.answer);
      run.finalDoc = run.doc.closed(text).trimEnd();
      run.answerStart = answerStart;
      run.finalOnly = run.doc.closed(how.answer.trim() ? how.answer.trimEnd() : NO_OUTPUT).trimEnd();
    } else if (how) {
      run.finalDoc = run.doc.closed(run.doc.withLine(how.error)).trimEnd();
      run.answerStart = run.doc.text.length;
      run.finalOnly = how.error;
    } else {
      run.finalDoc = run.doc.closed(run.doc.text).trimEnd();
      run.answerStart = run.doc.text.length;
    }
  }

  /** A message after the run's own (an error after its final). */
  private note(run: Run, text: string): void {
    if (!this.runs.includes(run)) {
      // The run is delivered: the note goes out as a run of its own (nothing else to show).
      const after = new Run(run.runId, run.sessionId, ++this.serial);
      after.ended = true;
      after.notes.push(text);
      this.runs.push(after);
    } else if (run.outbox) run.outbox.push(...messagesOf(text, this.max));
    else run.notes.push(text);
  }

  private kick(): void {
    if (this.wake) {
      const wake = this.wake;
      this.wake = null;
      wake();
      return;
    }
    if (this.running) return;
    this.running = true;
    this.worker = this.loop();
  }

  private async loop(): Promise<void> {
    // Events pushed together (one bus batch) are planned together.
    await Promise.resolve();
    try {
      for (let again = 0; ;) {
        const step = this.plan();
        if (step.type === 'idle') break;
        const now = this.clock.now();
        const at = step.type === 'again' ? now : step.type === 'wait' ? step.until : this.executor.readyAt(step.op, now);
        if (step.type === 'op' && at <= now) {
          again = 0;
          await this.executor.perform(step.op);
        } else if (at > now) {
          again = 0;
          await this.sleep(at - now);
        } else if (++again > 100_000) {
          throw new Error('the renderer plans without end');
        }
      }
    } catch (error) {
      this.logger.error(`chat ${this.chatId}: renderer stopped: ${describe(error)}`);
    }
    // Synchronously after the last plan: a push from now on starts a new loop.
    this.running = false;
  }

  /** Waits `ms`, or less when an event comes. */
  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const wake = () => {
        cancel();
        resolve();
      };
      const cancel = this.clock.setTimer(ms, () => {
        if (this.wake === wake) this.wake = null;
        resolve();
      });
      this.wake = wake;
    });
  }

  /** The next thing to do: the oldest run not yet delivered decides. */
  private plan(): Step {
    while (this.runs.length > 0) {
      const run = this.runs[0];
      const step = run.ended ? this.planEnd(run) : this.planner.running(run);
      if (step) return step;
      this.runs.shift();
    }
    return IDLE;
  }

  /** The run ended: deliver its outbox in order; null once all is done. */
  private planEnd(run: Run): Step | null {
    run.outbox ??= this.planner.outbox(run);
    while (run.outIndex < run.outbox.length) {
      const index = run.outIndex;
      const item = run.outbox[index];
      const next = () => (run.outIndex = index + 1);
      const what = `delivering the end of a run (message ${index + 1} of ${run.outbox.length})`;
      if (item.kind === 'edit' && !run.sendOnly) {
        if (shows(item.message, item.text)) {
          next();
          continue;
        }
        const message = item.message;
        return op({
          key: `end:${run.serial}:${index}:edit`,
          what,
          kind: 'edit',
          messageId: message.id,
          text: item.text,
          paced: false,
          attempts: this.finalAttempts,
          done: () => {
            Object.assign(message, { text: item.text, stop: false });
            next();
          },
          // An answer that cannot be edited in goes out in new messages, from here on.
          giveUp: () => (item.answer ? (run.sendOnly = true) : next()),
        });
      }
      if (item.kind === 'edit' && !item.answer) {
        next();
        continue;
      }
      return op({ key: `end:${run.serial}:${index}:send`, what, kind: 'send', text: item.text, paced: false, attempts: this.finalAttempts, done: next, giveUp: next });
    }
    return null;
  }
}
