import { ConfigError, ConfigSchema } from '@patchbay/config';
import { startServer } from './server';

describe('startServer', () => {
  it('refuses to start with a defaultAgent that names no agent, before anything connects', async () => {
    const config = ConfigSchema.parse({ home: '/tmp/pb-server-spec', defaultAgent: 'nosuch', agents: { mine: { command: 'true' } } });
    const started = startServer(['gateway', 'engine', 'runner'], { config, file: null });
    await expect(started).rejects.toThrow(ConfigError);
    await expect(started).rejects.toThrow('defaultAgent: "nosuch" is not a built-in agent nor under agents: (agents: demo, claude, codex, opencode, tmux-bridge, mine)');
  });
});
