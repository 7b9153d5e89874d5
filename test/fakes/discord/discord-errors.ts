import type { z } from 'zod';

/** Discord's nested form-error tree: `{ content: { _errors: [{ code, message }] } }`. */
export interface FormErrors {
  [field: string]: FormErrors | Array<{ code: string; message: string }>;
}

/** An error answer as Discord words it: HTTP status, JSON error code, message, form errors. */
export class DiscordError extends Error {
  constructor(
    readonly status: number,
    readonly code: number,
    message: string,
    readonly errors?: FormErrors,
  ) {
    super(message);
  }

  body(): Record<string, unknown> {
    return { message: this.message, code: this.code, ...(this.errors ? { errors: this.errors } : {}) };
  }
}

export const unauthorized = () => new DiscordError(401, 0, '401: Unauthorized');
export const notFound = () => new DiscordError(404, 0, '404: Not Found');
export const unknownChannel = () => new DiscordError(404, 10003, 'Unknown Channel');
export const unknownMessage = () => new DiscordError(404, 10008, 'Unknown Message');
export const unknownInteraction = () => new DiscordError(404, 10062, 'Unknown interaction');
export const unknownWebhook = () => new DiscordError(404, 10015, 'Unknown Webhook');
export const missingAccess = () => new DiscordError(403, 50001, 'Missing Access');
export const notTheAuthor = () => new DiscordError(403, 50005, 'Cannot edit a message authored by another user');
export const emptyMessage = () => new DiscordError(400, 50006, 'Cannot send an empty message');
export const wrongChannelType = () => new DiscordError(400, 50024, 'Cannot execute action on this channel type');
export const alreadyAcknowledged = () => new DiscordError(400, 40060, 'Interaction has already been acknowledged.');
export const threadExists = () => new DiscordError(400, 160004, 'A thread has already been created for this message');

/** 50035 "Invalid Form Body" with one error at `path` (e.g. ['content']). */
export function invalidForm(path: Array<string | number>, code: string, message: string): DiscordError {
  return new DiscordError(400, 50035, 'Invalid Form Body', errorTree([{ path, code, message }]));
}

/** A zod failure as Discord's 50035, each issue at its path with Discord's error code. */
export function formError(error: z.ZodError): DiscordError {
  return new DiscordError(
    400,
    50035,
    'Invalid Form Body',
    errorTree(error.issues.map((issue) => ({ path: issue.path.map((p) => (typeof p === 'symbol' ? String(p) : p)), code: discordCode(issue), message: issue.message }))),
  );
}

function discordCode(issue: z.core.$ZodIssue): string {
  if (issue.code === 'too_big') return 'BASE_TYPE_MAX_LENGTH';
  if (issue.code === 'too_small') return 'BASE_TYPE_MIN_LENGTH';
  if (issue.code === 'invalid_type') return issue.input === undefined ? 'BASE_TYPE_REQUIRED' : 'BASE_TYPE_BAD_TYPE';
  if (issue.code === 'invalid_value') return 'BASE_TYPE_CHOICES';
  return issue.code === 'custom' ? String(issue.params?.discord ?? 'BASE_TYPE_INVALID') : 'BASE_TYPE_INVALID';
}

function errorTree(entries: Array<{ path: Array<string | number>; code: string; message: string }>): FormErrors {
  const root: FormErrors = {};
  for (const { path, code, message } of entries) {
    let node = root;
    for (const key of path) node = (node[String(key)] ??= {}) as FormErrors;
    ((node._errors ??= []) as Array<{ code: string; message: string }>).push({ code, message });
  }
  return root;
}
