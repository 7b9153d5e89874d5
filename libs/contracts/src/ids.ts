import { randomBytes } from 'node:crypto';

const ALPHABET = 'abcdefghijklmnopqrstuvwxyz234567';

/**
 * Short, lowercase ids: safe in tmux session names (`pb-<id>`), bus subject tokens
 * and URLs, and easy to type in `patchbay attach <id>`.
 */
export function newId(length = 12): string {
  const bytes = randomBytes(length);
  let id = '';
  for (const byte of bytes) id += ALPHABET[byte & 31];
  return id;
}

export const ID_PATTERN = /^[a-z0-9]{4,40}$/;
