import { TMUX_BRIDGE_COMMANDS } from './tmux-bridge.commands';

/** The tmux bridge plugin: what it can do, and the commands it adds to every channel. */
export const tmuxBridgePlugin = {
  id: 'tmux',
  capabilities: { watch: true, input: true, keys: true },
  commands: TMUX_BRIDGE_COMMANDS,
} as const;

export { TMUX_BRIDGE_COMMANDS };
