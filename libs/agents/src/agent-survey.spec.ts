import { FakeAgentHost } from '../../../test/fakes/agent-host.fake';
import { DEMO_AGENT } from './agent-profiles';
import { surveyAgents } from './agent-survey';

const loggedIn = { '/home/user/.claude/.credentials.json': JSON.stringify({ claudeAiOauth: { accessToken: 'a' } }) };
const demo = process.execPath;

describe('surveyAgents', () => {
  it('is the first agent CLI installed and usable, in the order claude, codex, opencode', () => {
    const host = new FakeAgentHost({ installed: [demo, 'claude', 'codex', 'opencode'], env: { OPENAI_API_KEY: 'sk' } });
    // claude is not logged in, codex has a key (and so does opencode).
    expect(surveyAgents({ agents: {} }, host)).toMatchObject({ defaultAgent: 'codex', notice: null });
    expect(surveyAgents({ agents: {} }, new FakeAgentHost({ installed: ['claude', 'codex'], files: loggedIn, env: { OPENAI_API_KEY: 'sk' } }))).toMatchObject({
      defaultAgent: 'claude',
    });
  });

  it('is the demo agent when the only CLI is not logged in, and the notice says why and what to do', () => {
    const survey = surveyAgents({ agents: {} }, new FakeAgentHost({ installed: [demo, 'claude'] }));
    expect(survey.defaultAgent).toBe(DEMO_AGENT);
    expect(survey.notice).toBe('Using the demo agent: claude is installed but not logged in: run `claude` once, or set ANTHROPIC_API_KEY.');
    expect(survey.agents.map((a) => [a.name, a.state])).toEqual([
      ['demo', 'ok'],
      ['claude', 'not_logged_in'],
      ['codex', 'not_installed'],
      ['opencode', 'not_installed'],
      ['tmux-bridge', 'not_installed'],
    ]);
  });

  it('is the demo agent without a notice when no agent CLI is installed', () => {
    expect(surveyAgents({ agents: {} }, new FakeAgentHost({ installed: [demo] }))).toMatchObject({ defaultAgent: DEMO_AGENT, notice: null });
  });

  it('keeps a configured defaultAgent even when it is not usable, and reports it as it is', () => {
    const survey = surveyAgents({ agents: {}, defaultAgent: 'claude' }, new FakeAgentHost({ installed: ['claude'] }));
    expect(survey).toMatchObject({ defaultAgent: 'claude', notice: null });
    expect(survey.agents.find((a) => a.name === 'claude')?.state).toBe('not_logged_in');
  });

  it('probes the configured command of a built-in agent, and counts a new agent once installed', () => {
    const host = new FakeAgentHost({ installed: ['/opt/codex', 'mine'], exitCodes: { '/opt/codex login status': 0 } });
    const survey = surveyAgents({ agents: { codex: { command: '/opt/codex' }, mine: { command: 'mine' } } }, host);
    expect(survey.defaultAgent).toBe('codex');
    expect(host.ran).toEqual(['/opt/codex login status']);
    expect(survey.agents.find((a) => a.name === 'mine')).toMatchObject({ state: 'ok' });
  });
});
