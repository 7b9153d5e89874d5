import { Role } from '@patchbay/contracts';
import { CommandContext } from '@patchbay/plugin-sdk';
import { COMMANDS, helpText, parseCommand } from './commands';

const ctx = (role: Role = 'operator', session: CommandContext['session'] = { id: 'sess0001', agent: 'claude', status: 'idle', model: null }): CommandContext => ({
  sender: { id: '42', name: 'ada', role },
  chat: { channel: 'telegram', chatId: '42' },
  session,
  agents: ['demo', 'claude', 'codex'],
});
const run = (name: string, args: string[] = [], context = ctx()) => COMMANDS[name].run(context, args);

describe('parseCommand', () => {
  it.each([
    ['/help', { name: 'help', args: [] }],
    ['  /attach  sess0001   append ', { name: 'attach', args: ['sess0001', 'append'] }],
    ['/Status@patchbay_bot', { name: 'status', args: [] }],
    ['/jobs run nightly', { name: 'jobs', args: ['run', 'nightly'] }],
  ])('parses %j', (text, expected) => expect(parseCommand(text)).toEqual(expected));

  it.each(['hello /help', '/', '//x', 'fix the /tmp path', ''])('leaves %j to the agent', (text) => expect(parseCommand(text)).toBeNull());
});

describe('commands', () => {
  it('needs the right role for each command', () => {
    const needs = Object.fromEntries(Object.entries(COMMANDS).map(([name, spec]) => [name, spec.needs]));
    expect(needs).toEqual({
      help: 'watch',
      status: 'watch',
      new: 'prompt',
      reset: 'prompt',
      stop: 'stop',
      retry: 'prompt',
      agent: 'prompt',
      model: 'prompt',
      tasks: 'watch',
      task: 'watch',
      sessions: 'watch',
      attach: 'watch',
      detach: 'watch',
      jobs: 'watch',
      run: 'prompt',
      approvals: 'watch',
      approve: 'approve',
      deny: 'approve',
      pair: 'admin',
      // added by the tmux bridge plugin
      tmux: 'watch',
      watch: 'watch',
      send: 'input',
      keys: 'input',
      unwatch: 'watch',
    });
  });

  it('/attach binds the chat with a delivery mode, and explains bad arguments', () => {
    expect(run('attach', ['sess0002'])).toEqual([{ kind: 'bind', sessionId: 'sess0002', delivery: 'live' }]);
    expect(run('attach', ['sess0002', 'final'])).toEqual([{ kind: 'bind', sessionId: 'sess0002', delivery: 'final' }]);
    expect(run('attach', [])).toEqual([{ kind: 'reply', text: 'Usage: /attach <session> [live|append|final]' }]);
    expect(run('attach', ['sess0002', 'loud'])).toEqual([{ kind: 'reply', text: 'Usage: /attach <session> [live|append|final]' }]);
    expect(run('attach', ['../etc'])).toEqual([{ kind: 'reply', text: 'Usage: /attach <session> [live|append|final]' }]);
  });

  it('/detach and /new unbind the chat only when it follows a session', () => {
    expect(run('detach')).toEqual([{ kind: 'unbind' }, { kind: 'reply', text: 'Detached from session sess0001.' }]);
    expect(run('detach', [], ctx('viewer', null))).toEqual([{ kind: 'reply', text: 'This chat follows no session.' }]);
    expect(run('new')[0]).toEqual({ kind: 'unbind' });
    expect(run('new', [], ctx('operator', null))).toEqual([{ kind: 'reply', text: 'Your next message starts a new session.' }]);
  });

  it('/stop interrupts, /stop kill ends, and both need a session', () => {
    expect(run('stop')).toEqual([{ kind: 'control', sessionId: 'sess0001', action: 'stop' }]);
    expect(run('stop', ['kill'])).toEqual([{ kind: 'control', sessionId: 'sess0001', action: 'kill' }]);
    expect(run('stop', ['now'])).toEqual([{ kind: 'reply', text: 'Usage: /stop [kill]' }]);
    expect(run('stop', [], ctx('operator', null))[0]).toMatchObject({ kind: 'reply', text: expect.stringContaining('no session yet') });
  });

  it("/retry re-runs the session's last task, and needs a session", () => {
    expect(run('retry')).toEqual([{ kind: 'retry', sessionId: 'sess0001' }]);
    expect(run('retry', ['now'])).toEqual([{ kind: 'reply', text: 'Usage: /retry' }]);
    expect(run('retry', [], ctx('operator', null))[0]).toMatchObject({ kind: 'reply', text: expect.stringContaining('no session yet') });
  });

  it('/agent shows or sets a known agent; /model sets or resets the model', () => {
    expect(run('agent')).toEqual([{ kind: 'reply', text: 'Session sess0001 uses claude. Agents: demo, claude, codex.' }]);
    expect(run('agent', ['codex'])[0]).toEqual({ kind: 'setAgent', sessionId: 'sess0001', agent: 'codex' });
    expect(run('agent', ['gpt9'])).toEqual([{ kind: 'reply', text: 'No agent "gpt9". Agents: demo, claude, codex.' }]);
    expect(run('agent', ['codex', 'now'])).toEqual([{ kind: 'reply', text: 'Usage: /agent [name]' }]);
    // A chat without a session opens one with the agent it names.
    expect(run('agent', ['codex'], ctx('operator', null))).toEqual([{ kind: 'openSession', agent: 'codex' }]);
    expect(run('agent', [], ctx('operator', null))[0]).toMatchObject({ kind: 'reply', text: expect.stringContaining('no session yet') });
    expect(run('agent', ['gpt9'], ctx('operator', null))).toEqual([{ kind: 'reply', text: 'No agent "gpt9". Agents: demo, claude, codex.' }]);
    expect(run('model', ['opus'])[0]).toEqual({ kind: 'setModel', sessionId: 'sess0001', model: 'opus' });
    expect(run('model', ['default'])[0]).toEqual({ kind: 'setModel', sessionId: 'sess0001', model: null });
  });

  it('/jobs lets viewers list but not run; /pair approve takes a code and an optional role', () => {
    expect(run('jobs', [], ctx('viewer'))).toEqual([{ kind: 'show', what: 'jobs' }]);
    expect(run('jobs', ['run', 'nightly'], ctx('viewer'))).toEqual([{ kind: 'reply', text: 'Viewers may list jobs only.' }]);
    expect(run('jobs', ['disable', 'nightly'])).toEqual([{ kind: 'setJobEnabled', name: 'nightly', enabled: false }]);
    expect(run('pair', ['approve', 'abcd2345'], ctx('owner'))).toEqual([{ kind: 'approvePairing', code: 'ABCD2345', role: 'operator' }]);
    expect(run('pair', ['approve', 'ABCD2345', 'viewer'], ctx('owner'))).toEqual([{ kind: 'approvePairing', code: 'ABCD2345', role: 'viewer' }]);
    expect(run('pair', ['approve', 'ABCD2345', 'king'], ctx('owner'))[0]).toMatchObject({ kind: 'reply' });
    expect(run('pair', [], ctx('owner'))).toEqual([{ kind: 'show', what: 'pairings' }]);
  });

  it('/approve and /deny answer the named request, or the one waiting in the session', () => {
    const id = 'k3x7q2m7a5b4';
    const answer = (approvalId: string | null, decision: string, reason: string | null = null) => [{ kind: 'answerApproval', approvalId, decision, reason }];
    expect(run('approve')).toEqual(answer(null, 'allow_once'));
    expect(run('approve', ['session'])).toEqual(answer(null, 'allow_session'));
    expect(run('approve', [id])).toEqual(answer(id, 'allow_once'));
    expect(run('approve', [id, 'session'])).toEqual(answer(id, 'allow_session'));
    for (const bad of [['../x'], [id, id], ['session', id], ['K3X7Q2M7A5B4']]) expect(run('approve', bad)).toEqual([{ kind: 'reply', text: 'Usage: /approve [id] [session]' }]);
    expect(run('deny')).toEqual(answer(null, 'deny'));
    expect(run('deny', [id])).toEqual(answer(id, 'deny'));
    expect(run('deny', [id, 'not', 'on', 'main'])).toEqual(answer(id, 'deny', 'not on main'));
    expect(run('deny', ['Not', 'on', 'main'])).toEqual(answer(null, 'deny', 'Not on main'));
    expect(run('deny', ['x'.repeat(600)])[0]).toMatchObject({ reason: 'x'.repeat(500) });
    expect(run('approvals')).toEqual([{ kind: 'showApprovals' }]);
    expect(run('approvals', [], ctx('viewer', null))[0]).toMatchObject({ kind: 'reply', text: expect.stringContaining('no session yet') });
  });

  it('/task validates its id', () => {
    expect(run('task', ['task0001'])).toEqual([{ kind: 'showTask', taskId: 'task0001' }]);
    expect(run('task', ['DROP TABLE'])).toEqual([{ kind: 'reply', text: 'Usage: /task <id>' }]);
  });

  it('/help lists what the role may use', () => {
    expect(helpText('viewer')).toContain('/attach');
    expect(helpText('viewer')).not.toContain('/stop');
    expect(helpText('operator')).toContain('/stop');
    expect(helpText('operator')).not.toContain('/pair');
    expect(helpText('operator')).toContain('/approve');
    expect(helpText('viewer')).not.toContain('/approve');
    expect(helpText('owner')).toContain('/pair');
  });
});
