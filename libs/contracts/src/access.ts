import { z } from 'zod';
import { ID_PATTERN } from './ids';

export const Role = z.enum(['owner', 'operator', 'viewer']);
export type Role = z.infer<typeof Role>;

/**
 * A channel checked a sender on its platform (GitHub: write permission on the repository,
 * or a trusted login; the HTTP API: a valid API token) and vouches for the role they have.
 * Only channels the engine lets vouch are believed, each up to its own ceiling
 * (AccessService); the reason goes to the audit log.
 */
export const Vouch = z.object({ role: Role, reason: z.string().min(1).max(200) });
export type Vouch = z.infer<typeof Vouch>;

/** What a sender asks to do; each role may do some of these (see ROLE_ALLOWS). */
export type Action = 'watch' | 'prompt' | 'input' | 'stop' | 'approve' | 'admin';

/**
 * The authorization matrix. Viewers watch; operators also prompt, type into sessions,
 * stop runs and approve agent requests; owners also administer (pairing, jobs, access).
 */
export const ROLE_ALLOWS: Record<Role, ReadonlySet<Action>> = {
  viewer: new Set(['watch']),
  operator: new Set(['watch', 'prompt', 'input', 'stop', 'approve']),
  owner: new Set(['watch', 'prompt', 'input', 'stop', 'approve', 'admin']),
};

export const Delivery = z.enum(['live', 'append', 'final']);
export type Delivery = z.infer<typeof Delivery>;

/** A chat that follows a session, and how it wants the output. */
export const BindingV1 = z.object({ channel: z.string(), chatId: z.string(), delivery: Delivery });
export type BindingV1 = z.infer<typeof BindingV1>;

/** Every chat a session has now, as stored. */
export const SessionBindingsV1 = z.object({ sessionId: z.string(), bindings: z.array(BindingV1) });
export type SessionBindingsV1 = z.infer<typeof SessionBindingsV1>;

export const PairingRequestV1 = z.object({
  code: z.string(),
  channel: z.string(),
  platformUserId: z.string(),
  displayName: z.string().nullable(),
  chatId: z.string().nullable(),
  createdAt: z.iso.datetime({ offset: true }),
  expiresAt: z.iso.datetime({ offset: true }),
});
export type PairingRequestV1 = z.infer<typeof PairingRequestV1>;

export const PairApproveV1 = z.object({
  code: z.string().min(1).max(20),
  role: Role,
  /** `<channel>:<user id>` of the owner approving. */
  by: z.string().min(1),
});
export type PairApproveV1 = z.infer<typeof PairApproveV1>;

/** Who a channel's user is to Patchbay, asked before a platform side effect (a Discord thread). */
export const RoleQueryV1 = z.object({
  channel: z.string().min(1).max(40),
  senderId: z.string().min(1).max(200),
});
export type RoleQueryV1 = z.infer<typeof RoleQueryV1>;

export const PrincipalV1 = z.object({
  id: z.string(),
  name: z.string(),
  role: Role,
  identities: z.array(z.string()),
  fromConfig: z.boolean(),
});
export type PrincipalV1 = z.infer<typeof PrincipalV1>;

export const AuditEntryV1 = z.object({
  at: z.iso.datetime({ offset: true }),
  actor: z.string(),
  action: z.string(),
  target: z.string().nullable(),
  decision: z.enum(['allow', 'deny']),
  detail: z.string().nullable(),
});
export type AuditEntryV1 = z.infer<typeof AuditEntryV1>;

const lowerId = z.string().regex(ID_PATTERN, 'expected a lowercase id of 4-40 letters and digits');
/** Who asked for a change: `api:<token name>` or `local:<user>`, as the audit log names them. */
const actor = z.string().min(1).max(200);

/** A chat, as its channel names it. */
export const ChatRefV1 = z.object({ channel: z.string().min(1).max(40), chatId: z.string().min(1).max(200) });
export type ChatRefV1 = z.infer<typeof ChatRefV1>;

/** Attach a chat Patchbay knows to a session (from the dashboard); it leaves the session it followed. */
export const BindingAttachV1 = ChatRefV1.extend({ sessionId: lowerId, delivery: Delivery.default('live'), by: actor });
export type BindingAttachV1 = z.infer<typeof BindingAttachV1>;
export const BindingDetachV1 = ChatRefV1.extend({ sessionId: lowerId, by: actor });
export type BindingDetachV1 = z.infer<typeof BindingDetachV1>;
/** A session's chats after a change. */
export const BindingListV1 = z.object({ bindings: z.array(BindingV1) });
export type BindingListV1 = z.infer<typeof BindingListV1>;

/** A chat Patchbay has seen a message from (or bound), and the session it follows. */
export const KnownChatV1 = ChatRefV1.extend({
  /** The chat's name on its platform; channels do not report one yet. */
  title: z.string().nullable(),
  sessionId: z.string().nullable(),
  lastSeenAt: z.iso.datetime({ offset: true }),
});
export type KnownChatV1 = z.infer<typeof KnownChatV1>;
export const KnownChatListV1 = z.object({ chats: z.array(KnownChatV1) });
export type KnownChatListV1 = z.infer<typeof KnownChatListV1>;

/** Change a principal's role; refused for the last owner and for principals patchbay.yaml lists. */
export const PrincipalRoleV1 = z.object({ principalId: lowerId, role: Role, by: actor });
export type PrincipalRoleV1 = z.infer<typeof PrincipalRoleV1>;
/** Revoke a principal: its identities become unknown senders again. Same refusals as a role change. */
export const PrincipalRevokeV1 = z.object({ principalId: lowerId, by: actor });
export type PrincipalRevokeV1 = z.infer<typeof PrincipalRevokeV1>;

/** The audit log, newest first: `q` a case-insensitive substring of action, actor or detail; `action` and `actor` exact. */
export const AuditQueryV1 = z.object({
  limit: z.number().int().min(1).max(500),
  q: z.string().min(1).max(200).optional(),
  action: z.string().min(1).max(100).optional(),
  actor: z.string().min(1).max(250).optional(),
});
export type AuditQueryV1 = z.infer<typeof AuditQueryV1>;
