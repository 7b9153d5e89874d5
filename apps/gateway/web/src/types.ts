/** The API's shapes, from the contracts (types only: no runtime code of the server reaches the page). */
export type { ApprovalV1, OutputEventV1, SessionV1, TaskV1 } from '@patchbay/contracts';

export type Role = 'viewer' | 'operator' | 'owner';

/** GET /api/auth/session: who the page acts as. */
export interface WhoAmI {
  actor: 'api' | 'local';
  name: string;
  role: Role;
  csrfToken?: string;
}
