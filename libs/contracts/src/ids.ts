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

/** The tmux session a Patchbay session's agent runs in. */
export function tmuxSessionOf(sessionId: string): string {
  return `pb-${sessionId}`;
}

/** The Patchbay session a tmux session name belongs to; null for any other tmux session. */
export function sessionOfTmux(name: string): string | null {
  const match = /^pb-([a-z0-9]{4,40})$/.exec(name);
  return match ? match[1] : null;
}
