import { SetMetadata } from '@nestjs/common';
import { Role } from '@patchbay/contracts';
import { ROUTE_ACCESS } from './auth.constants';

/**
 * Who may call a route. `public`: anyone, no checks (health, webhooks that verify their own
 * signatures, the static page); `anonymous`: no credentials needed but the request checks
 * apply (the login itself); `role`: a caller with at least this role.
 */
export type RouteAccess = { kind: 'public' } | { kind: 'anonymous' } | { kind: 'role'; role: Role };

export const Public = () => SetMetadata(ROUTE_ACCESS, { kind: 'public' } satisfies RouteAccess);
export const Anonymous = () => SetMetadata(ROUTE_ACCESS, { kind: 'anonymous' } satisfies RouteAccess);
export const MinRole = (role: Role) => SetMetadata(ROUTE_ACCESS, { kind: 'role', role } satisfies RouteAccess);
