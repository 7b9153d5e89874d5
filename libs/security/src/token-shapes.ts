/** A kind of secret recognised by its shape: `[redacted:<label>]` replaces it. */
export interface RedactionRule {
  label: string;
  /** A regular expression source, compiled with the `g` flag. */
  source: string;
}

/**
 * Well-known credential shapes. Each needs a long random-looking tail, so prose, git SHAs
 * (hex, no prefix) and UUIDs (hex and dashes) never match. Order matters where prefixes
 * overlap: Anthropic's sk-ant- before OpenAI's sk-.
 */
export const TOKEN_SHAPES: readonly RedactionRule[] = [
  { label: 'private-key', source: String.raw`-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----[\s\S]*?(?:-----END [A-Z0-9 ]*PRIVATE KEY-----|$)` },
  { label: 'github-token', source: String.raw`\b(?:gh[pousr]_[A-Za-z0-9]{30,255}|github_pat_[A-Za-z0-9_]{30,255})` },
  { label: 'slack-token', source: String.raw`\bxox[abprs]-[A-Za-z0-9-]{10,}` },
  { label: 'anthropic-key', source: String.raw`\bsk-ant-[A-Za-z0-9_-]{20,}` },
  { label: 'openai-key', source: String.raw`\bsk-(?:proj-|svcacct-|admin-)?[A-Za-z0-9_-]{20,}` },
  { label: 'aws-access-key', source: String.raw`\b(?:AKIA|ASIA)[A-Z0-9]{16}\b` },
  { label: 'telegram-bot-token', source: String.raw`\b\d{6,}:[A-Za-z0-9_-]{30,}` },
  // A NATS NKey seed (bus.nats.nkeySeedFile's content, the seed in a .creds file): S, a key type, 56 base32 characters.
  { label: 'nkey-seed', source: String.raw`\bS[UAONC][A-Z2-7]{56}\b` },
  { label: 'jwt', source: String.raw`\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}` },
];
