import type { AgentSurveyV1, DoctorCheckV1 } from '@patchbay/contracts';

/**
 * Doctor's lines for the agents: each one ok, not installed or not logged in, with the fix.
 * Only the default agent is needed: it failing fails the doctor; the others warn.
 */
export function agentChecks(survey: AgentSurveyV1): DoctorCheckV1[] {
  const lines = survey.agents.map((agent): DoctorCheckV1 => {
    const name = `agent ${agent.name}`;
    if (agent.state === 'ok') return { name, outcome: 'ok', detail: agent.detail, fix: null };
    return { name, outcome: agent.name === survey.defaultAgent ? 'fail' : 'warn', detail: agent.detail, fix: agent.fix };
  });
  const chosen = survey.agents.find((a) => a.name === survey.defaultAgent);
  const usable = chosen?.state === 'ok';
  const defaultLine: DoctorCheckV1 = survey.notice
    ? { name: 'default agent', outcome: 'warn', detail: survey.defaultAgent, fix: survey.notice }
    : { name: 'default agent', outcome: usable ? 'ok' : 'fail', detail: survey.defaultAgent, fix: usable ? null : 'fix the agent above, or set defaultAgent in patchbay.yaml' };
  return [...lines, defaultLine];
}
