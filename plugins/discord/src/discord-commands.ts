import { ApplicationCommandOptionType, ButtonStyle, ComponentType, RESTPostAPIChatInputApplicationCommandsJSONBody } from 'discord.js';
import type { APIActionRowComponent, APIButtonComponentWithCustomId } from 'discord.js';
import type { OutboundButton } from '@patchbay/plugin-sdk';

/**
 * The engine's common verbs as Discord application (slash) commands. A run of one becomes
 * the same text typed as a message (`/attach <session>`), so the engine parses it as it
 * parses any channel's commands; where the commands cannot be registered, typing them works.
 */
export const SLASH_COMMANDS: RESTPostAPIChatInputApplicationCommandsJSONBody[] = [
  { name: 'help', description: 'What Patchbay understands' },
  { name: 'status', description: "This chat's session and the runners" },
  { name: 'new', description: 'Start over: the next message opens a new session' },
  {
    name: 'stop',
    description: "Interrupt this chat's session",
    options: [{ type: ApplicationCommandOptionType.Boolean, name: 'kill', description: 'End the session instead of interrupting it' }],
  },
  { name: 'sessions', description: 'The newest sessions' },
  {
    name: 'attach',
    description: 'Watch a session from this chat',
    options: [
      { type: ApplicationCommandOptionType.String, name: 'session', description: 'The session id', required: true },
      {
        type: ApplicationCommandOptionType.String,
        name: 'delivery',
        description: 'How output shows here',
        choices: ['live', 'append', 'final'].map((d) => ({ name: d, value: d })),
      },
    ],
  },
  { name: 'detach', description: 'Stop following the session here' },
  {
    name: 'agent',
    description: 'Show or choose the agent of this session',
    options: [{ type: ApplicationCommandOptionType.String, name: 'name', description: 'The agent to use' }],
  },
  { name: 'tasks', description: 'The newest tasks' },
  { name: 'approvals', description: "What this session's agent waits for you to allow" },
  {
    name: 'approve',
    description: 'Let the agent use the tool it asks for',
    options: [
      { type: ApplicationCommandOptionType.String, name: 'id', description: 'The approval (needed when several wait)' },
      { type: ApplicationCommandOptionType.Boolean, name: 'session', description: 'The same again in this session asks nobody' },
    ],
  },
  {
    name: 'deny',
    description: 'Refuse what the agent asks for',
    options: [
      { type: ApplicationCommandOptionType.String, name: 'id', description: 'The approval (needed when several wait)' },
      { type: ApplicationCommandOptionType.String, name: 'reason', description: 'Told to the agent' },
    ],
  },
];

/** An option of a command run as Discord gives it. */
export interface CommandOption {
  name: string;
  value?: string | number | boolean;
}

/**
 * The text a slash command run stands for: `/verb` and its options in their declared order;
 * a true boolean option is its name (`/stop kill`), a false one is left out.
 */
export function commandText(name: string, options: readonly CommandOption[]): string {
  const declared = SLASH_COMMANDS.find((c) => c.name === name)?.options ?? [];
  const words = declared.flatMap((option) => {
    const value = options.find((o) => o.name === option.name)?.value;
    if (value === undefined || value === false) return [];
    return [value === true ? option.name : String(value).trim()];
  });
  return [`/${name}`, ...words].join(' ');
}

/** Discord's limits: 5 buttons a row, 5 rows a message. */
const PER_ROW = 5;
const MAX_ROWS = 5;

/** Buttons as action rows (custom ids up to 100 characters, labels up to 80). */
export function buttonRows(buttons: readonly OutboundButton[] | undefined): Array<APIActionRowComponent<APIButtonComponentWithCustomId>> {
  const rows: Array<APIActionRowComponent<APIButtonComponentWithCustomId>> = [];
  const shown = (buttons ?? []).slice(0, PER_ROW * MAX_ROWS);
  for (let i = 0; i < shown.length; i += PER_ROW) {
    rows.push({
      type: ComponentType.ActionRow,
      components: shown.slice(i, i + PER_ROW).map((b) => ({
        type: ComponentType.Button,
        style: b.id.startsWith('stop:') ? ButtonStyle.Danger : ButtonStyle.Secondary,
        label: b.label.slice(0, 80),
        custom_id: b.id.slice(0, 100),
      })),
    });
  }
  return rows;
}
