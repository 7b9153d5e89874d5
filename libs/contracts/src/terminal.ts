import { z } from 'zod';
import { ActingUserV1 } from './approvals';
import { SessionInputV1, SessionKeysV1 } from './messages';

/**
 * Text or keys someone types into a live terminal session outside a chat (the dashboard):
 * the engine checks their role and audits it as it does chat input, then hands it to the
 * runner holding the session (`session.*.input` / `.keys`).
 */
export const SessionTypeV1 = z.object({
  sessionId: z.string().min(1).max(40),
  by: ActingUserV1,
  input: z.discriminatedUnion('kind', [SessionInputV1.pick({ text: true, enter: true }).extend({ kind: z.literal('text') }), SessionKeysV1.extend({ kind: z.literal('keys') })]),
});
export type SessionTypeV1 = z.infer<typeof SessionTypeV1>;
