import { Logger } from '@nestjs/common';
import type { Delivery, OutputEventV1 } from '@patchbay/contracts';
import { stopButton } from '../channel/buttons';
import { ChannelCapabilities, ChannelTransport, OutboundButton, retryAfterOf } from '../channel/channel';
import { RendererClock, systemClock } from './clock';
import { accountPacer, ChatPacer, chatPacer } from './pacer';
import { NO_OUTPUT, RunDocument, errorLine, isClosingStatus, statusLine, toolLine } from './run-document';
import { OpenFence, fenceSafeEnd, openFenceAfter, splitParts } from './split';

export interface RendererLogger {
  warn(message: string): void;
  error(message: string): void;
}

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

/** How one send or edit went: done, refused with a 429, or failed otherwise. */
export type RendererCallResult = 'ok' | 'rate_limited' | 'error';

/**
 * What a message of a run shows once a shorter final answer no longer needs it (messages
 * are never deleted). Only when the final answer is shorter than what streamed.
 */
export const LEFTOVER_TEXT = '⋯';

/** 429s in a row after which an operation is given up. */
const MAX_RATE_LIMITED = 20;
const MAX_BACKOFF_MS = 30_000;

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
 * A 429 (RateLimitedError) makes this chat, and only this chat, wait retryAfterMs; then the
 * operation is tried again. Other errors are tried again with backoff, then the operation is
 * given up (logged). A final answer is delivered in order and once: an edit of it that keeps
 * failing is sent as a new message instead, and an error after the final comes as a message
 * of its own, never over it.
 */
export class ChatRenderer {
  private readonly transport: ChannelTransport;
  private readonly chatId: string;
  private readonly max: number;
  private readonly mode: Delivery;
  private readonly clock: RendererClock;
  private readonly logger: RendererLogger;
  private readonly pacer: ChatPacer;
  /** The bot's budget across chats, where the platform has one. */
  private readonly account: ChatPacer | null;
  private readonly quietMs: number;
  private readonly maxDelayMs: number;
  private readonly attempts: number;
  private readonly finalAttempts: number;
  private readonly backoffMs: number;
  private readonly buttons: boolean;
  private readonly onCall: ChatRendererOptions['onCall'];

  /** Runs still to deliver, oldest first. */
  private readonly runs: Run[] = [];
  /** The run of the newest event (it may be delivered already). */
  private latest: Run | null = null;
  private serial = 0;
  private lastSeq = 0;
  private running = false;
  private worker: Promise<void> = Promise.resolve();
  private wake: (() => void) | null = null;
  private failure: Failure | null = null;

  constructor(options: ChatRendererOptions) {
    const { capabilities } = options;
    if (!Number.isInteger(capabilities.maxMessageLength) || capabilities.maxMessageLength < 1) {
      throw new RangeError(`invalid maxMessageLength ${capabilities.maxMessageLength}`);
    }
    this.transport = options.transport;
    this.chatId = options.chatId;
    this.max = capabilities.maxMessageLength;
    this.mode = options.delivery === 'live' && !capabilities.edit ? 'append' : options.delivery;
    this.clock = options.clock ?? systemClock;
    this.logger = options.logger ?? new Logger(ChatRenderer.name);
    this.pacer = chatPacer(options.transport, options.chatId, capabilities.rateBudget);
    this.account = capabilities.accountBudget ? accountPacer(options.transport, capabilities.accountBudget) : null;
    this.quietMs = options.quietMs ?? 1000;
    this.maxDelayMs = options.maxDelayMs ?? 10_000;
    this.attempts = Math.max(1, options.attempts ?? 3);
    this.finalAttempts = Math.max(1, options.finalAttempts ?? 6);
    this.backoffMs = options.backoffMs ?? 1000;
    this.buttons = capabilities.buttons && this.mode === 'live';
    this.onCall = options.onCall;
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
    } else if (run.outbox) run.outbox.push(...this.sends(text));
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
      for (let again = 0; ; ) {
        const step = this.plan();
        if (step.type === 'idle') break;
        const now = this.clock.now();
        const at = step.type === 'again' ? now : step.type === 'wait' ? step.until : this.readyAt(step.op, now);
        if (step.type === 'op' && at <= now) {
          again = 0;
          await this.perform(step.op);
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

  private readyAt(op: Op, now: number): number {
    const retryAt = this.failure?.key === op.key ? this.failure.retryAt : 0;
    return Math.max(this.pacer.readyAt(now, op.paced), this.account?.readyAt(now, false) ?? now, retryAt);
  }

  private async perform(op: Op): Promise<void> {
    const startedAt = this.clock.now();
    const answeredChat = this.pacer.record(startedAt);
    const answeredAccount = this.account?.record(startedAt);
    const answered = (at: number) => (answeredChat(at), answeredAccount?.(at));
    try {
      let messageId: string | undefined;
      try {
        const message = { text: op.text, ...(op.buttons ? { buttons: op.buttons } : {}) };
        if (op.kind === 'send') messageId = (await this.transport.send(this.chatId, message)).messageId;
        else await this.transport.edit(this.chatId, op.messageId!, message);
      } finally {
        answered(this.clock.now());
      }
      this.failure = null;
      this.onCall?.(op.kind, 'ok');
      op.done(messageId);
      return;
    } catch (error) {
      const failure = this.failure?.key === op.key ? this.failure : (this.failure = { key: op.key, errors: 0, limited: 0, retryAt: 0 });
      const now = this.clock.now();
      const retryAfter = retryAfterOf(error);
      this.onCall?.(op.kind, retryAfter === null ? 'error' : 'rate_limited');
      if (retryAfter !== null) {
        failure.limited++;
        this.pacer.block(now + retryAfter);
        if (failure.limited < MAX_RATE_LIMITED) {
          this.logger.warn(`chat ${this.chatId}: rate limited ${op.what}; waiting ${retryAfter} ms`);
          return;
        }
      } else {
        failure.errors++;
        if (failure.errors < op.attempts) {
          const wait = Math.min(this.backoffMs * 2 ** (failure.errors - 1), MAX_BACKOFF_MS);
          failure.retryAt = now + wait;
          this.logger.warn(`chat ${this.chatId}: ${op.what} failed (${describe(error)}); trying again in ${wait} ms`);
          return;
        }
      }
      this.failure = null;
      this.logger.error(`chat ${this.chatId}: gave up ${op.what} after ${failure.errors + failure.limited} tries: ${describe(error)}`);
      op.giveUp();
    }
  }

  /** The next thing to do: the oldest run not yet delivered decides. */
  private plan(): Step {
    while (this.runs.length > 0) {
      const run = this.runs[0];
      const step = run.ended ? this.planEnd(run) : this.planRunning(run);
      if (step) return step;
      this.runs.shift();
    }
    return IDLE;
  }

  private planRunning(run: Run): Step {
    if (this.mode === 'live') return this.planLive(run);
    if (this.mode === 'append') return this.planAppend(run);
    return IDLE;
  }

  /** live, while the run goes on: keep one message showing the latest output. */
  private planLive(run: Run): Step {
    const base = run.frozenEnd;
    const tail = run.doc.text.slice(base).trimEnd();
    if (!tail.trim()) return IDLE;
    const fence = run.frozenFence;
    const whole = splitParts(tail, this.max, { openFence: fence, closeEnd: true });
    if (whole.length > 1) {
      // The message is full: freeze it, cut among complete lines when they alone overflow
      // (a line still streaming may yet turn out to be a fence line).
      const lineEnd = tail.lastIndexOf('\n') + 1;
      const complete = lineEnd > 0 ? splitParts(tail.slice(0, lineEnd), this.max, { openFence: fence }) : [];
      return this.freeze(run, complete.length > 1 ? complete[0] : whole[0], base);
    }
    const text = whole[0].text;
    const current = run.current;
    if (current?.text === text || run.previewGivenUp === text) return IDLE;
    const giveUp = () => (run.previewGivenUp = text);
    const buttons = this.buttons ? [stopButton(run.sessionId)] : undefined;
    const stop = buttons !== undefined;
    if (current) {
      const done = () => Object.assign(current, { text, stop });
      return op({ key: `preview:${run.serial}:${current.id}`, what: 'updating the message', kind: 'edit', messageId: current.id, text, buttons, paced: true, attempts: this.attempts, giveUp, done });
    }
    return op({ key: `preview:${run.serial}:${run.frozen.length}`, what: 'sending a message', kind: 'send', text, buttons, paced: true, attempts: this.attempts, giveUp, done: (id) => (run.current = { id: id!, text, stop }) });
  }

  private freeze(run: Run, part: { text: string; end: number; fenceAfter: OpenFence | null }, base: number): Step {
    const frozen = (message: Shown | null) => {
      run.frozen.push({ message, end: base + part.end, fenceAfter: part.fenceAfter });
      run.current = null;
      run.previewGivenUp = null;
    };
    if (!part.text.trim()) {
      frozen(null);
      return AGAIN;
    }
    const current = run.current;
    if (current && shows(current, part.text)) {
      frozen(current);
      return AGAIN;
    }
    const text = part.text;
    if (current) {
      return op({
        key: `freeze:${run.serial}:${current.id}`,
        what: 'filling a message',
        kind: 'edit',
        messageId: current.id,
        text,
        paced: true,
        attempts: this.attempts,
        done: () => {
          Object.assign(current, { text, stop: false });
          frozen(current);
        },
        // The message keeps its last text; the part goes out as a new message instead.
        giveUp: () => (run.current = null),
      });
    }
    return op({ key: `freeze:${run.serial}:${run.frozen.length}`, what: 'sending a message', kind: 'send', text, paced: true, attempts: this.attempts, done: (id) => frozen({ id: id!, text, stop: false }), giveUp: () => frozen(null) });
  }

  /** append, while the run goes on: send what came, a message's worth or after a quiet moment. */
  private planAppend(run: Run): Step {
    const pending = run.doc.text.slice(run.sentUpTo);
    if (!pending.trim()) return IDLE;
    const fence = run.sentFence;
    const lineEnd = pending.lastIndexOf('\n') + 1;
    const complete = lineEnd > 0 ? splitParts(pending.slice(0, lineEnd), this.max, { openFence: fence }) : [];
    if (complete.length > 1) return this.flush(run, complete[0]);
    const all = splitParts(pending, this.max, { openFence: fence });
    if (all.length > 1) return this.flush(run, all[0]);
    const now = this.clock.now();
    const due = Math.min(run.lastPushAt + this.quietMs, (run.pendingSince ?? now) + this.maxDelayMs);
    if (now < due) return { type: 'wait', until: due };
    // Quiet: all of it; still flowing: whole lines. Never into a code block still being
    // written, nor a line that may yet become its fence.
    const quiet = now >= run.lastPushAt + this.quietMs;
    const partial = pending.slice(lineEnd);
    const end = fenceSafeEnd((!quiet && lineEnd > 0) || /^ {0,3}`/.test(partial) ? pending.slice(0, lineEnd) : pending, fence);
    if (end === 0) return IDLE;
    return this.flush(run, splitParts(pending.slice(0, end), this.max, { openFence: fence })[0]);
  }

  private flush(run: Run, part: { text: string; end: number; fenceAfter: OpenFence | null }): Step {
    const sent = () => {
      run.sentUpTo += part.end;
      run.sentFence = part.fenceAfter;
      run.pendingSince = run.doc.text.length > run.sentUpTo ? this.clock.now() : null;
    };
    if (!part.text.trim()) {
      sent();
      return AGAIN;
    }
    return op({ key: `append:${run.serial}:${run.sentUpTo}`, what: 'sending output', kind: 'send', text: part.text, paced: true, attempts: this.attempts, done: sent, giveUp: sent });
  }

  /** The run ended: deliver its outbox in order; null once all is done. */
  private planEnd(run: Run): Step | null {
    run.outbox ??= this.outbox(run);
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

  /** Everything the end of a run sends or edits, in order. */
  private outbox(run: Run): OutItem[] {
    const notes = run.notes.flatMap((note) => this.sends(note));
    if (this.mode === 'final') return [...(run.finalOnly ? this.sends(run.finalOnly) : []), ...notes];
    const streamed = run.doc.text;
    const target = run.finalDoc;
    const common = commonPrefixLength(streamed, target);
    if (this.mode === 'append') {
      // What was sent stands; when the answer differs from what was sent of it, the answer
      // comes again whole.
      const from = common >= run.sentUpTo ? run.sentUpTo : run.answerStart;
      const fence = common >= run.sentUpTo ? run.sentFence : openFenceAfter(target.slice(0, from));
      return [...this.sends(target.slice(from), fence), ...notes];
    }
    // live: messages still showing what the target shows stay; the rest are edited to the
    // target's next parts, and parts beyond them are sent.
    let kept = 0;
    while (kept < run.frozen.length && run.frozen[kept].end <= common) kept++;
    const base = kept > 0 ? run.frozen[kept - 1].end : 0;
    const fence = kept > 0 ? run.frozen[kept - 1].fenceAfter : null;
    const parts = this.sends(target.slice(base), fence).map((item) => item.text);
    const existing = run.frozen
      .slice(kept)
      .map((frozen) => frozen.message)
      .filter((message): message is Shown => message !== null);
    if (run.current) existing.push(run.current);
    const items: OutItem[] = [];
    for (let i = 0; i < Math.max(parts.length, existing.length); i++) {
      if (i < existing.length) items.push({ kind: 'edit', message: existing[i], text: parts[i] ?? LEFTOVER_TEXT, answer: i < parts.length });
      else items.push({ kind: 'send', text: parts[i] });
    }
    return [...items, ...notes];
  }

  /** `text` as new messages. */
  private sends(text: string, fence: OpenFence | null = null): OutItem[] {
    return splitParts(text, this.max, { openFence: fence, closeEnd: true })
      .filter((part) => part.text.trim())
      .map((part) => ({ kind: 'send', text: part.text }));
  }
}

/** A message of a run, as the chat shows it. */
interface Shown {
  id: string;
  text: string;
  /** It carries the Stop button. */
  stop: boolean;
}

/** The message shows `text` and no button: nothing to edit. */
function shows(message: Shown, text: string): boolean {
  return message.text === text && !message.stop;
}

type OutItem = { kind: 'send'; text: string } | { kind: 'edit'; message: Shown; text: string; answer: boolean };

class Run {
  readonly doc = new RunDocument();
  ended = false;
  /** live, append: the whole run as it ends (trailing whitespace cut). */
  finalDoc = '';
  /** Where the final answer starts in finalDoc. */
  answerStart = 0;
  /** final: what the run's end shows (null: nothing). */
  finalOnly: string | null = null;
  /** Errors after the end, each a message of its own. */
  readonly notes: string[] = [];

  /** live: messages filled for good, in order: up to `end` of the document. */
  readonly frozen: Array<{ message: Shown | null; end: number; fenceAfter: OpenFence | null }> = [];
  /** live: the message showing the rest, still growing. */
  current: Shown | null = null;
  previewGivenUp: string | null = null;

  /** append: the document up to here is sent. */
  sentUpTo = 0;
  sentFence: OpenFence | null = null;
  /** When output not yet sent first came, and the latest did. */
  pendingSince: number | null = null;
  lastPushAt = 0;

  outbox: OutItem[] | null = null;
  outIndex = 0;
  /** An edit of the answer failed for good: the rest goes out as new messages. */
  sendOnly = false;

  constructor(
    readonly runId: string,
    readonly sessionId: string,
    readonly serial: number,
  ) {}

  get frozenEnd(): number {
    return this.frozen.at(-1)?.end ?? 0;
  }

  get frozenFence(): OpenFence | null {
    return this.frozen.at(-1)?.fenceAfter ?? null;
  }
}

interface Op {
  /** Same key, same operation: failures count up (a fresher preview text keeps the key). */
  key: string;
  what: string;
  kind: 'send' | 'edit';
  messageId?: string;
  text: string;
  buttons?: OutboundButton[];
  /** Spread out while output streams; a run's end goes as fast as the budget allows. */
  paced: boolean;
  attempts: number;
  done(messageId: string | undefined): void;
  giveUp(): void;
}

interface Failure {
  key: string;
  errors: number;
  limited: number;
  retryAt: number;
}

type Step = { type: 'op'; op: Op } | { type: 'wait'; until: number } | { type: 'again' } | { type: 'idle' };
const IDLE: Step = { type: 'idle' };
const AGAIN: Step = { type: 'again' };

function op(op: Op): Step {
  return { type: 'op', op };
}

function commonPrefixLength(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  let i = 0;
  while (i < n && a.charCodeAt(i) === b.charCodeAt(i)) i++;
  return i;
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
