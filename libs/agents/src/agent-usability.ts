import { join } from 'node:path';
import type { AgentStatusV1 } from '@patchbay/contracts';
import type { AgentHost } from './agent-host';

/** Can an installed agent CLI do work: logged in, or given a key? */
export type Usability = { usable: true; via: string } | { usable: false; why: string; fix: string };

/** Each built-in agent CLI's own check of its login (AgentProfile.usability). */
export type UsabilityProbe = (host: AgentHost, command: string) => Usability;

const usable = (via: string): Usability => ({ usable: true, via });

/** The first of these environment variables that is set, as "NAME is set". */
function envSet(host: AgentHost, names: string[]): string | null {
  const name = names.find((n) => host.env(n));
  return name ? `${name} is set` : null;
}

/** A JSON object from a file; null when missing or not an object (a broken file is no login). */
function readJson(host: AgentHost, path: string): Record<string, unknown> | null {
  const text = host.readFile(path);
  if (text === null) return null;
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

const nonEmpty = (value: unknown): boolean => typeof value === 'string' && value.length > 0;

/**
 * Claude Code: a key or token in the environment (ANTHROPIC_BASE_URL: a gateway or proxy
 * that does its own auth); else the login `claude` keeps in $CLAUDE_CONFIG_DIR (default
 * ~/.claude): .credentials.json on Linux; on macOS the token sits in the Keychain and
 * .claude.json (in that folder, or ~/.claude.json by default) records the account; or an
 * apiKeyHelper in its settings.json.
 */
export const claudeUsability: UsabilityProbe = (host) => {
  const fromEnv = envSet(host, ['ANTHROPIC_API_KEY', 'ANTHROPIC_AUTH_TOKEN', 'CLAUDE_CODE_OAUTH_TOKEN', 'ANTHROPIC_BASE_URL']);
  if (fromEnv) return usable(fromEnv);
  const configDir = host.env('CLAUDE_CONFIG_DIR');
  const dir = configDir ?? join(host.homeDir(), '.claude');
  const oauth = readJson(host, join(dir, '.credentials.json'))?.claudeAiOauth as Record<string, unknown> | undefined;
  if (oauth && (nonEmpty(oauth.accessToken) || nonEmpty(oauth.refreshToken))) return usable('logged in');
  const state = readJson(host, configDir ? join(configDir, '.claude.json') : join(host.homeDir(), '.claude.json'));
  if (state && ((typeof state.oauthAccount === 'object' && state.oauthAccount !== null) || nonEmpty(state.primaryApiKey))) return usable('logged in');
  if (nonEmpty(readJson(host, join(dir, 'settings.json'))?.apiKeyHelper)) return usable('apiKeyHelper in its settings');
  return { usable: false, why: 'not logged in', fix: 'run `claude` once, or set ANTHROPIC_API_KEY' };
};

/** Codex: a key in the environment, else what `codex login status` says (it knows where its login lives). */
export const codexUsability: UsabilityProbe = (host, command) => {
  const fromEnv = envSet(host, ['OPENAI_API_KEY', 'CODEX_API_KEY']);
  if (fromEnv) return usable(fromEnv);
  if (host.exitCode(command, ['login', 'status']) === 0) return usable('logged in');
  return { usable: false, why: 'not logged in', fix: 'run `codex login`, or set OPENAI_API_KEY' };
};

/** OpenCode: a provider key in the environment, else a provider in its auth file ($XDG_DATA_HOME/opencode/auth.json). */
export const opencodeUsability: UsabilityProbe = (host) => {
  const fromEnv = envSet(host, ['ANTHROPIC_API_KEY', 'OPENAI_API_KEY']);
  if (fromEnv) return usable(fromEnv);
  const dataHome = host.env('XDG_DATA_HOME') ?? join(host.homeDir(), '.local', 'share');
  const auth = readJson(host, join(dataHome, 'opencode', 'auth.json'));
  if (auth && Object.keys(auth).length > 0) return usable(`logged in (${Object.keys(auth).join(', ')})`);
  return { usable: false, why: 'not logged in', fix: 'run `opencode auth login`, or set ANTHROPIC_API_KEY or OPENAI_API_KEY' };
};

/** One agent's state: not installed, installed but not usable, or ok. */
export function agentStatus(name: string, profile: { command: string; usability?: UsabilityProbe }, host: AgentHost): AgentStatusV1 {
  if (!host.installed(profile.command)) {
    return { name, state: 'not_installed', detail: `"${profile.command}" not found on PATH`, fix: `install ${name}, or set agents.${name}.command` };
  }
  const usability = profile.usability?.(host, profile.command) ?? usable('installed');
  return usability.usable
    ? { name, state: 'ok', detail: `${profile.command} (${usability.via})`, fix: null }
    : { name, state: 'not_logged_in', detail: `${profile.command} is installed but ${usability.why}`, fix: usability.fix };
}
