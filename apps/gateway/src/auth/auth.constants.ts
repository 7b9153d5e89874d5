/** Reflector key of a route's access rule (see route-access.decorator.ts). */
export const ROUTE_ACCESS = 'patchbay:route-access';
/** The dashboard's login cookie: a random server-side session id, never the token. */
export const SESSION_COOKIE = 'pb_session';
/** The header that carries a dashboard session's CSRF token on unsafe requests. */
export const CSRF_HEADER = 'x-csrf-token';
/** Where the guard leaves the caller it identified, for @Caller(). */
export const CALLER_KEY = 'patchbayCaller';
