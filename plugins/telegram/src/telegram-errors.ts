import { BotError, GrammyError, HttpError } from 'grammy';

/**
 * One line about a grammy failure, for logs and for errors that leave the plugin. Never
 * the error object itself: a BotError carries the update's context, whose API object holds
 * the bot token, and a network error's text may hold the request URL (`/bot<token>/…`).
 */
export function describeTelegramError(error: unknown, token: string): string {
  return withoutToken(describe(error), token);
}

function describe(error: unknown): string {
  if (error instanceof BotError) return `update ${error.ctx.update.update_id}: ${describe(error.error)}`;
  if (error instanceof GrammyError) return `Telegram refused ${error.method}: ${error.error_code} ${error.description}`;
  if (error instanceof HttpError) return `Telegram unreachable: ${error.message}${error.error instanceof Error ? ` (${error.error.message})` : ''}`;
  return error instanceof Error ? error.message : String(error);
}

/** The token, and anything shaped like a bot URL's token part, replaced. */
function withoutToken(text: string, token: string): string {
  const named = token ? text.split(token).join('<bot token>') : text;
  return named.replace(/\bbot\d+:[\w-]+/g, 'bot<bot token>');
}
