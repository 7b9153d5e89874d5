import { Role } from '@patchbay/contracts';
import { CommandContext } from '@patchbay/plugin-sdk';
import { TMUX_BRIDGE_COMMANDS } from './tmux-bridge.commands';

const ctx = (role: Role, agent: string | null = null): CommandContext => ({
  sender: { id: '42', name: 'ada', role },
  chat: { channel: 'telegram', chatId: '42' },
  session: agent ? { id: 'sess0001', agent, status: 'running', model: null } : null,
  agents: ['demo', 'tmux-bridge'],
});
const run = (name: string, args: string[], context: CommandContext) => TMUX_BRIDGE_COMMANDS[name].run(context, args);

describe('tmux bridge commands', () => {
  it('/watch of a Patchbay session attaches to it, for any role that may watch', () => {
    expect(run('watch', ['pb-abcd1234'], ctx('viewer'))).toEqual([{ kind: 'bind', sessionId: 'abcd1234', delivery: 'live' }]);
  });

  it('/watch of any other tmux session bridges it, for owners only', () => {
    expect(run('watch', ['work'], ctx('owner'))).toEqual([{ kind: 'bridge', target: 'work' }]);
    expect(run('watch', ['work'], ctx('operator'))).toEqual([{ kind: 'reply', text: 'Only owners may bridge tmux sessions Patchbay did not start (your role: operator).' }]);
    expect(run('watch', ["bad'name"], ctx('owner'))).toEqual([{ kind: 'reply', text: 'Usage: /watch <tmux-session> (see /tmux)' }]);
  });

  it('/send and /keys go to the watched session; into a bridged one only for owners', () => {
    expect(run('send', ['ls', '-la'], ctx('operator', 'demo'))).toEqual([{ kind: 'input', sessionId: 'sess0001', text: 'ls -la' }]);
    expect(run('keys', ['C-c'], ctx('owner', 'tmux-bridge'))).toEqual([{ kind: 'keys', sessionId: 'sess0001', keys: ['C-c'] }]);
    expect(run('send', ['rm', '-rf', 'x'], ctx('operator', 'tmux-bridge'))).toEqual([
      { kind: 'reply', text: 'Only owners may type into a bridged tmux session (your role: operator).' },
    ]);
    expect(run('keys', [], ctx('owner', 'demo'))[0]).toMatchObject({ kind: 'reply' });
    expect(run('send', ['hi'], ctx('owner'))[0]).toMatchObject({ kind: 'reply', text: expect.stringContaining('/watch') });
  });

  it('/unwatch lets go of a bridge (stopping its run) or just detaches from a Patchbay session', () => {
    expect(run('unwatch', [], ctx('owner', 'tmux-bridge')).map((e) => e.kind)).toEqual(['control', 'unbind', 'reply']);
    expect(run('unwatch', [], ctx('viewer', 'demo')).map((e) => e.kind)).toEqual(['unbind', 'reply']);
  });
});
