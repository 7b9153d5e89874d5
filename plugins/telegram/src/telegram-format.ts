/**
 * Agent output is GitHub-style markdown; Telegram's HTML mode is the forgiving one. Fenced
 * code becomes <pre><code>, inline code <code>, **bold** <b>; everything else is escaped.
 * If Telegram still rejects the markup, the plugin sends the text as plain text.
 */
export function toTelegramHtml(markdown: string): string {
  const parts = markdown.split(/(```[^\n]*\n[\s\S]*?```)/g);
  return parts
    .map((part) => {
      const fence = /^```([^\n]*)\n([\s\S]*?)```$/.exec(part);
      if (fence) {
        const lang = fence[1].trim();
        const cls = /^[\w+-]+$/.test(lang) ? ` class="language-${lang}"` : '';
        return `<pre><code${cls}>${escapeHtml(fence[2].replace(/\n$/, ''))}</code></pre>`;
      }
      return inline(part);
    })
    .join('');
}

function inline(text: string): string {
  return text
    .split(/(`[^`\n]+`)/g)
    .map((piece) =>
      piece.startsWith('`') && piece.endsWith('`') && piece.length > 2
        ? `<code>${escapeHtml(piece.slice(1, -1))}</code>`
        : escapeHtml(piece).replace(/\*\*([^*\n]+)\*\*/g, '<b>$1</b>'),
    )
    .join('');
}

export function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}
