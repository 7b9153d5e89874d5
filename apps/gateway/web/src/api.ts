import type { Action, WhoAmI } from './types';

/** An answer other than 2xx, with the server's own message. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

let csrfToken: string | null = null;
let unauthorized: () => void = () => undefined;

/** Called on any 401: the page shows its login form. */
export function onUnauthorized(handler: () => void): void {
  unauthorized = handler;
}

/**
 * The public HTTP API, JSON only. Unsafe requests carry the CSRF token of a cookie login;
 * the token itself is never held here (the cookie is HttpOnly) nor put in a URL.
 */
export async function api<T>(path: string, init: { method?: 'GET' | 'POST' | 'DELETE'; body?: unknown } = {}): Promise<T> {
  const method = init.method ?? 'GET';
  const headers: Record<string, string> = { accept: 'application/json' };
  if (method !== 'GET') {
    headers['content-type'] = 'application/json';
    if (csrfToken) headers['x-csrf-token'] = csrfToken;
  }
  const response = await fetch(path, { method, headers, credentials: 'same-origin', ...(init.body !== undefined ? { body: JSON.stringify(init.body) } : {}) });
  if (response.status === 401) unauthorized();
  if (response.status === 204) return undefined as T;
  const body = (await response.json().catch(() => ({}))) as { message?: string };
  if (!response.ok) throw new ApiError(response.status, body.message ?? `${response.status} ${response.statusText}`);
  return body as T;
}

/** Who the page acts as; null when it must log in first. */
export async function whoAmI(): Promise<WhoAmI | null> {
  try {
    const me = await api<WhoAmI>('/api/auth/session');
    csrfToken = me.csrfToken ?? null;
    return me;
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) return null;
    throw error;
  }
}

export async function login(token: string): Promise<WhoAmI> {
  const me = await api<WhoAmI>('/api/auth/session', { method: 'POST', body: { token } });
  csrfToken = me.csrfToken ?? null;
  return me;
}

export async function logout(): Promise<void> {
  await api('/api/auth/session', { method: 'DELETE' });
  csrfToken = null;
}

/** Whether `role` may do `action`: ROLE_ALLOWS, which the server checks on every request too. */
export function may(role: WhoAmI['role'] | undefined, action: Action): boolean {
  if (!role) return false;
  if (action === 'watch') return true;
  if (action === 'admin') return role === 'owner';
  return role !== 'viewer';
}
