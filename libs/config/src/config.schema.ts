import { z } from 'zod';
import { Role } from '@patchbay/contracts';

/**
 * When an agent wants a tool: `ask` a person (in every chat bound to the session), or
 * `allow` / `deny` it outright. `allow` and `deny` list rules in claude's own syntax (`Read`,
 * `Bash(git status:*)`, `Edit(src/**)`) that decide without asking; `deny` wins over
 * `allow`. Out of the box read-only tools are allowed and everything else asks.
 */
export const ApprovalPolicySchema = z
  .object({
    mode: z.enum(['ask', 'allow', 'deny']).optional(),
    allow: z.array(z.string().min(1).max(500)).optional(),
    deny: z.array(z.string().min(1).max(500)).optional(),
  })
  .strict();
export type ApprovalPolicyConfig = z.infer<typeof ApprovalPolicySchema>;

/** A tmux key name (`1`, `Enter`, `Escape`, `C-c`, `Down`…), typed as the answer to a prompt. */
const TmuxKey = z.string().regex(/^[A-Za-z0-9-]{1,20}$/, 'a tmux key name such as 1, y, Enter, Escape or C-c');

/**
 * Terminal mode: a permission prompt the program shows on its screen. When `match` finds it
 * in the last `lines` lines of the screen, its text becomes an approval request, and the
 * answer types the keys named here. `(?<tool>…)` in `match` names the tool (else `tool`,
 * else the pattern's name), `(?<summary>…)` what chats show (else the matched lines), and
 * any other named group is the tool's input that policy rules match (`(?<command>…)` for
 * `Bash(git status:*)`).
 */
export const PromptPatternSchema = z
  .object({
    name: z.string().regex(/^[A-Za-z0-9_-]{1,60}$/, 'letters, digits, _ and - (at most 60)'),
    match: z
      .string()
      .min(1)
      .max(2000)
      .refine(
        (source) => {
          try {
            new RegExp(source, 'm');
            return true;
          } catch {
            return false;
          }
        },
        { message: 'not a valid regular expression (JavaScript syntax)' },
      ),
    lines: z.number().int().min(1).max(60).default(20),
    tool: z.string().min(1).max(200).optional(),
    keys: z
      .object({
        allow_once: z.array(TmuxKey).min(1),
        /** Without it, "allow for this session" types allow_once's keys (Patchbay still remembers it). */
        allow_session: z.array(TmuxKey).min(1).optional(),
        deny: z.array(TmuxKey).min(1),
      })
      .strict(),
    /** A denial's reason is typed after the deny keys, then Enter (the program takes a message then). */
    denyReason: z.boolean().default(false),
  })
  .strict();
export type PromptPattern = z.infer<typeof PromptPatternSchema>;

/**
 * An `agents.<name>` entry. For a built-in agent (claude, codex, opencode, demo) each field
 * given replaces the built-in one, except `args`, which are added after the built-in
 * arguments; a new agent needs at least `command`.
 */
export const AgentConfigSchema = z
  .object({
    command: z.string().min(1).optional(),
    /** `{prompt}` in an argument is replaced by the user's text; without it the prompt is the last argument. */
    args: z.array(z.string()).optional(),
    /** Added to (and overriding) the built-in profile's environment. */
    env: z.record(z.string(), z.string()).optional(),
    /**
     * Names of the runner's environment variables the agent gets (its API keys, say), besides
     * PATH, HOME, USER, LOGNAME, SHELL, LANG, LC_*, TERM, TZ and TMPDIR; added to a built-in
     * profile's list. Nothing else of the runner's environment reaches an agent.
     */
    passEnv: z.array(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'an environment variable name (letters, digits, _)')).optional(),
    cwd: z.string().optional(),
    /**
     * text: stdout lines become text events; structured: the CLI's JSON events are parsed
     * (see `format`); terminal: an interactive program in its tmux pane, input typed into it;
     * bridge: no program, an existing tmux session (the prompt names it) watched and typed into.
     */
    mode: z.enum(['text', 'structured', 'terminal', 'bridge']).optional(),
    /** The JSON dialect of a structured agent. */
    format: z.enum(['claude', 'codex', 'opencode']).optional(),
    model: z.string().min(1).optional(),
    /** Claude: tools allowed without asking (`--allowedTools`). */
    allowedTools: z.array(z.string().min(1)).optional(),
    /** Claude: `--permission-mode` (default, acceptEdits, plan, bypassPermissions). */
    permissionMode: z.string().min(1).optional(),
    /** What the agent may do without asking a person (a routing rule's `approvals` overrides it). */
    approvals: ApprovalPolicySchema.optional(),
    /**
     * Terminal mode: the permission prompts of the program (see PromptPatternSchema);
     * `claude` stands for the built-in patterns of Claude Code's own prompt. They are asked
     * as approvals under approvals mode ask or deny.
     */
    prompts: z.array(z.union([z.literal('claude'), PromptPatternSchema])).optional(),
    /** Codex: `--sandbox` (read-only, workspace-write, danger-full-access). */
    sandbox: z.string().min(1).optional(),
    /** Longest a run may take, in seconds; it is stopped after that. */
    timeoutSeconds: z.number().int().positive().optional(),
    /** A run that prints nothing for this long is stopped. */
    idleTimeoutSeconds: z.number().int().positive().optional(),
    description: z.string().optional(),
    /**
     * Run each task in its own git worktree of this repository (branch `patchbay/<task>`),
     * so parallel agents never write the same tree. Without it the agent runs in `cwd`.
     */
    worktree: z
      .object({
        repo: z.string().min(1),
        /** The commit a session's first branch starts from. */
        base: z.string().min(1).default('HEAD'),
        /** When to remove the worktree after a task (its branch always stays). */
        cleanup: z.enum(['always', 'on_success', 'never']).default('on_success'),
        /**
         * After a successful run that committed on its branch, push the branch to the
         * repository's `origin`, with the credentials its git config has (for a pull request).
         */
        push: z.boolean().default(false),
      })
      .strict()
      .optional(),
  })
  .strict();
export type AgentConfig = z.infer<typeof AgentConfigSchema>;

// --- HTTP API access (issue #9): tokens, allowed Host names, dashboard sessions ---
/** An API token: sent as `Authorization: Bearer <token>`; the caller acts as `api:<name>` with `role`. */
export const ApiTokenSchema = z
  .object({
    name: z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, 'expected 1-64 letters, digits, ".", "_" or "-"'),
    token: z
      .string()
      .min(16, 'an API token needs at least 16 characters')
      .max(512)
      .regex(/^[\x21-\x7e]+$/, 'printable ASCII without spaces'),
    role: Role,
  })
  .strict();
export type ApiTokenConfig = z.infer<typeof ApiTokenSchema>;

const ApiAccessFields = {
  /** Who may call the API with a token; required when `host` is not loopback. */
  tokens: z
    .array(ApiTokenSchema)
    .default([])
    .refine((tokens) => new Set(tokens.map((t) => t.name)).size === tokens.length, 'token names must be unique')
    .refine((tokens) => new Set(tokens.map((t) => t.token)).size === tokens.length, 'tokens must be unique'),
  /** Host header values (name, or name:port) served to tokenless callers besides localhost, 127.0.0.1 and [::1]. */
  allowedHosts: z.array(z.string().regex(/^[A-Za-z0-9.-]+(:\d{1,5})?$|^\[[0-9A-Fa-f:.]+\](:\d{1,5})?$/, 'a host name, optionally with :port')).default([]),
  /** How long a dashboard login (cookie session) lasts; sessions live in the gateway's memory. */
  sessionTtlHours: z
    .number()
    .positive()
    .max(24 * 30)
    .default(12),
};
// --- end of HTTP API access ---

// --- Bus trust (issue #9) ---
/** `bus.nats`: how Patchbay authenticates to NATS (one way) and its TLS files; checked by natsSecurityOptions. */
export const NatsSecuritySchema = z
  .object({
    user: z.string().min(1).optional(),
    password: z.string().min(1).optional(),
    token: z.string().min(1).optional(),
    /** A user NKey seed (SU…), or the file holding it. */
    nkeySeed: z.string().min(1).optional(),
    nkeySeedFile: z.string().min(1).optional(),
    /** A .creds file (user JWT and seed), as `nsc` writes it. */
    credsFile: z.string().min(1).optional(),
    tls: z
      .object({
        /** The CA that signed the server's certificate (else the system's). */
        caFile: z.string().min(1).optional(),
        /** A client certificate and its key, for servers that verify clients. */
        certFile: z.string().min(1).optional(),
        keyFile: z.string().min(1).optional(),
      })
      .strict()
      .optional(),
  })
  .strict();
export type NatsSecurityConfig = z.infer<typeof NatsSecuritySchema>;
// --- end of bus trust ---

const identityRef = z.string().regex(/^[a-z0-9_-]+:[^\s]+$/, 'expected <channel>:<user id>, e.g. telegram:12345 or local:*');

export const ConfigSchema = z
  .object({
    /** Where Patchbay keeps its data: embedded PostgreSQL, run logs. */
    home: z.string().min(1),
    http: z
      .object({
        host: z.string().min(1).default('127.0.0.1'),
        port: z.number().int().min(0).max(65535).default(7340),
        ...ApiAccessFields,
        // --- SSE stream caps (sec-edges) ---
        /** Concurrent event streams (SSE: sessions' and the overview's) one remote address may hold; more get 429. */
        maxStreamsPerClient: z.number().int().positive().default(16),
        /** Concurrent event streams in all, whoever holds them; more get 429. */
        maxStreams: z.number().int().positive().default(256),
        // --- end SSE stream caps ---
      })
      .strict()
      .prefault({}),
    bus: z
      .object({
        /** Set to use NATS; left out, an all-in-one process uses its in-process bus. */
        natsUrl: z.string().url().optional(),
        prefix: z
          .string()
          .regex(/^[a-z0-9_-]+$/, 'expected lowercase letters, digits, - or _')
          .default('pb'),
        requestTimeoutMs: z.number().int().positive().default(5000),
        /**
         * Signs what only the gateway and the engine may send (channel identities, state changes);
         * required by a gateway or engine on NATS; never give it to runners.
         */
        secret: z.string().min(32, 'bus.secret needs at least 32 characters (e.g. `openssl rand -hex 32`)').optional(),
        nats: NatsSecuritySchema.prefault({}),
        /** The durable inbound path (JetStream): how often a failing message is tried before it is parked. */
        inbound: z
          .object({
            /** Tries per message, the first included; after the last failure it becomes a dead letter. */
            maxDeliver: z.number().int().min(1).max(100).default(5),
            /** Wait before try 2, 3, …; the last value repeats for later tries. */
            backoffMs: z.array(z.number().int().min(0).max(3_600_000)).min(1).max(20).default([1_000, 5_000, 30_000, 120_000]),
          })
          .strict()
          .prefault({}),
      })
      .strict()
      .prefault({}),
    database: z
      .object({
        /** postgres://… Left out, Patchbay runs an embedded PostgreSQL under `home`. */
        url: z
          .string()
          .regex(/^postgres(ql)?:\/\//, 'expected a postgres:// URL')
          .optional(),
        /** Port of the embedded PostgreSQL; 0 picks a free one. */
        embeddedPort: z.number().int().min(0).max(65535).default(0),
      })
      .strict()
      .prefault({}),
    tmux: z
      .object({
        /** A named tmux server (`tmux -L <socket>`); left out, the user's default server. */
        socket: z
          .string()
          .regex(/^[A-Za-z0-9_.-]+$/)
          .optional(),
      })
      .strict()
      .prefault({}),
    runner: z
      .object({
        id: z.string().min(1).optional(),
        capacity: z.number().int().positive().default(4),
      })
      .strict()
      .prefault({}),
    /**
     * Who may do what, as `<channel>:<user id>` entries (`local:*` is anyone using the CLI or
     * HTTP API on this machine without a token; a token's holder is `api:<name>`, with the
     * token's role). Everyone else is unknown: they get a pairing code, and
     * nothing runs until an owner approves it.
     */
    access: z
      .object({
        owners: z.array(identityRef).default(['local:*']),
        operators: z.array(identityRef).default([]),
        viewers: z.array(identityRef).default([]),
      })
      .strict()
      .prefault({}),
    // --- operations (issue #10): logs and metrics ---
    log: z
      .object({
        /** Lowest level written: error, warn, info, debug or verbose (PATCHBAY_LOG_LEVEL). */
        level: z.enum(['error', 'warn', 'info', 'debug', 'verbose']).default('info'),
        /** text: readable lines for a terminal; json: one JSON object a line, for collectors (PATCHBAY_LOG_FORMAT). */
        format: z.enum(['text', 'json']).default('text'),
      })
      .strict()
      .prefault({}),
    metrics: z
      .object({
        /** Distributed: how long a gateway's /metrics waits for the other processes' answers over the bus. */
        scrapeWindowMs: z.number().int().positive().max(10_000).default(1000),
      })
      .strict()
      .prefault({}),
    // --- end operations ---
    // --- pairing (sec-edges) ---
    /** Pairing codes for unknown senders: one open code per sender, and at most this many new codes per channel an hour. */
    pairing: z
      .object({
        newCodesPerHour: z.number().int().positive().default(20),
      })
      .strict()
      .prefault({}),
    // --- end pairing ---
    /**
     * Which agent a new session gets. The first rule that matches wins; without a match the
     * default agent. `fallback` agents take over a task whose agent hit a usage limit.
     */
    routing: z
      .object({
        rules: z
          .array(
            z
              .object({
                name: z.string().min(1),
                match: z
                  .object({
                    channel: z.string().optional(),
                    chat: z.string().optional(),
                    /** Any of these words in the message (case-insensitive). */
                    keywords: z.array(z.string().min(1)).optional(),
                    /** Any of these platform labels (GitHub issue labels). */
                    labels: z.array(z.string().min(1)).optional(),
                  })
                  .strict()
                  .default({}),
                /** Equivalent agents; new sessions are spread over them. */
                agents: z.array(z.string().min(1)).min(1),
                strategy: z.enum(['round_robin', 'weighted']).default('round_robin'),
                weights: z.record(z.string(), z.number().positive()).optional(),
                fallback: z.array(z.string().min(1)).default([]),
                /** Overrides the agent profile's approval policy for sessions this rule routes. */
                approvals: ApprovalPolicySchema.optional(),
              })
              .strict(),
          )
          .default([]),
        fallback: z.array(z.string().min(1)).default([]),
      })
      .strict()
      .prefault({}),
    approvals: z
      .object({
        /** A request nobody answers is denied after this long; the chats and the agent are told. */
        timeoutSeconds: z
          .number()
          .int()
          .min(10)
          .max(7 * 24 * 3600)
          .default(600),
      })
      .strict()
      .prefault({}),
    /** A task that fails for a reason worth retrying (runner lost, usage limit) runs again, up to this many times in all. */
    maxAttempts: z.number().int().min(1).max(10).default(2),
    /** The Telegram channel; on when a bot token is set. */
    telegram: z
      .object({
        token: z.string().min(1).optional(),
        /** A local Bot API server (or a test's fake) instead of api.telegram.org. */
        apiRoot: z.string().url().optional(),
        /** polling (default) needs nothing reachable; webhook needs a public URL to POST /webhooks/telegram. */
        mode: z.enum(['polling', 'webhook']).default('polling'),
        /** Webhook mode: the public URL Telegram posts to, and the secret it must send back. */
        webhookUrl: z.string().url().optional(),
        webhookSecret: z
          .string()
          .regex(/^[A-Za-z0-9_-]{1,256}$/, 'letters, digits, _ and - only (Telegram’s rule)')
          .optional(),
      })
      .strict()
      .prefault({}),
    /** The Discord channel (a gateway bot); on when a bot token is set. */
    discord: z
      .object({
        token: z.string().min(1).optional(),
        /** REST API base, e.g. https://discord.com/api (a proxy, or a test's fake). */
        apiUrl: z.string().url().optional(),
        /** Gateway websocket URL; by default the one GET /gateway/bot names. */
        gatewayUrl: z.string().url().optional(),
        /** Register the slash commands in this guild only (they appear at once); global otherwise. */
        guildId: z.string().regex(/^\d+$/, 'a Discord snowflake (digits)').optional(),
        /** Each new session gets a thread of its own under the message that started it. */
        threadPerSession: z.boolean().default(true),
      })
      .strict()
      .prefault({}),
    /** The GitHub channel: issues, comments and pull requests; on when a token or an app is set. */
    github: z
      .object({
        token: z.string().min(1).optional(),
        /** A GitHub App instead of a token: its id and private key (PEM) give installation tokens. */
        appId: z.string().regex(/^\d+$/, 'the numeric App ID').optional(),
        privateKey: z.string().min(1).optional(),
        /** REST API base: https://api.github.com, or https://<host>/api/v3 for GitHub Enterprise. */
        apiUrl: z.string().url().optional(),
        /** Webhook mode: the secret deliveries are signed with (X-Hub-Signature-256). */
        webhookSecret: z.string().min(1).optional(),
        /** webhook (default): GitHub POSTs to /webhooks/github; polling: Patchbay asks every pollIntervalSeconds. */
        mode: z.enum(['webhook', 'polling']).default('webhook'),
        pollIntervalSeconds: z.number().int().min(10).max(3600).default(60),
        /** Repositories (owner/name) Patchbay answers in; polling reads these. Empty: any the credentials reach (webhook only). */
        repos: z.array(z.string().regex(/^[\w.-]+\/[\w.-]+$/, 'owner/name')).default([]),
        /** An issue opened or labeled with this label becomes a task. */
        label: z.string().min(1).default('patchbay'),
        /** The name people @mention to ask Patchbay; the token's login or the App's slug by default. */
        handle: z
          .string()
          .regex(/^[\w-]+(\[bot\])?$/, 'a GitHub login, without the @')
          .optional(),
        /** Logins trusted to start runs besides collaborators with write permission. */
        trustedLogins: z.array(z.string().min(1)).default([]),
        /** Open a pull request from the task's branch when an issue's run ends done after pushing it (`worktree.push`). */
        pullRequests: z.boolean().default(false),
      })
      .strict()
      .refine((github) => !github.appId === !github.privateKey, { message: 'a GitHub App needs both appId and privateKey', path: ['privateKey'] })
      .prefault({}),
    // --- Redaction (libs/security) ---
    /**
     * Text leaving Patchbay (chats, SSE, the database, logs) has every configured secret and
     * the well-known token shapes replaced; these regular expressions are redacted too.
     */
    redact: z
      .object({
        patterns: z
          .array(
            z
              .string()
              .min(1)
              .superRefine((source, ctx) => {
                try {
                  new RegExp(source, 'g');
                } catch (error) {
                  ctx.addIssue({ code: 'custom', message: `not a valid regular expression: ${(error as Error).message}` });
                }
              }),
          )
          .default([]),
      })
      .strict()
      .prefault({}),
    // --- end redaction ---
    /** The agent new tasks use; left out, the first agent CLI found on PATH, else `demo`. */
    defaultAgent: z.string().min(1).optional(),
    agents: z.record(z.string().regex(/^[a-z0-9_-]+$/, 'agent names are lowercase letters, digits, - and _'), AgentConfigSchema).default({}),
  })
  .strict();

export type PatchbayConfig = z.infer<typeof ConfigSchema>;
