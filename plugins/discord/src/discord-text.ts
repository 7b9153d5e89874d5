/** Pure text helpers of the Discord plugin. */

/** The message without the bot's mentions (`<@id>`, `<@!id>`), trimmed. */
export function withoutMention(content: string, botId: string): string {
  return content
    .replace(new RegExp(`<@!?${botId}>`, 'g'), ' ')
    .replace(/[ \t]{2,}/g, ' ')
    .trim();
}

/** A thread's name from the message that starts it: its first line, within Discord's 100 characters. */
export function threadName(text: string): string {
  const line =
    text
      .split('\n')
      .find((l) => l.trim())
      ?.trim() ?? '';
  if (!line) return 'Patchbay session';
  return line.length <= 100 ? line : `${line.slice(0, 99).trimEnd()}…`;
}
