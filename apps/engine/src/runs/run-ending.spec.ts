import { runEnding } from './run-ending';

describe('runEnding: what becomes of a task whose run failed', () => {
  const task = { attempts: 1, route: 'default', agent: 'claude' };
  const noFallback = () => null;
  const fallbackTo = (agent: string) => jest.fn((_route: string | null, _agent: string) => agent);

  it('tries a lost runner or tmux session again, naming the attempt', () => {
    for (const code of ['runner_lost', 'session_lost', 'runner_stopped', 'tmux_failed']) {
      expect(runEnding({ code, text: 'gone' }, task, 3, noFallback)).toEqual({ retry: { reason: `${code}: attempt 2 of 3`, agent: null }, status: 'failed' });
    }
  });

  it('closes as failed once the attempts are used up', () => {
    expect(runEnding({ code: 'runner_lost', text: 'gone' }, { ...task, attempts: 3 }, 3, noFallback)).toEqual({ retry: null, status: 'failed' });
  });

  it('moves a run that hit a usage limit to the fallback agent of its route', () => {
    const fallback = fallbackTo('codex');
    expect(runEnding({ code: 'agent_failed', text: 'Claude usage limit reached' }, task, 3, fallback)).toEqual({
      retry: { reason: 'agent_failed: attempt 2 of 3 with codex', agent: 'codex' },
      status: 'failed',
    });
    expect(fallback).toHaveBeenCalledWith('default', 'claude');
  });

  it('fails a usage-limited run when the route has no fallback (the same agent would hit the limit again)', () => {
    expect(runEnding({ code: 'agent_failed', text: 'HTTP 429 overloaded' }, task, 3, noFallback)).toEqual({ retry: null, status: 'failed' });
  });

  it('cancels what someone stopped, and blocks what nobody can fix by trying again', () => {
    for (const code of ['stopped', 'killed', 'cancelled']) expect(runEnding({ code, text: 'by ada' }, task, 3, noFallback)).toEqual({ retry: null, status: 'cancelled' });
    for (const code of ['unknown_agent', 'agent_not_installed', 'workspace_failed'])
      expect(runEnding({ code, text: 'no' }, task, 3, noFallback)).toEqual({ retry: null, status: 'blocked' });
  });

  it('fails any other error without a retry', () => {
    expect(runEnding({ code: 'agent_failed', text: 'exited with status 3' }, task, 3, noFallback)).toEqual({ retry: null, status: 'failed' });
  });
});
