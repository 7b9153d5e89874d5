import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { ConfigSchema, PatchbayConfig } from './config.schema';

/** Environment variables that override a key of patchbay.yaml. */
const ENV_OVERRIDES: ReadonlyArray<{ env: string; path: string[]; type: 'string' | 'number' }> = [
  { env: 'PATCHBAY_HOME', path: ['home'], type: 'string' },
  { env: 'PATCHBAY_HTTP_HOST', path: ['http', 'host'], type: 'string' },
  { env: 'PATCHBAY_HTTP_PORT', path: ['http', 'port'], type: 'number' },
  { env: 'NATS_URL', path: ['bus', 'natsUrl'], type: 'string' },
  { env: 'PATCHBAY_BUS_PREFIX', path: ['bus', 'prefix'], type: 'string' },
  { env: 'PATCHBAY_BUS_SECRET', path: ['bus', 'secret'], type: 'string' },
  { env: 'PATCHBAY_NATS_USER', path: ['bus', 'nats', 'user'], type: 'string' },
  { env: 'PATCHBAY_NATS_PASSWORD', path: ['bus', 'nats', 'password'], type: 'string' },
  { env: 'PATCHBAY_NATS_TOKEN', path: ['bus', 'nats', 'token'], type: 'string' },
  { env: 'PATCHBAY_NATS_NKEY_SEED', path: ['bus', 'nats', 'nkeySeed'], type: 'string' },
  { env: 'PATCHBAY_NATS_CREDS', path: ['bus', 'nats', 'credsFile'], type: 'string' },
  { env: 'DATABASE_URL', path: ['database', 'url'], type: 'string' },
  { env: 'PATCHBAY_TMUX_SOCKET', path: ['tmux', 'socket'], type: 'string' },
  { env: 'PATCHBAY_RUNNER_ID', path: ['runner', 'id'], type: 'string' },
  { env: 'PATCHBAY_DEFAULT_AGENT', path: ['defaultAgent'], type: 'string' },
  { env: 'PATCHBAY_LOG_LEVEL', path: ['log', 'level'], type: 'string' },
  { env: 'PATCHBAY_LOG_FORMAT', path: ['log', 'format'], type: 'string' },
  { env: 'TELEGRAM_BOT_TOKEN', path: ['telegram', 'token'], type: 'string' },
  { env: 'TELEGRAM_API_ROOT', path: ['telegram', 'apiRoot'], type: 'string' },
  { env: 'TELEGRAM_WEBHOOK_SECRET', path: ['telegram', 'webhookSecret'], type: 'string' },
  { env: 'DISCORD_BOT_TOKEN', path: ['discord', 'token'], type: 'string' },
  { env: 'DISCORD_API_URL', path: ['discord', 'apiUrl'], type: 'string' },
  { env: 'DISCORD_GATEWAY_URL', path: ['discord', 'gatewayUrl'], type: 'string' },
  { env: 'GITHUB_TOKEN', path: ['github', 'token'], type: 'string' },
  { env: 'GITHUB_WEBHOOK_SECRET', path: ['github', 'webhookSecret'], type: 'string' },
  { env: 'GITHUB_API_URL', path: ['github', 'apiUrl'], type: 'string' },
  { env: 'GITHUB_APP_ID', path: ['github', 'appId'], type: 'string' },
  { env: 'GITHUB_APP_PRIVATE_KEY', path: ['github', 'privateKey'], type: 'string' },
];

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

export interface LoadedConfig {
  config: PatchbayConfig;
  /** The file it came from, or null when only defaults and environment applied. */
  file: string | null;
}

/**
 * Reads patchbay.yaml (from PATCHBAY_CONFIG, else ./patchbay.yaml, else
 * $PATCHBAY_HOME/patchbay.yaml), applies environment overrides and validates the result.
 * Errors name the key, where its value came from, and what was expected.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): LoadedConfig {
  const home = resolveHome(env.PATCHBAY_HOME ?? join(homedir(), '.patchbay'));
  const file = findConfigFile(env, cwd, home);
  const raw: Record<string, unknown> = file ? readYaml(file) : {};
  raw.home ??= home;
  const sources = new Map<string, string>();
  for (const { env: name, path, type } of ENV_OVERRIDES) {
    const value = env[name];
    if (value === undefined || value === '') continue;
    setPath(raw, path, type === 'number' && /^\d+$/.test(value) ? Number(value) : value);
    sources.set(path.join('.'), `environment variable ${name}`);
  }
  addEnvApiToken(raw, env, sources);
  const parsed = ConfigSchema.safeParse(raw);
  if (!parsed.success) {
    const where = file ?? 'defaults';
    const lines = parsed.error.issues.map((issue) => {
      const key = issue.path.join('.') || '(top level)';
      const from = sources.get(key) ?? where;
      return `  ${key} (from ${from}): ${describeIssue(issue)}`;
    });
    throw new ConfigError(`invalid configuration:\n${lines.join('\n')}`);
  }
  const config = parsed.data;
  config.home = resolveHome(config.home);
  for (const profile of Object.values(config.agents)) {
    if (profile.cwd) profile.cwd = resolveHome(profile.cwd);
    if (profile.worktree) profile.worktree.repo = resolveHome(profile.worktree.repo);
  }
  return { config, file };
}

// --- HTTP API access (issue #9) ---
/** The environment variable that adds one owner API token, named `env`. */
export const API_TOKEN_ENV = 'PATCHBAY_API_TOKEN';

/** Every environment variable the loader reads (deploy files may set only these). */
export const CONFIG_ENV_NAMES: readonly string[] = ['PATCHBAY_CONFIG', API_TOKEN_ENV, ...ENV_OVERRIDES.map((o) => o.env)];

/** PATCHBAY_API_TOKEN adds `{name: env, role: owner}` to http.tokens (validated like the others). */
function addEnvApiToken(raw: Record<string, unknown>, env: NodeJS.ProcessEnv, sources: Map<string, string>): void {
  const token = env[API_TOKEN_ENV];
  if (!token) return;
  const http = (typeof raw.http === 'object' && raw.http !== null ? raw.http : (raw.http = {})) as Record<string, unknown>;
  const tokens = Array.isArray(http.tokens) ? http.tokens : [];
  http.tokens = [...tokens, { name: 'env', token, role: 'owner' }];
  sources.set(`http.tokens.${tokens.length}.token`, `environment variable ${API_TOKEN_ENV}`);
  sources.set('http.tokens', `the file's tokens and environment variable ${API_TOKEN_ENV}`);
}
// --- end of HTTP API access ---

function describeIssue(issue: z.core.$ZodIssue): string {
  if (issue.code === 'unrecognized_keys') return `unknown key(s) ${issue.keys.join(', ')}`;
  if (issue.code === 'invalid_key') return issue.issues.map((i) => i.message).join('; ');
  return issue.message;
}

function findConfigFile(env: NodeJS.ProcessEnv, cwd: string, home: string): string | null {
  if (env.PATCHBAY_CONFIG) {
    const path = resolve(cwd, env.PATCHBAY_CONFIG);
    if (!existsSync(path)) throw new ConfigError(`PATCHBAY_CONFIG names ${path}, which does not exist`);
    return path;
  }
  for (const candidate of [join(cwd, 'patchbay.yaml'), join(home, 'patchbay.yaml')]) {
    if (existsSync(candidate)) return candidate;
  }
  return null;
}

function readYaml(file: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = parseYaml(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new ConfigError(`${file}: not valid YAML: ${(error as Error).message}`);
  }
  if (value === null || value === undefined) return {};
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw new ConfigError(`${file}: expected a mapping of keys at the top level`);
  }
  return withoutEmpty(value as Record<string, unknown>);
}

/** A key left empty (`tmux:` with its lines commented out) means the defaults, not null. */
function withoutEmpty(map: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(map)) {
    if (value === null) continue;
    out[key] = typeof value === 'object' && !Array.isArray(value) ? withoutEmpty(value as Record<string, unknown>) : value;
  }
  return out;
}

function setPath(target: Record<string, unknown>, path: string[], value: unknown): void {
  let node = target;
  for (const key of path.slice(0, -1)) {
    if (typeof node[key] !== 'object' || node[key] === null) node[key] = {};
    node = node[key] as Record<string, unknown>;
  }
  node[path[path.length - 1]] = value;
}

function resolveHome(path: string): string {
  return resolve(path.startsWith('~/') ? join(homedir(), path.slice(2)) : path);
}
