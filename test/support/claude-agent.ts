import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { claudeTestEnv } from '../fakes/anthropic/claude-env';
import { PROJECT_ROOT } from './patchbay-processes';

/** The real claude CLI (2.1.x) from node_modules, run against FakeAnthropicApi. */
export const CLAUDE_BIN = join(PROJECT_ROOT, 'node_modules', '.bin', 'claude');

/**
 * Patchbay's environment without anything that could point claude elsewhere (API keys,
 * Claude Code's own variables, proxies): the runner hands its environment to the agent,
 * under the profile's env.
 */
export function envWithoutClaude(env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(env).filter(([key]) => !/^(ANTHROPIC_|CLAUDE|(HTTPS?|ALL|NO)_PROXY$)/i.test(key)));
}

/**
 * An agent profile running the real claude CLI (structured mode) against the fake model at
 * `modelUrl`, in `<dir>/work` with a claude home of its own (`<dir>/claude-home`, created
 * empty here). Without allowedTools, so under approvals' default `ask` every Bash call asks.
 */
export function claudeAgentProfile(dir: string, modelUrl: string): { profile: { command: string; cwd: string; env: Record<string, string> }; work: string } {
  const work = join(dir, 'work');
  const claudeHome = join(dir, 'claude-home');
  mkdirSync(work, { recursive: true });
  mkdirSync(claudeHome, { recursive: true });
  return { profile: { command: CLAUDE_BIN, cwd: work, env: claudeTestEnv(modelUrl, claudeHome) }, work };
}
