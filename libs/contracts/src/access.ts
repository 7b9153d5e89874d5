import { z } from 'zod';

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
