import { TMUX_BRIDGE_AGENT } from '@patchbay/agents';
import { sessionOfTmux } from '@patchbay/contracts';
import { CommandContext, CommandSpec, Effect } from '@patchbay/plugin-sdk';

const reply = (text: string): Effect[] => [{ kind: 'reply', text }];
const TMUX_NAME = /^[\w.:@%+-]{1,100}$/;

function bound(ctx: CommandContext, run: (sessionId: string) => Effect[]): Effect[] {
  return ctx.session ? run(ctx.session.id) : reply('This chat watches no session: /watch <tmux-session> first.');
}

/** Typing into a bridged session (not started by Patchbay) is for owners only. */
function typing(ctx: CommandContext, run: (sessionId: string) => Effect[]): Effect[] {
  if (ctx.session?.agent === TMUX_BRIDGE_AGENT && ctx.sender.role !== 'owner') {
    return reply(`Only owners may type into a bridged tmux session (your role: ${ctx.sender.role}).`);
  }
  return bound(ctx, run);
}

/**
 * The tmux bridge: any tmux session on a runner's machine, reachable from any chat. Its
 * output streams to the chat; text and keys go into it. Only owners may bridge sessions
 * Patchbay did not start.
 */
export const TMUX_BRIDGE_COMMANDS: Record<string, CommandSpec> = {
  tmux: {
    needs: 'watch',
    usage: '/tmux',
    summary: 'the tmux sessions on the runners',
    run: () => [{ kind: 'listTmux' }],
  },
  watch: {
    needs: 'watch',
    usage: '/watch <tmux-session>',
    summary: "follow a tmux session's output in this chat",
    run: (ctx, args) => {
      if (args.length !== 1 || !TMUX_NAME.test(args[0])) return reply('Usage: /watch <tmux-session> (see /tmux)');
      if (!ctx.chat.chatId) return reply('Only a chat can watch a session.');
      // Patchbay's own sessions are attached like any other chat would be.
      const own = sessionOfTmux(args[0]);
      if (own) return [{ kind: 'bind', sessionId: own, delivery: 'live' }];
      if (ctx.sender.role !== 'owner') return reply(`Only owners may bridge tmux sessions Patchbay did not start (your role: ${ctx.sender.role}).`);
      return [{ kind: 'bridge', target: args[0] }];
    },
  },
  send: {
    needs: 'input',
    usage: '/send <text>',
    summary: 'type a line into the watched session',
    run: (ctx, args) => (args.length === 0 ? reply('Usage: /send <text>') : typing(ctx, (sessionId) => [{ kind: 'input', sessionId, text: args.join(' ') }])),
  },
  keys: {
    needs: 'input',
    usage: '/keys <key> [key…]',
    summary: 'press keys in the watched session (C-c, Enter, Up, q …)',
    run: (ctx, args) => (args.length === 0 ? reply('Usage: /keys <key> [key…], e.g. /keys C-c') : typing(ctx, (sessionId) => [{ kind: 'keys', sessionId, keys: args }])),
  },
  unwatch: {
    needs: 'watch',
    usage: '/unwatch',
    summary: 'stop watching here',
    run: (ctx) =>
      bound(ctx, (sessionId) => [
        ...(ctx.session?.agent === TMUX_BRIDGE_AGENT ? [{ kind: 'control' as const, sessionId, action: 'stop' as const }] : []),
        { kind: 'unbind' },
        { kind: 'reply', text: `Stopped watching session ${sessionId}.` },
      ]),
  },
};
