import { ConfigSchema } from '@patchbay/config';
import { Redactor } from '@patchbay/security';

const MEASURE_MS = 2_000;
const TARGET_BYTES = 1_000_000;

export interface RedactResult {
  bytes: number;
  secretsFound: number;
  msPerPassP50: number;
  bytesPerSecond: number;
}

/**
 * Redaction of 1 MB of agent-like output (code, prose, git SHAs, UUIDs, one token per ~10 KB)
 * with a config holding a few secrets and patterns: the pass every output event goes through.
 */
export function benchRedaction(): RedactResult {
  const redactor = Redactor.fromConfig(
    ConfigSchema.parse({
      home: '/tmp/pb-bench-redact',
      telegram: { token: '123456789:AAbenchTelegramTokenValue0123456789' },
      github: { token: 'ghp_benchGithubTokenValue0123456789abcdefgh', webhookSecret: 'bench-webhook-secret' },
      database: { url: 'postgres://pb:bench-db-password@localhost/pb' },
      redact: { patterns: ['ACME-[0-9]{8}'] },
    }),
  );
  const chunk = [
    'commit 9fceb02d0ae598e95dc970b74767f19372d61af8 touched 3 files; run 123e4567-e89b-12d3-a456-426614174000 passed.\n',
    'export function add(a: number, b: number): number {\n  return a + b; // the task-runner skips risk-averse paths\n}\n',
    'The agent looked at the failing test, read src/index.ts and proposed a fix with a smaller diff.\n',
  ].join('');
  const parts: string[] = [];
  let bytes = 0;
  for (let i = 0; bytes < TARGET_BYTES; i++) {
    const part = i % 30 === 29 ? `${chunk}leaked ghp_benchGithubTokenValue0123456789abcdefgh here\n` : chunk;
    parts.push(part);
    bytes += part.length;
  }
  const text = parts.join('');
  const secretsFound = redactor.redact(text).split('[redacted:').length - 1;
  const times: number[] = [];
  for (const start = performance.now(); performance.now() - start < MEASURE_MS;) {
    const t = performance.now();
    redactor.redact(text);
    times.push(performance.now() - t);
  }
  times.sort((a, b) => a - b);
  const total = times.reduce((a, b) => a + b, 0);
  return { bytes: text.length, secretsFound, msPerPassP50: times[Math.floor(times.length / 2)], bytesPerSecond: (times.length * text.length) / (total / 1000) };
}
