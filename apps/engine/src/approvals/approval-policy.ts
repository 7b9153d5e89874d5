import { ApprovalPolicyConfig, ConfigError, PatchbayConfig } from '@patchbay/config';

export type PolicyMode = 'ask' | 'allow' | 'deny';

/** A policy with every layer applied: the built-in default, the agent profile's, the routing rule's. */
export interface ResolvedPolicy {
  mode: PolicyMode;
  allow: string[];
  deny: string[];
}

/** What the policy says about one tool use; `rule` names what decided it (for the audit log and a denial's reason). */
export type Verdict = { outcome: 'allow' | 'deny'; rule: string } | { outcome: 'ask' };

/**
 * Out of the box: tools that only read the workspace (or the agent's own to-do list) are
 * allowed; everything else asks. WebSearch is not among them: it sends what the agent
 * chose to the outside world.
 */
export const DEFAULT_POLICY: ResolvedPolicy = {
  mode: 'ask',
  allow: ['Read', 'Glob', 'Grep', 'LS', 'NotebookRead', 'TodoWrite'],
  deny: [],
};

/** Tools whose rule specifier is a path glob, and the input field holding the path. */
const PATH_FIELDS: Readonly<Record<string, readonly string[]>> = {
  Read: ['file_path'],
  Edit: ['file_path'],
  MultiEdit: ['file_path'],
  Write: ['file_path'],
  NotebookRead: ['notebook_path'],
  NotebookEdit: ['notebook_path'],
  Glob: ['path'],
  Grep: ['path'],
  LS: ['path'],
};

/** Shell syntax that chains or substitutes commands: a prefix says nothing about what such a command runs. */
const SHELL_CONTROL = /[;&|`<>\n\r]|\$\(/;

interface Rule {
  text: string;
  tool: string;
  specifier: string | null;
}

/**
 * Decides a tool use from patchbay.yaml's `approvals` policies, in claude's rule syntax:
 * `Tool` (every use), `Bash(git status)` (that exact command), `Bash(git status:*)` (commands
 * starting with those words), `Edit(src/**)` (paths matching a glob), `WebFetch(domain:x.com)`
 * (that host and its subdomains), `mcp__server` (every tool of an MCP server). Deny rules win
 * over allow rules; `mode` decides the rest.
 *
 * Layers add up: the allow and deny lists of the default, the agent profile and the routing
 * rule are joined (a deny rule takes away what a lower layer allowed); the most specific
 * `mode` given counts.
 */
export class ApprovalPolicy {
  constructor(private readonly config: Pick<PatchbayConfig, 'agents' | 'routing'>) {
    const check = (policy: ApprovalPolicyConfig | undefined, key: string) => {
      for (const list of ['allow', 'deny'] as const) policy?.[list]?.forEach((rule, i) => parseRule(rule, `${key}.${list}[${i}]`));
    };
    for (const [name, agent] of Object.entries(config.agents)) check(agent.approvals, `agents.${name}.approvals`);
    config.routing.rules.forEach((rule, i) => check(rule.approvals, `routing.rules[${i}].approvals`));
  }

  /** The policy of a session of `agent`, routed by the rule named `route` (null: the default agent, or no rule recorded). */
  resolve(agent: string, route: string | null): ResolvedPolicy {
    const layers = [this.config.agents[agent]?.approvals, this.config.routing.rules.find((r) => r.name === route)?.approvals];
    return layers.reduce<ResolvedPolicy>(
      (policy, layer) => ({
        mode: layer?.mode ?? policy.mode,
        allow: [...policy.allow, ...(layer?.allow ?? [])],
        deny: [...policy.deny, ...(layer?.deny ?? [])],
      }),
      DEFAULT_POLICY,
    );
  }
}

/** What `policy` says about `tool` with `input`. */
export function judge(policy: ResolvedPolicy, tool: string, input: Record<string, unknown>): Verdict {
  const denied = policy.deny.find((rule) => matches(parseRule(rule), tool, input, 'deny'));
  if (denied) return { outcome: 'deny', rule: denied };
  const allowed = policy.allow.find((rule) => matches(parseRule(rule), tool, input, 'allow'));
  if (allowed) return { outcome: 'allow', rule: allowed };
  if (policy.mode === 'ask') return { outcome: 'ask' };
  return { outcome: policy.mode, rule: `approvals.mode ${policy.mode}` };
}

/**
 * What "allow for this session" covers for this use: the tool, or for Bash the command's
 * first two words (`git status`, `npm test`, `rm -rf`); a later use with the same scope is
 * allowed. Null for a Bash command that chains or substitutes commands: it can be allowed
 * once, never for the session.
 */
export function sessionScope(tool: string, input: Record<string, unknown>): string | null {
  if (tool !== 'Bash') return tool;
  const command = typeof input.command === 'string' ? input.command.trim() : '';
  if (!command || SHELL_CONTROL.test(command)) return null;
  return `Bash(${command.split(/\s+/).slice(0, 2).join(' ')})`;
}

function parseRule(text: string, key?: string): Rule {
  const match = /^([A-Za-z][\w.-]*)(?:\((.*)\))?$/s.exec(text.trim());
  if (!match || match[2] === '') {
    throw new ConfigError(`${key ?? 'approval rule'}: "${text}" is not a rule; expected Tool or Tool(specifier), e.g. Read, Bash(git status:*), Edit(src/**)`);
  }
  return { text, tool: match[1], specifier: match[2] ?? null };
}

function matches(rule: Rule, tool: string, input: Record<string, unknown>, kind: 'allow' | 'deny'): boolean {
  const sameTool = rule.tool === tool || (rule.tool.startsWith('mcp__') && !rule.specifier && tool.startsWith(`${rule.tool}__`));
  if (!sameTool) return false;
  if (rule.specifier === null) return true;
  if (tool === 'Bash') return commandMatches(rule.specifier, input, kind);
  if (tool === 'WebFetch') return domainMatches(rule.specifier, input);
  const fields = PATH_FIELDS[tool];
  if (fields) return fields.some((field) => typeof input[field] === 'string' && pathMatches(rule.specifier!, input[field] as string, kind));
  // A specifier Patchbay cannot read for this tool: an allow rule allows nothing, a deny rule denies every use.
  return kind === 'deny';
}

/**
 * `prefix:*`: the command is those words or starts with them and a space; else the exact
 * command. An allow rule never matches a command that chains or substitutes others (`git
 * status; rm -rf ~`); a deny rule matches when any part of such a command does.
 */
function commandMatches(specifier: string, input: Record<string, unknown>, kind: 'allow' | 'deny'): boolean {
  const command = typeof input.command === 'string' ? input.command.trim() : '';
  const prefix = specifier.endsWith(':*') ? specifier.slice(0, -2).trim() : null;
  const one = (part: string) => (prefix === null ? part === specifier.trim() : part === prefix || part.startsWith(`${prefix} `) || part.startsWith(`${prefix}\t`));
  if (!SHELL_CONTROL.test(command)) return one(command);
  if (kind === 'allow') return false;
  return command.split(/[;&|`<>\n\r]+|\$\(/).some((part) => one(part.trim()));
}

function domainMatches(specifier: string, input: Record<string, unknown>): boolean {
  if (!specifier.startsWith('domain:') || typeof input.url !== 'string') return false;
  const domain = specifier.slice('domain:'.length).toLowerCase();
  try {
    const host = new URL(input.url).hostname.toLowerCase();
    return host === domain || host.endsWith(`.${domain}`);
  } catch {
    return false;
  }
}

/**
 * A glob against a path. An absolute pattern (`/etc/**`) matches from the root; a relative
 * one (`src/**`) from any directory, since the engine does not know the run's workspace
 * (the agent gives absolute paths). An allow rule never matches a path with `..` in it.
 */
function pathMatches(pattern: string, path: string, kind: 'allow' | 'deny'): boolean {
  if (kind === 'allow' && path.split('/').includes('..')) return false;
  const body = globToRegExp(pattern.replace(/^\.\//, ''));
  const anchored = pattern.startsWith('/') ? `^${body}$` : `(?:^|/)${body}$`;
  return new RegExp(anchored, 's').test(path);
}

/** `**` any number of directories, `*` any characters but `/`, `?` one such character. */
export function globToRegExp(glob: string): string {
  let out = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i];
    if (c === '*' && glob[i + 1] === '*') {
      const slashAfter = glob[i + 2] === '/';
      out += slashAfter ? '(?:.*/)?' : '.*';
      i += slashAfter ? 2 : 1;
    } else if (c === '*') out += '[^/]*';
    else if (c === '?') out += '[^/]';
    else out += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return out;
}
