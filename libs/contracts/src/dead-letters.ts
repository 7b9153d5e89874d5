import { z } from 'zod';
import { InboundAcceptedV1, InboundMessageV1 } from './messages';

const isoTime = z.iso.datetime({ offset: true });

/** Why a message failed, safe to show: an error code and a short message, never SQL or a stack. */
export const FailureV1 = z.object({ code: z.string().min(1).max(100), message: z.string().max(500) });
export type FailureV1 = z.infer<typeof FailureV1>;

/** A message the engine could not handle after its last try, kept aside ("parked"). */
export const DeadLetterV1 = z.object({
  id: z.string().min(1).max(40),
  message: InboundMessageV1,
  /** How many times the engine tried to handle it. */
  tries: z.number().int().positive(),
  reason: FailureV1,
  parkedAt: isoTime,
});
export type DeadLetterV1 = z.infer<typeof DeadLetterV1>;

/**
 * What `inbound.result.*` carries: the engine's answer, or why it gave up on a message (a
 * dead letter, or a refusal such as `idempotency_conflict`) so the waiting sender hears it.
 */
export const InboundResultV1 = z.union([InboundAcceptedV1, z.object({ failed: FailureV1 })]);
export type InboundResultV1 = z.infer<typeof InboundResultV1>;

/** A parked message as listed to operators: who, where, when, why; its text shortened. */
export const DeadLetterSummaryV1 = z.object({
  id: z.string(),
  channel: z.string(),
  chatId: z.string().nullable(),
  sender: z.string(),
  messageId: z.string(),
  receivedAt: isoTime,
  parkedAt: isoTime,
  tries: z.number().int().positive(),
  reason: z.string(),
  text: z.string(),
});
export type DeadLetterSummaryV1 = z.infer<typeof DeadLetterSummaryV1>;

/** The newest parked messages first, and how many are parked in all. */
export const DeadLetterListV1 = z.object({ count: z.number().int().nonnegative(), deadLetters: z.array(DeadLetterSummaryV1) });
export type DeadLetterListV1 = z.infer<typeof DeadLetterListV1>;
