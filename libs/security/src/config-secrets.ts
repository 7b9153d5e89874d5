import type { PatchbayConfig } from '@patchbay/config';

/** Keys whose string values are secrets, wherever they sit in the config (`bus.nats.password`, `http.tokens[].token`). */
const SECRET_KEY = /(token|secret|password|passwd|passphrase|privatekey|apikey|api_key|seed|creds|credentials)s?$/i;
/** Shorter values would be redacted out of ordinary words. */
export const MIN_SECRET_LENGTH = 8;

/**
 * Every secret value of the validated config, each with the key it came from: strings
 * (or lists of strings) under a secret-named key, and the password of any URL
 * (`bus.natsUrl`, `database.url`). Found by key name, so a secret added to the schema later
 * is covered without naming it here.
 */
export function configSecrets(config: PatchbayConfig): Map<string, string> {
  const found = new Map<string, string>();
  const add = (value: string, where: string) => {
    if (value.length >= MIN_SECRET_LENGTH && !found.has(value)) found.set(value, where);
  };
  const walk = (value: unknown, path: string, secretKey: boolean): void => {
    if (typeof value === 'string') {
      if (secretKey) add(value, path);
      const password = urlPassword(value);
      if (password) {
        add(password, path);
        add(decodeURIComponentSafe(password), path);
      }
    } else if (Array.isArray(value)) {
      value.forEach((item, i) => walk(item, `${path}[${i}]`, secretKey));
    } else if (value && typeof value === 'object') {
      for (const [key, child] of Object.entries(value)) walk(child, path ? `${path}.${key}` : key, SECRET_KEY.test(key));
    }
  };
  walk(config, '', false);
  return found;
}

/** `scheme://user:password@host…` → password (still URL-encoded). */
function urlPassword(value: string): string | null {
  return /^[a-z][a-z0-9+.-]*:\/\/[^\s/@:]*:([^\s/@]+)@/i.exec(value)?.[1] ?? null;
}

function decodeURIComponentSafe(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}
