import { PatchbayConfig } from '@patchbay/config';
import type { AgentSurveyV1 } from '@patchbay/contracts';
import type { AgentHost } from './agent-host';
import { agentProfiles, CLI_AGENTS, configuredDefaultAgent, DEMO_AGENT } from './agent-profiles';
import { agentStatus } from './agent-usability';

/**
 * Every agent's state on this machine, and the agent new sessions use: `defaultAgent` if
 * configured, else the first agent CLI that is installed and usable, else the demo agent,
 * so a fresh install shows the whole flow; then the notice says why it is the demo.
 */
export function surveyAgents(config: Pick<PatchbayConfig, 'agents' | 'defaultAgent'>, host: AgentHost): AgentSurveyV1 {
  const configured = configuredDefaultAgent(config);
  const agents = [...agentProfiles(config)].map(([name, profile]) => agentStatus(name, profile, host));
  if (configured) return { defaultAgent: configured, notice: null, agents };
  const cli = agents.filter((a) => a.name in CLI_AGENTS);
  const found = cli.find((a) => a.state === 'ok');
  if (found) return { defaultAgent: found.name, notice: null, agents };
  const blocked = cli.find((a) => a.state === 'not_logged_in');
  const notice = blocked ? `Using the demo agent: ${blocked.name} is installed but not logged in: ${blocked.fix}.` : null;
  return { defaultAgent: DEMO_AGENT, notice, agents };
}
