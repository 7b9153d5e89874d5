import type { OutboundButton } from '../channel/channel';
import { RunDocument } from './run-document';
import { OpenFence } from './split';

/** A message of a run, as the chat shows it. */
export interface Shown {
  id: string;
  text: string;
  /** It carries the Stop button. */
  stop: boolean;
}

/** The message shows `text` and no button: nothing to edit. */
export function shows(message: Shown, text: string): boolean {
  return message.text === text && !message.stop;
}

/** What the end of a run sends or edits, in order. */
export type OutItem = { kind: 'send'; text: string } | { kind: 'edit'; message: Shown; text: string; answer: boolean };

/** One run of the session as one chat shows it: its document and what of it was delivered. */
export class Run {
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

/** One send or edit the executor performs, and what the planner learns of it. */
export interface Op {
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

/** What to do next: a call, a wait for quiet, plan again at once, or nothing until new output. */
export type Step = { type: 'op'; op: Op } | { type: 'wait'; until: number } | { type: 'again' } | { type: 'idle' };
export const IDLE: Step = { type: 'idle' };
export const AGAIN: Step = { type: 'again' };

export function op(op: Op): Step {
  return { type: 'op', op };
}
