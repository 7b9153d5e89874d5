import { z } from 'zod';

/**
 * Request bodies the fake accepts, with Discord's limits and wording (its 50035 form errors
 * come from these issues: see discord-errors.ts). Unknown fields are ignored, as Discord does.
 */

export const MAX_CONTENT = 2000;

const content = z.string().max(MAX_CONTENT, `Must be ${MAX_CONTENT} or fewer in length.`);

const Button = z
  .object({
    type: z.literal(2),
    style: z.number().int().min(1).max(6),
    label: z.string().max(80, 'Must be 80 or fewer in length.').optional(),
    custom_id: z.string().min(1).max(100, 'Must be 100 or fewer in length.').optional(),
    url: z.string().url().optional(),
    emoji: z.unknown().optional(),
    disabled: z.boolean().optional(),
  })
  .loose()
  .superRefine((button, ctx) => {
    const link = button.style === 5;
    if (link !== (button.url !== undefined) || link === (button.custom_id !== undefined)) {
      ctx.addIssue({ code: 'custom', message: 'A link button needs a url, any other a custom_id.', params: { discord: 'BUTTON_COMPONENT_INVALID' } });
    }
    if (button.label === undefined && button.emoji === undefined) {
      ctx.addIssue({ code: 'custom', path: ['label'], message: 'A button needs a label or an emoji.', params: { discord: 'BASE_TYPE_REQUIRED' } });
    }
  });

const ActionRow = z.object({ type: z.literal(1), components: z.array(Button).min(1).max(5, 'Must be 5 or fewer in length.') }).loose();

export type ActionRowJson = z.infer<typeof ActionRow>;

const messageFields = {
  content: content.nullable().optional(),
  components: z.array(ActionRow).max(5, 'Must be 5 or fewer in length.').optional(),
  embeds: z.array(z.record(z.string(), z.unknown())).max(10).optional(),
  flags: z.number().int().min(0).optional(),
};

/** Custom ids must be unique within a message. */
function uniqueCustomIds(body: { components?: ActionRowJson[] }, ctx: z.RefinementCtx): void {
  const ids = (body.components ?? []).flatMap((row) => row.components.map((b) => b.custom_id)).filter(Boolean);
  if (new Set(ids).size !== ids.length) {
    ctx.addIssue({ code: 'custom', path: ['components'], message: 'Component custom id cannot be duplicated', params: { discord: 'COMPONENT_CUSTOM_ID_DUPLICATED' } });
  }
}

export const MessageBody = z.object(messageFields).loose().superRefine(uniqueCustomIds);
export type MessageBody = z.infer<typeof MessageBody>;

export const ThreadBody = z
  .object({
    name: z.string().min(1, 'Must be between 1 and 100 in length.').max(100, 'Must be between 1 and 100 in length.'),
    auto_archive_duration: z.union([z.literal(60), z.literal(1440), z.literal(4320), z.literal(10080)]).optional(),
    rate_limit_per_user: z.number().int().min(0).max(21600).nullable().optional(),
  })
  .loose();

/** Application command names: lowercase letters, digits, `-` and `_`, 1–32 characters. */
const commandName = z
  .string()
  .regex(/^[-_'\p{L}\p{N}\p{sc=Deva}\p{sc=Thai}]{1,32}$/u, 'Command name is invalid')
  .refine((name) => name === name.toLowerCase(), { message: 'Command name is invalid', params: { discord: 'APPLICATION_COMMAND_INVALID_NAME' } });
const description = z.string().min(1, 'Must be between 1 and 100 in length.').max(100, 'Must be between 1 and 100 in length.');

const CommandOption = z
  .object({
    type: z.number().int().min(3).max(11),
    name: commandName,
    description,
    required: z.boolean().optional(),
    choices: z
      .array(z.object({ name: z.string().min(1).max(100), value: z.union([z.string().max(100), z.number()]) }).loose())
      .max(25)
      .optional(),
  })
  .loose();

const Command = z
  .object({
    name: commandName,
    description,
    type: z.literal(1).optional(),
    options: z.array(CommandOption).max(25).optional(),
  })
  .loose()
  .superRefine((command, ctx) => {
    const options = command.options ?? [];
    const firstOptional = options.findIndex((o) => !o.required);
    if (firstOptional >= 0 && options.slice(firstOptional).some((o) => o.required)) {
      ctx.addIssue({
        code: 'custom',
        path: ['options'],
        message: 'Required options must be placed before non-required options',
        params: { discord: 'APPLICATION_COMMAND_OPTIONS_REQUIRED_INVALID' },
      });
    }
  });
export type CommandJson = z.infer<typeof Command>;

export const CommandsBody = z
  .array(Command)
  .max(100)
  .superRefine((commands, ctx) => {
    const names = commands.map((c) => c.name);
    if (new Set(names).size !== names.length) {
      ctx.addIssue({ code: 'custom', message: 'Application command names must be unique', params: { discord: 'APPLICATION_COMMANDS_DUPLICATE_NAME' } });
    }
  });

/** Interaction callback types the fake supports: message, deferred message, deferred update, update. */
export const CallbackBody = z.object({
  type: z.union([z.literal(4), z.literal(5), z.literal(6), z.literal(7)]),
  data: z.object(messageFields).loose().superRefine(uniqueCustomIds).optional(),
});
export type CallbackBody = z.infer<typeof CallbackBody>;
