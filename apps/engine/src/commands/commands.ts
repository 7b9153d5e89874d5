import { Delivery, ID_PATTERN, Role } from '@patchbay/contracts';
import { CommandContext, CommandSpec, Effect } from '@patchbay/plugin-sdk';
import { tmuxBridgePlugin } from '@patchbay/plugin-tmux';

const reply = (text: string): Effect[] => [{ kind: 'reply', text }];

/** An approval's id as the engine makes them (newId), told apart from a denial's first word. */
const APPROVAL_ID = /^[a-z2-7]{12}$/;

/** A command that works on the chat's session, or explains that there is none. */
function withSession(ctx: CommandContext, run: (session: NonNullable<CommandContext['session']>) => Effect[]): Effect[] {
  if (!ctx.session) return reply('This chat has no session yet: send a message to start one, or /attach <session>.');
  return run(ctx.session);
}

/** The engine's own slash commands: what each needs, how it is used, and what it does. */
const ENGINE_COMMANDS: Record<string, CommandSpec> = {
  help: {
    needs: 'watch',
    usage: '/help',
    summary: 'this list',
    run: (ctx) => reply(helpText(ctx.sender.role)),
  },
  status: {
    needs: 'watch',
    usage: '/status',
    summary: "this chat's session and the runners",
    run: () => [{ kind: 'show', what: 'status' }],
  },
  new: {
    needs: 'prompt',
    usage: '/new',
    summary: 'start over: the next message opens a new session',
    run: (ctx) =>
      ctx.session ? [{ kind: 'unbind' }, { kind: 'reply', text: 'Detached. Your next message starts a new session.' }] : reply('Your next message starts a new session.'),
  },
  reset: {
    needs: 'prompt',
    usage: '/reset',
    summary: "keep the session, forget the agent's conversation",
    run: (ctx) =>
      withSession(ctx, (s) => [
        { kind: 'forgetAgentSession', sessionId: s.id },
        { kind: 'reply', text: `Session ${s.id}: the next message starts a fresh conversation with ${s.agent}.` },
      ]),
  },
  stop: {
    needs: 'stop',
    usage: '/stop [kill]',
    summary: "interrupt the session's run (kill: end it)",
    run: (ctx, args) =>
      withSession(ctx, (s) => {
        if (args.length > 1 || (args[0] && args[0] !== 'kill')) return reply('Usage: /stop [kill]');
        return [{ kind: 'control', sessionId: s.id, action: args[0] === 'kill' ? 'kill' : 'stop' }];
      }),
  },
  retry: {
    needs: 'prompt',
    usage: '/retry',
    summary: "run the session's last task again, when it failed or was stopped",
    run: (ctx, args) => withSession(ctx, (s) => (args.length ? reply('Usage: /retry') : [{ kind: 'retry', sessionId: s.id }])),
  },
  agent: {
    needs: 'prompt',
    usage: '/agent [name]',
    summary: 'show or choose the agent for this session (in a chat without one: open it with that agent)',
    run: (ctx, args) => {
      if (args.length > 1) return reply('Usage: /agent [name]');
      if (args[0] && !ctx.agents.includes(args[0])) return reply(`No agent "${args[0]}". Agents: ${ctx.agents.join(', ')}.`);
      if (!ctx.session) {
        if (!args[0]) return reply(`This chat has no session yet: its first message picks the agent by the routing rules. Agents: ${ctx.agents.join(', ')}.`);
        if (!ctx.chat.chatId) return reply('Only a chat can open a session with /agent.');
        return [{ kind: 'openSession', agent: args[0] }];
      }
      const s = ctx.session;
      if (!args[0]) return reply(`Session ${s.id} uses ${s.agent}. Agents: ${ctx.agents.join(', ')}.`);
      return [
        { kind: 'setAgent', sessionId: s.id, agent: args[0] },
        { kind: 'reply', text: `Session ${s.id} now uses ${args[0]} for new messages.` },
      ];
    },
  },
  model: {
    needs: 'prompt',
    usage: '/model [name|default]',
    summary: 'show or choose the model for this session',
    run: (ctx, args) =>
      withSession(ctx, (s) => {
        if (args.length === 0) return reply(`Session ${s.id} uses ${s.model ?? "the agent's default model"}.`);
        const model = args[0] === 'default' ? null : args[0];
        return [
          { kind: 'setModel', sessionId: s.id, model },
          { kind: 'reply', text: `Session ${s.id} now uses ${model ?? "the agent's default model"}.` },
        ];
      }),
  },
  tasks: { needs: 'watch', usage: '/tasks', summary: 'the newest tasks', run: () => [{ kind: 'show', what: 'tasks' }] },
  task: {
    needs: 'watch',
    usage: '/task <id>',
    summary: 'one task',
    run: (_ctx, args) => (args.length === 1 && ID_PATTERN.test(args[0]) ? [{ kind: 'showTask', taskId: args[0] }] : reply('Usage: /task <id>')),
  },
  sessions: { needs: 'watch', usage: '/sessions', summary: 'the newest sessions', run: () => [{ kind: 'show', what: 'sessions' }] },
  attach: {
    needs: 'watch',
    usage: '/attach <session> [live|append|final]',
    summary: 'watch (and, with the role, talk to) a session from this chat',
    run: (ctx, args) => {
      const delivery = Delivery.safeParse(args[1] ?? 'live');
      if (args.length < 1 || args.length > 2 || !ID_PATTERN.test(args[0]) || !delivery.success) return reply('Usage: /attach <session> [live|append|final]');
      if (!ctx.chat.chatId) return reply('Only a chat can be attached to a session.');
      return [{ kind: 'bind', sessionId: args[0], delivery: delivery.data }];
    },
  },
  detach: {
    needs: 'watch',
    usage: '/detach',
    summary: 'stop following the session here',
    run: (ctx) => (ctx.session ? [{ kind: 'unbind' }, { kind: 'reply', text: `Detached from session ${ctx.session.id}.` }] : reply('This chat follows no session.')),
  },
  jobs: {
    needs: 'watch',
    usage: '/jobs [run|enable|disable <name>]',
    summary: 'scheduled jobs',
    run: (ctx, args) => {
      if (args.length === 0 || (args[0] === 'list' && args.length === 1)) return [{ kind: 'show', what: 'jobs' }];
      const [verb, name] = args;
      if (args.length !== 2 || !['run', 'enable', 'disable'].includes(verb)) return reply('Usage: /jobs [run|enable|disable <name>]');
      if (ctx.sender.role === 'viewer') return reply('Viewers may list jobs only.');
      return verb === 'run' ? [{ kind: 'runJob', name }] : [{ kind: 'setJobEnabled', name, enabled: verb === 'enable' }];
    },
  },
  run: {
    needs: 'prompt',
    usage: '/run <job>',
    summary: 'run a scheduled job now',
    run: (_ctx, args) => (args.length === 1 ? [{ kind: 'runJob', name: args[0] }] : reply('Usage: /run <job>')),
  },
  approvals: {
    needs: 'watch',
    usage: '/approvals',
    summary: "what the session's agent waits for a person to allow",
    run: (ctx, args) => withSession(ctx, () => (args.length ? reply('Usage: /approvals') : [{ kind: 'showApprovals' }])),
  },
  approve: {
    needs: 'approve',
    usage: '/approve [id] [session]',
    summary: 'let the agent use the tool it asks for (session: the same again in this session asks nobody)',
    run: (_ctx, args) => {
      const forSession = args.at(-1) === 'session';
      const ids = forSession ? args.slice(0, -1) : args;
      if (ids.length > 1 || (ids[0] !== undefined && !APPROVAL_ID.test(ids[0]))) return reply('Usage: /approve [id] [session]');
      return [{ kind: 'answerApproval', approvalId: ids[0] ?? null, decision: forSession ? 'allow_session' : 'allow_once', reason: null }];
    },
  },
  deny: {
    needs: 'approve',
    usage: '/deny [id] [reason]',
    summary: 'refuse what the agent asks for; the reason is told to it',
    run: (_ctx, args) => {
      const [first, ...rest] = args;
      const named = first !== undefined && APPROVAL_ID.test(first);
      const reason = (named ? rest : args).join(' ').slice(0, 500);
      return [{ kind: 'answerApproval', approvalId: named ? first : null, decision: 'deny', reason: reason || null }];
    },
  },
  pair: {
    needs: 'admin',
    usage: '/pair [approve <code> [operator|viewer|owner]]',
    summary: 'pairing requests, and letting someone in',
    run: (_ctx, args) => {
      if (args.length === 0) return [{ kind: 'show', what: 'pairings' }];
      const role = Role.safeParse(args[2] ?? 'operator');
      if (args[0] !== 'approve' || args.length < 2 || args.length > 3 || !role.success) return reply('Usage: /pair [approve <code> [operator|viewer|owner]]');
      return [{ kind: 'approvePairing', code: args[1].toUpperCase(), role: role.data }];
    },
  },
};

/** Every slash command: the engine's, then those the plugins add (registered here). */
export const COMMANDS: Record<string, CommandSpec> = { ...ENGINE_COMMANDS, ...tmuxBridgePlugin.commands };

/** `/name args…` → name and arguments; null when the text is not a command. */
export function parseCommand(text: string): { name: string; args: string[] } | null {
  const match = /^\/([a-z]+)(?:@\S+)?(?:\s+([\s\S]*))?$/i.exec(text.trim());
  if (!match) return null;
  return { name: match[1].toLowerCase(), args: (match[2] ?? '').split(/\s+/).filter(Boolean) };
}

/** The commands a role may use, one per line. */
export function helpText(role: Role): string {
  const lines = Object.values(COMMANDS)
    .filter((c) => (role === 'owner' || c.needs !== 'admin') && (role !== 'viewer' || c.needs === 'watch'))
    .map((c) => `${c.usage} — ${c.summary}`);
  return `Commands:\n${lines.join('\n')}\nAnything else you write goes to this chat's session.`;
}
