import type { Delivery } from '@patchbay/contracts';
import { stopButton } from '../channel/buttons';
import { RendererClock } from './clock';
import { AGAIN, IDLE, op, OutItem, Run, Shown, shows, Step } from './render-run';
import { OpenFence, fenceSafeEnd, openFenceAfter, splitParts } from './split';

/**
 * What a message of a run shows once a shorter final answer no longer needs it (messages
 * are never deleted). Only when the final answer is shorter than what streamed.
 */
export const LEFTOVER_TEXT = '⋯';

export interface PlannerSettings {
  /** The platform's longest message. */
  max: number;
  /** Tries of a call while the run goes on. */
  attempts: number;
  /** live: the growing message carries a Stop button. */
  buttons: boolean;
  /** append: send after this long without new output… */
  quietMs: number;
  /** …or at the latest this long after it arrived. */
  maxDelayMs: number;
  clock: RendererClock;
}

/** How one delivery mode shows a run: the calls while it goes on, and what its end sends or edits. */
export interface DeliveryPlanner {
  running(run: Run): Step;
  outbox(run: Run): OutItem[];
}

export function plannerFor(mode: Delivery, settings: PlannerSettings): DeliveryPlanner {
  if (mode === 'live') return new LivePlanner(settings);
  if (mode === 'append') return new AppendPlanner(settings);
  return new FinalPlanner(settings);
}

/** `text` as new messages within `max`, code blocks closed and reopened across them. */
export function messagesOf(text: string, max: number, fence: OpenFence | null = null): OutItem[] {
  return splitParts(text, max, { openFence: fence, closeEnd: true })
    .filter((part) => part.text.trim())
    .map((part) => ({ kind: 'send', text: part.text }));
}

abstract class Planner implements DeliveryPlanner {
  constructor(protected readonly settings: PlannerSettings) {}

  abstract running(run: Run): Step;
  abstract outbox(run: Run): OutItem[];

  /** Errors after the run's end, each a message of its own, after everything else. */
  protected notes(run: Run): OutItem[] {
    return run.notes.flatMap((note) => messagesOf(note, this.settings.max));
  }
}

/** final: nothing until the run ends, then its answer (or error). */
class FinalPlanner extends Planner {
  running(): Step {
    return IDLE;
  }

  outbox(run: Run): OutItem[] {
    return [...(run.finalOnly ? messagesOf(run.finalOnly, this.settings.max) : []), ...this.notes(run)];
  }
}

/**
 * live: a message sent, then edited as output grows (paced, identical edits skipped); a
 * message that would outgrow the limit is frozen at a good cut and a new one continues.
 * At the end the messages are made to show the final document: those already right are
 * left alone, the rest edited, and what is left sent.
 */
class LivePlanner extends Planner {
  running(run: Run): Step {
    const { max } = this.settings;
    const base = run.frozenEnd;
    const tail = run.doc.text.slice(base).trimEnd();
    if (!tail.trim()) return IDLE;
    const fence = run.frozenFence;
    const whole = splitParts(tail, max, { openFence: fence, closeEnd: true });
    if (whole.length > 1) {
      // The message is full: freeze it, cut among complete lines when they alone overflow
      // (a line still streaming may yet turn out to be a fence line).
      const lineEnd = tail.lastIndexOf('\n') + 1;
      const complete = lineEnd > 0 ? splitParts(tail.slice(0, lineEnd), max, { openFence: fence }) : [];
      return this.freeze(run, complete.length > 1 ? complete[0] : whole[0], base);
    }
    const text = whole[0].text;
    const current = run.current;
    if (current?.text === text || run.previewGivenUp === text) return IDLE;
    const giveUp = () => (run.previewGivenUp = text);
    const buttons = this.settings.buttons ? [stopButton(run.sessionId)] : undefined;
    const stop = buttons !== undefined;
    const attempts = this.settings.attempts;
    if (current) {
      const done = () => Object.assign(current, { text, stop });
      return op({
        key: `preview:${run.serial}:${current.id}`,
        what: 'updating the message',
        kind: 'edit',
        messageId: current.id,
        text,
        buttons,
        paced: true,
        attempts,
        giveUp,
        done,
      });
    }
    return op({
      key: `preview:${run.serial}:${run.frozen.length}`,
      what: 'sending a message',
      kind: 'send',
      text,
      buttons,
      paced: true,
      attempts,
      giveUp,
      done: (id) => (run.current = { id: id!, text, stop }),
    });
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
    const attempts = this.settings.attempts;
    if (current) {
      return op({
        key: `freeze:${run.serial}:${current.id}`,
        what: 'filling a message',
        kind: 'edit',
        messageId: current.id,
        text,
        paced: true,
        attempts,
        done: () => {
          Object.assign(current, { text, stop: false });
          frozen(current);
        },
        // The message keeps its last text; the part goes out as a new message instead.
        giveUp: () => (run.current = null),
      });
    }
    return op({
      key: `freeze:${run.serial}:${run.frozen.length}`,
      what: 'sending a message',
      kind: 'send',
      text,
      paced: true,
      attempts,
      done: (id) => frozen({ id: id!, text, stop: false }),
      giveUp: () => frozen(null),
    });
  }

  /** Messages still showing what the target shows stay; the rest are edited to its next parts, and parts beyond them are sent. */
  outbox(run: Run): OutItem[] {
    const common = commonPrefixLength(run.doc.text, run.finalDoc);
    let kept = 0;
    while (kept < run.frozen.length && run.frozen[kept].end <= common) kept++;
    const base = kept > 0 ? run.frozen[kept - 1].end : 0;
    const fence = kept > 0 ? run.frozen[kept - 1].fenceAfter : null;
    const parts = messagesOf(run.finalDoc.slice(base), this.settings.max, fence).map((item) => item.text);
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
    return [...items, ...this.notes(run)];
  }
}

/** append: new messages only, sent when quiet for a moment or a message's worth, never inside a code block still being written. */
class AppendPlanner extends Planner {
  running(run: Run): Step {
    const { max, clock, quietMs, maxDelayMs } = this.settings;
    const pending = run.doc.text.slice(run.sentUpTo);
    if (!pending.trim()) return IDLE;
    const fence = run.sentFence;
    const lineEnd = pending.lastIndexOf('\n') + 1;
    const complete = lineEnd > 0 ? splitParts(pending.slice(0, lineEnd), max, { openFence: fence }) : [];
    if (complete.length > 1) return this.flush(run, complete[0]);
    const all = splitParts(pending, max, { openFence: fence });
    if (all.length > 1) return this.flush(run, all[0]);
    const now = clock.now();
    const due = Math.min(run.lastPushAt + quietMs, (run.pendingSince ?? now) + maxDelayMs);
    if (now < due) return { type: 'wait', until: due };
    // Quiet: all of it; still flowing: whole lines. Never into a code block still being
    // written, nor a line that may yet become its fence.
    const quiet = now >= run.lastPushAt + quietMs;
    const partial = pending.slice(lineEnd);
    const end = fenceSafeEnd((!quiet && lineEnd > 0) || /^ {0,3}`/.test(partial) ? pending.slice(0, lineEnd) : pending, fence);
    if (end === 0) return IDLE;
    return this.flush(run, splitParts(pending.slice(0, end), max, { openFence: fence })[0]);
  }

  private flush(run: Run, part: { text: string; end: number; fenceAfter: OpenFence | null }): Step {
    const sent = () => {
      run.sentUpTo += part.end;
      run.sentFence = part.fenceAfter;
      run.pendingSince = run.doc.text.length > run.sentUpTo ? this.settings.clock.now() : null;
    };
    if (!part.text.trim()) {
      sent();
      return AGAIN;
    }
    return op({
      key: `append:${run.serial}:${run.sentUpTo}`,
      what: 'sending output',
      kind: 'send',
      text: part.text,
      paced: true,
      attempts: this.settings.attempts,
      done: sent,
      giveUp: sent,
    });
  }

  /** What was sent stands; when the answer differs from what was sent of it, the answer comes again whole. */
  outbox(run: Run): OutItem[] {
    const target = run.finalDoc;
    const common = commonPrefixLength(run.doc.text, target);
    const from = common >= run.sentUpTo ? run.sentUpTo : run.answerStart;
    const fence = common >= run.sentUpTo ? run.sentFence : openFenceAfter(target.slice(0, from));
    return [...messagesOf(target.slice(from), this.settings.max, fence), ...this.notes(run)];
  }
}

function commonPrefixLength(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  let i = 0;
  while (i < n && a.charCodeAt(i) === b.charCodeAt(i)) i++;
  return i;
}
