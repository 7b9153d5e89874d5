import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { FAKE_API_KEY, FAKE_MODEL } from './fake-anthropic-api';

export interface ClaudeTestEnvOptions {
  /** Sent as ANTHROPIC_API_KEY. Default the fake's key; pass another to test a wrong key. */
  apiKey?: string;
  /** The model every request names. Default FAKE_MODEL (the fake accepts only its `models`). */
  model?: string;
  /** CLAUDE_CODE_MAX_RETRIES. Default 2: enough to recover from one scripted 429. */
  maxRetries?: number;
}

/**
 * The complete environment for running the real `claude` CLI (2.1.x) against
 * FakeAnthropicApi, offline, as root, without touching the real ~/.claude.
 *
 * It is a whole environment, not additions: spawn with `env: claudeTestEnv(…)`, not
 * `{ ...process.env, … }`. Anything inherited could point the CLI elsewhere
 * (ANTHROPIC_AUTH_TOKEN, CLAUDE_CODE_OAUTH_TOKEN, CLAUDE_CODE_USE_BEDROCK/VERTEX/FOUNDRY,
 * ANTHROPIC_CUSTOM_HEADERS, CLAUDE_CONFIG_DIR, HTTP(S)_PROXY, or the CLAUDECODE/
 * CLAUDE_CODE_* variables a developer's own Claude Code session sets).
 *
 * `home` must be an existing, empty temp dir. With `-p` the CLI needs nothing in it: no
 * onboarding, no trust dialog, no API-key approval (see prepareClaudeHomeForInteractive
 * for interactive mode).
 */
export function claudeTestEnv(baseUrl: string, home: string, options: ClaudeTestEnvOptions = {}): Record<string, string> {
  const model = options.model ?? FAKE_MODEL;
  const tmp = join(home, 'tmp');
  mkdirSync(tmp, { recursive: true });
  return {
    // Where the CLI finds bash, git, etc. for its Bash tool; nothing else is inherited.
    PATH: process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin',
    // A UTF-8 locale so tool output and prompts are not mangled.
    LANG: 'C.UTF-8',
    // The CLI writes ~/.claude.json and ~/.claude/… (sessions, backups, plugin store): keep
    // them in the temp home, never the real one.
    HOME: home,
    // Config dir explicitly too (it wins over HOME, and an inherited one would leak in).
    // With it set, the config file is $CLAUDE_CONFIG_DIR/.claude.json and session
    // transcripts (what --resume reads) are $CLAUDE_CONFIG_DIR/projects/<cwd slug>/<id>.jsonl.
    CLAUDE_CONFIG_DIR: join(home, '.claude'),
    // The CLI puts per-project scratch dirs ($TMPDIR/claude-<uid>/…) and its messaging
    // socket ($TMPDIR/cc-socks/<pid>.sock, left behind when the process is killed) here.
    TMPDIR: tmp,
    // The fake, in place of https://api.anthropic.com (requests go to <baseUrl>/v1/messages?beta=true).
    ANTHROPIC_BASE_URL: baseUrl,
    // Sent as x-api-key. As an env key the CLI uses it without asking in -p mode
    // (init line: "apiKeySource":"ANTHROPIC_API_KEY").
    ANTHROPIC_API_KEY: options.apiKey ?? FAKE_API_KEY,
    // Pin the model instead of the CLI's default (claude-opus-5-5 in 2.1.329). It must be a
    // name this CLI knows: an unknown one works but prints "[claude-code:unrecognized_model]"
    // to stderr, and claude-sonnet-4-5 prints a retirement warning.
    ANTHROPIC_MODEL: model,
    // The aliases (haiku/sonnet/opus, used by subagents and small side tasks) map to the
    // same model, so any side call names a model the fake has.
    ANTHROPIC_SMALL_FAST_MODEL: model,
    ANTHROPIC_DEFAULT_HAIKU_MODEL: model,
    ANTHROPIC_DEFAULT_SONNET_MODEL: model,
    ANTHROPIC_DEFAULT_OPUS_MODEL: model,
    // Without it the CLI calls api.anthropic.com regardless of ANTHROPIC_BASE_URL (bootstrap,
    // fast-mode status, MCP registry, event logging: each fails with ENOTFOUND offline and
    // is logged as an error), sends HEAD <baseUrl>/api/hello to warm the connection, and in
    // interactive mode asks the API for a session title. With it: only /v1/messages.
    CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
    // Belt and braces for the pieces the flag above covers today: telemetry, error
    // reporting (Sentry), the auto-updater, feature-flag fetches.
    DISABLE_TELEMETRY: '1',
    DISABLE_ERROR_REPORTING: '1',
    DISABLE_AUTOUPDATER: '1',
    DISABLE_GROWTHBOOK: '1',
    // The CLI retries failed API calls itself, 10 times by default with backoff up to ~40 s,
    // and that includes 401: a wrong key would take 3 minutes to fail. 2 retries still ride
    // out a scripted 429 (it waits for retry-after).
    CLAUDE_CODE_MAX_RETRIES: String(options.maxRetries ?? 2),
  };
}

/**
 * Interactive mode (no `-p`) only: the CLI first shows an onboarding screen (which checks
 * connectivity to api.anthropic.com and fails offline), then a workspace trust dialog,
 * then asks whether to use the ANTHROPIC_API_KEY from the environment. This writes the
 * config that answers all three. `-p` needs none of it.
 */
export function prepareClaudeHomeForInteractive(home: string, trustedDirs: string[], apiKey: string = FAKE_API_KEY): void {
  const configDir = join(home, '.claude');
  mkdirSync(configDir, { recursive: true });
  const config = {
    hasCompletedOnboarding: true,
    // The CLI remembers approved env keys by their last 20 characters.
    customApiKeyResponses: { approved: [apiKey.slice(-20)], rejected: [] },
    projects: Object.fromEntries(trustedDirs.map((dir) => [dir, { hasTrustDialogAccepted: true }])),
  };
  writeFileSync(join(configDir, '.claude.json'), JSON.stringify(config, null, 2));
}
