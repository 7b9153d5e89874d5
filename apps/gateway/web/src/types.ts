/** The API's shapes, from the contracts (types only: no runtime code of the server reaches the page). */
export type {
  Action,
  ApprovalV1,
  AuditEntryV1,
  BindingV1,
  Delivery,
  JobRunV1,
  JobSpecV1,
  JobV1,
  KnownChatV1,
  OutputEventV1,
  PairingRequestV1,
  PrincipalV1,
  RunnerHeartbeatV1,
  RunnerSeenV1,
  ScreenV1,
  SessionSummaryV1,
  SessionV1,
  TaskStatus,
  TaskV1,
} from '@patchbay/contracts';
import type { RunnerSeenV1 } from '@patchbay/contracts';

export type Role = 'viewer' | 'operator' | 'owner';

/** GET /api/auth/session: who the page acts as. */
export interface WhoAmI {
  actor: 'api' | 'local';
  name: string;
  role: Role;
  csrfToken?: string;
}

/** GET /api/runners. */
export interface RunnersV1 {
  runners: RunnerSeenV1[];
  queued: number;
}
