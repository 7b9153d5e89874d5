import { accessSync, constants, statSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { ConfigError, PatchbayConfig, PromptPattern } from '@patchbay/config';
import type { ParserFormat } from './parsers';
import { claudeUsability, codexUsability, opencodeUsability, UsabilityProbe } from './agent-usability';
import { promptPatterns } from './prompt-patterns';

export type AgentMode = 'text' | 'structured' | 'terminal' | 'bridge';
/** The JSON dialect of a structured agent's output. */
export type StreamFormat = Exclude<ParserFormat, 'text'>;

/** Options an agent CLI takes, each rendered by a template where `{value}` is replaced. */
interface FlagTemplates {
  model?: string[];
  resume?: string[];
  allowedTools?: string[];
  permissionMode?: string[];
  sandbox?: string[];
  /** Put before the prompt, so a list-taking option (claude's --allowedTools) cannot swallow it. */
  beforePrompt?: string[];
  /**
   * Approvals asked mid-run (approvals mode ask or deny) through a permission MCP tool the
   * runner serves; `{value}` is the run's MCP config file.
   */
  permissionPrompt?: string[];
  /**
   * Approvals the CLI cannot ask for mid-run: what confines it instead under approvals mode
   * ask or deny, in place of the sandbox flag.
   */
  confined?: string[];
}

/** The effective approvals mode of a run (RunRequestV1.approvals); allow is the default. */
export type ApprovalsMode = 'ask' | 'allow' | 'deny';

/** A resolved agent profile: how a runner starts this agent. */
export interface AgentProfile {
  command: string;
  args: string[];
  env: Record<string, string>;
  /** Names of the runner's environment variables handed to the agent (see AgentConfigSchema.passEnv). */
  passEnv: string[];
  cwd?: string;
  mode: AgentMode;
  /** Set when mode is structured. */
  format?: StreamFormat;
  model?: string;
  allowedTools?: string[];
  permissionMode?: string;
  sandbox?: string;
  timeoutSeconds?: number;
  idleTimeoutSeconds?: number;
  description?: string;
  worktree?: { repo: string; base: string; cleanup: 'always' | 'on_success' | 'never'; push: boolean };
  /** Terminal mode: the program's permission prompts, asked as approvals (see PromptPatternSchema). */
  prompts?: PromptPattern[];
  /** How this CLI takes the options above; only built-in agents know. */
  flags?: FlagTemplates;
  /** How to tell whether this CLI is logged in; only built-in agents know (others count once installed). */
  usability?: UsabilityProbe;
}

export const DEMO_AGENT = 'demo';
/** The permission MCP server the runner has claude start for a run that asks approvals, and its one tool. */
export const PERMISSION_SERVER = 'patchbay';
export const PERMISSION_TOOL = 'approve';
/** The agent of bridged sessions: an existing tmux session, watched and typed into. */
export const TMUX_BRIDGE_AGENT = 'tmux-bridge';

/** Real agent CLIs, in the order the default agent is chosen when none is configured. */
export const CLI_AGENTS: Record<string, AgentProfile> = {
  claude: {
    command: 'claude',
    args: ['-p', '--output-format', 'stream-json', '--verbose', '--include-partial-messages'],
    env: {},
    // Its login is under $CLAUDE_CONFIG_DIR, else ~/.claude (HOME is always passed).
    passEnv: ['ANTHROPIC_API_KEY', 'ANTHROPIC_AUTH_TOKEN', 'ANTHROPIC_BASE_URL', 'ANTHROPIC_MODEL', 'CLAUDE_CONFIG_DIR', 'CLAUDE_CODE_OAUTH_TOKEN'],
    mode: 'structured',
    format: 'claude',
    description: 'Claude Code',
    usability: claudeUsability,
    flags: {
      model: ['--model', '{value}'],
      resume: ['--resume', '{value}'],
      allowedTools: ['--allowedTools', '{value}'],
      permissionMode: ['--permission-mode', '{value}'],
      // claude asks the tool before a tool use its rules do not allow (see docs/ARCHITECTURE.md).
      permissionPrompt: ['--mcp-config', '{value}', '--permission-prompt-tool', `mcp__${PERMISSION_SERVER}__${PERMISSION_TOOL}`],
      beforePrompt: ['--'],
    },
  },
  codex: {
    command: 'codex',
    args: ['exec', '--json'],
    env: {},
    // Its login is under $CODEX_HOME, else ~/.codex.
    passEnv: ['OPENAI_API_KEY', 'OPENAI_BASE_URL', 'CODEX_HOME'],
    mode: 'structured',
    format: 'codex',
    description: 'OpenAI Codex CLI',
    usability: codexUsability,
    flags: {
      model: ['--model', '{value}'],
      sandbox: ['--sandbox', '{value}'],
      // `codex exec` cannot ask mid-run (it never prompts): it may read, not write or run.
      confined: ['--sandbox', 'read-only'],
      resume: ['resume', '{value}'],
    },
  },
  opencode: {
    command: 'opencode',
    args: ['run', '--format', 'json'],
    env: {},
    // Its config and login live under the XDG folders (~/.config/opencode, ~/.local/share/opencode).
    passEnv: ['ANTHROPIC_API_KEY', 'OPENAI_API_KEY', 'OPENCODE_CONFIG', 'OPENCODE_CONFIG_DIR', 'XDG_CONFIG_HOME', 'XDG_DATA_HOME', 'XDG_CACHE_HOME', 'XDG_STATE_HOME'],
    mode: 'structured',
    format: 'opencode',
    description: 'OpenCode',
    usability: opencodeUsability,
    flags: { model: ['--model', '{value}'], resume: ['--session', '{value}'] },
  },
};

const DEMO_PROFILE: AgentProfile = {
  command: process.execPath,
  args: [join(__dirname, 'demo-agent.js'), '{prompt}'],
  env: {},
  passEnv: ['PATCHBAY_DEMO_DELAY_MS'],
  mode: 'text',
  description: 'built-in demo agent: a scripted answer, no AI (install an agent CLI for real work)',
};

const TMUX_BRIDGE_PROFILE: AgentProfile = {
  command: 'tmux',
  args: [],
  env: {},
  passEnv: [],
  mode: 'bridge',
  description: 'an existing tmux session, bridged to chats (/watch)',
};

/**
 * Built-in profiles, overlaid field by field with the `agents:` section of patchbay.yaml:
 * a field given there replaces the built-in one, env is merged, and args are added after
 * the built-in arguments.
 */
export function agentProfiles(config: Pick<PatchbayConfig, 'agents'>): Map<string, AgentProfile> {
  const profiles = new Map<string, AgentProfile>(Object.entries({ [DEMO_AGENT]: DEMO_PROFILE, ...CLI_AGENTS, [TMUX_BRIDGE_AGENT]: TMUX_BRIDGE_PROFILE }));
  for (const [name, entry] of Object.entries(config.agents)) {
    const base = profiles.get(name);
    const command = entry.command ?? base?.command;
    if (!command) throw new ConfigError(`agents.${name}: command is required (${name} is not a built-in agent)`);
    const mode = entry.mode ?? base?.mode ?? 'text';
    const format = entry.format ?? base?.format;
    if (mode === 'structured' && !format) {
      throw new ConfigError(`agents.${name}: mode structured needs a format (claude, codex or opencode)`);
    }
    const { args, env, passEnv, prompts, ...rest } = entry;
    if (prompts?.length && mode !== 'terminal') throw new ConfigError(`agents.${name}.prompts: only a terminal-mode agent shows prompts on its screen (mode is ${mode})`);
    profiles.set(name, {
      ...base,
      ...rest,
      command,
      mode,
      format,
      args: [...(base?.args ?? []), ...(args ?? [])],
      env: { ...base?.env, ...env },
      passEnv: [...new Set([...(base?.passEnv ?? []), ...(passEnv ?? [])])],
      ...(prompts ? { prompts: promptPatterns(prompts) } : {}),
    });
  }
  return profiles;
}

/**
 * Fails fast on a `defaultAgent` that names no agent (else every message would fail
 * later); returns it, or null when the default is to be found (surveyAgents).
 */
export function configuredDefaultAgent(config: Pick<PatchbayConfig, 'agents' | 'defaultAgent'>): string | null {
  if (!config.defaultAgent) return null;
  const profiles = agentProfiles(config);
  if (!profiles.has(config.defaultAgent)) {
    throw new ConfigError(`defaultAgent: "${config.defaultAgent}" is not a built-in agent nor under agents: (agents: ${[...profiles.keys()].join(', ')})`);
  }
  return config.defaultAgent;
}

export interface AgentArgvOptions {
  /** The agent's own session to continue. */
  resume?: string;
  /** The run's approvals mode: ask and deny add the profile's permissionPrompt or confined flags. */
  approvals?: ApprovalsMode;
  /** The permission MCP config the runner wrote for the run (agents with permissionPrompt). */
  mcpConfig?: string;
}

/** Whether runs of this profile in `mode` ask the runner through a permission MCP tool. */
export function usesPermissionPrompt(profile: AgentProfile, mode: ApprovalsMode = 'allow'): boolean {
  return mode !== 'allow' && profile.mode === 'structured' && profile.flags?.permissionPrompt !== undefined;
}

/**
 * The argv to run: the command, its arguments, the options the profile sets (model,
 * permissions, the agent session to resume), then the prompt: in place of `{prompt}`, or
 * last. A terminal-mode program gets no prompt here; it is typed in once the program runs.
 */
export function agentArgv(profile: AgentProfile, prompt: string, options: AgentArgvOptions = {}): string[] {
  const flags = profile.flags ?? {};
  const guarded = (options.approvals ?? 'allow') !== 'allow';
  const confined = guarded && flags.confined !== undefined;
  const values: Array<[string[] | undefined, string | undefined]> = [
    [flags.model, profile.model],
    [flags.allowedTools, profile.allowedTools?.join(',')],
    [flags.permissionMode, profile.permissionMode],
    [confined ? undefined : flags.sandbox, profile.sandbox],
    [confined ? flags.confined : undefined, ''],
    [guarded ? flags.permissionPrompt : undefined, options.mcpConfig],
    [flags.resume, options.resume],
  ];
  const rendered = values.flatMap(([template, value]) => (template && value !== undefined ? template.map((t) => t.replaceAll('{value}', () => value)) : []));
  // A function replacement, so `$&` and friends in a prompt stay literal.
  const args = profile.args.map((arg) => arg.replaceAll('{prompt}', () => prompt));
  const hasPlaceholder = profile.args.some((arg) => arg.includes('{prompt}'));
  const tail = hasPlaceholder || profile.mode === 'terminal' ? [] : [...(flags.beforePrompt ?? []), prompt];
  return [profile.command, ...args, ...rendered, ...tail];
}

export function commandOnPath(command: string, path = process.env.PATH ?? ''): boolean {
  const candidates = command.includes('/')
    ? [command]
    : path
        .split(delimiter)
        .filter(Boolean)
        .map((dir) => join(dir, command));
  return candidates.some((file) => {
    try {
      accessSync(file, constants.X_OK);
      return statSync(file).isFile();
    } catch {
      return false;
    }
  });
}
