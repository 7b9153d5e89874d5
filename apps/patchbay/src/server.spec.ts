import { ConfigError, ConfigSchema } from '@patchbay/config';
import { startServer } from './server';

describe('startServer', () => {
  it('refuses to start with a defaultAgent that names no agent, before anything connects', async () => {
    const config = ConfigSchema.parse({ home: '/tmp/pb-server-spec', defaultAgent: 'nosuch', agents: { mine: { command: 'true' } } });
    const started = startServer(['gateway', 'engine', 'runner'], { config, file: null });
    await expect(started).rejects.toThrow(ConfigError);
    await expect(started).rejects.toThrow('defaultAgent: "nosuch" is not a built-in agent nor under agents: (agents: demo, claude, codex, opencode, tmux-bridge, mine)');
  });

  it.each([['gateway'], ['engine']] as const)('refuses to start %s on NATS without bus.secret, before anything connects', async (role) => {
    // Port 9 (discard): nothing answers there, so a connect attempt would fail differently.
    const config = ConfigSchema.parse({ home: '/tmp/pb-server-spec', bus: { natsUrl: 'nats://127.0.0.1:9' } });
    const started = startServer([role], { config, file: null });
    await expect(started).rejects.toThrow(ConfigError);
    await expect(started).rejects.toThrow(`patchbay start ${role}: on NATS the gateway and the engine sign what they send each other; set PATCHBAY_BUS_SECRET (bus.secret)`);
  });
});
