import { isIP } from 'node:net';

/** Host names that only ever mean this machine (what a DNS rebinding attack cannot forge into Host). */
const LOOPBACK_NAMES = new Set(['localhost', '127.0.0.1', '[::1]', '::1']);
const UNSAFE_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/** Whether an address to listen on, or a peer address, is this machine only. */
export function isLoopbackAddress(address: string | undefined): boolean {
  if (!address) return false;
  const plain = address.replace(/^\[|\]$/g, '').toLowerCase();
  if (plain === 'localhost' || plain === '::1') return true;
  const v4 = plain.startsWith('::ffff:') ? plain.slice(7) : plain;
  return isIP(v4) === 4 && v4.startsWith('127.');
}

export function isUnsafeMethod(method: string): boolean {
  return UNSAFE_METHODS.has(method.toUpperCase());
}

/** The Host header without its port, lowercased; null when it is not a plain host[:port]. */
function hostName(host: string): string | null {
  const match = /^(\[[0-9a-f:.]+\]|[a-z0-9.-]+)(?::\d{1,5})?$/i.exec(host);
  return match ? match[1].toLowerCase() : null;
}

/** Why the Host header is refused, or null: a loopback name (any port) or one of http.allowedHosts. */
export function hostProblem(host: string | undefined, allowedHosts: readonly string[]): string | null {
  if (!host) return 'Host header missing';
  const name = hostName(host);
  const allowed = name !== null && (LOOPBACK_NAMES.has(name) || allowedHosts.some((a) => a.toLowerCase() === name || a.toLowerCase() === host.toLowerCase()));
  return allowed ? null : `Host "${printable(host)}" is not localhost, 127.0.0.1, [::1] or one of http.allowedHosts`;
}

/**
 * Why the request's origin is refused, or null: no Origin (nor Referer), or the page's own
 * origin (same scheme-less host as the Host header), as a browser sends for the dashboard.
 */
export function originProblem(origin: string | undefined, referer: string | undefined, host: string | undefined): string | null {
  const [header, value] = origin !== undefined ? ['Origin', origin] : ['Referer', referer];
  if (value === undefined) return null;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return `${header} "${printable(value)}" is not a URL`;
  }
  const sameSite = (url.protocol === 'http:' || url.protocol === 'https:') && host !== undefined && url.host === host.toLowerCase();
  return sameSite ? null : `${header} "${printable(value)}" is not this server's own page (cross-site requests are refused)`;
}

/** Why an unsafe request's body type is refused, or null: only JSON, so no HTML form can post here. */
export function contentTypeProblem(method: string, contentType: string | undefined): string | null {
  if (!isUnsafeMethod(method)) return null;
  const type = contentType?.split(';')[0].trim().toLowerCase();
  if (type === 'application/json') return null;
  return `${method.toUpperCase()} needs Content-Type: application/json (got ${type ? `"${printable(type)}"` : 'none'})`;
}

/** Header text as it may be echoed in an error: short, printable ASCII. */
function printable(text: string): string {
  const clean = text.replace(/[^\x20-\x7e]/g, '?');
  return clean.length > 100 ? `${clean.slice(0, 100)}…` : clean;
}
