import { codePointLength, detectEntities, EntityParseError, fixFormattedText, FormattedText, parseFormattedText } from './telegram-text';

/**
 * The MarkdownV2 / HTML parsers FakeTelegramApi uses (ports of tdlib's parse_markdown_v2 and
 * parse_html). Expected values follow the tdlib code paths; error texts are tdlib's, which the
 * Bot API prefixes with "Bad Request: can't parse entities: ".
 */

const users = (id: number): { id: number; is_bot: boolean; first_name: string } | undefined => (id === 111 ? { id, is_bot: false, first_name: 'Alice' } : undefined);
const md = (text: string): FormattedText => parseFormattedText(text, 'MarkdownV2', users);
const html = (text: string): FormattedText => parseFormattedText(text, 'HTML', users);
const failure = (parse: () => unknown): string => {
  try {
    parse();
  } catch (error) {
    if (error instanceof EntityParseError) return error.message;
    throw error;
  }
  throw new Error('expected a parse error');
};
const reserved = (c: string): string => `Character '${c}' is reserved and must be escaped with the preceding '\\'`;

describe('MarkdownV2 (tdlib parse_markdown_v2)', () => {
  it('parses nested and adjacent entities with UTF-16 offsets', () => {
    expect(md('__under__ ~strike~ ||spoiler|| *bold _italic bold_*')).toEqual({
      text: 'under strike spoiler bold italic bold',
      entities: [
        { type: 'underline', offset: 0, length: 5 },
        { type: 'strikethrough', offset: 6, length: 6 },
        { type: 'spoiler', offset: 13, length: 7 },
        { type: 'bold', offset: 21, length: 16 },
        { type: 'italic', offset: 26, length: 11 },
      ],
    });
    expect(md('🚀 *go*').entities).toEqual([{ type: 'bold', offset: 3, length: 2 }]);
  });

  it('code and pre blocks only reserve the backtick', () => {
    expect(md('`a.b-c(d)`')).toEqual({ text: 'a.b-c(d)', entities: [{ type: 'code', offset: 0, length: 8 }] });
    expect(md('```python\nprint(1)\n```')).toEqual({ text: 'print(1)\n', entities: [{ type: 'pre', offset: 0, length: 9, language: 'python' }] });
  });

  it('escapes, links, mentions, custom emoji', () => {
    expect(md('1\\+1 \\= 2\\.').text).toBe('1+1 = 2.');
    expect(md('a\\').text).toBe('a\\'); // a trailing backslash is plain text
    expect(md('[a](https://x.com/a\\)b)').entities).toEqual([{ type: 'text_link', offset: 0, length: 1, url: 'https://x.com/a)b' }]);
    expect(md('[site](example.com)').entities).toEqual([{ type: 'text_link', offset: 0, length: 4, url: 'http://example.com/' }]);
    expect(md('[Alice](tg://user?id=111)').entities).toEqual([{ type: 'text_mention', offset: 0, length: 5, user: { id: 111, is_bot: false, first_name: 'Alice' } }]);
    expect(md('![👍](tg://emoji?id=5368324170671202286)').entities).toEqual([{ type: 'custom_emoji', offset: 0, length: 2, custom_emoji_id: '5368324170671202286' }]);
  });

  it('block quotes start at a line start; **> … || makes them expandable', () => {
    expect(md('>quote line\n>second\nafter')).toEqual({ text: 'quote line\nsecond\nafter', entities: [{ type: 'blockquote', offset: 0, length: 18 }] });
    expect(md('x\n>y')).toEqual({ text: 'x\ny', entities: [{ type: 'blockquote', offset: 2, length: 1 }] });
    expect(md('**>hidden\n>more||')).toEqual({ text: 'hidden\nmore', entities: [{ type: 'expandable_blockquote', offset: 0, length: 11 }] });
  });

  it('errors as tdlib words them (byte offsets)', () => {
    for (const c of ['.', '-', '(', ')', '!', '#', '+', '=', '{', '}', '|', '>']) expect(failure(() => md(`a ${c} b`))).toBe(reserved(c));
    expect(failure(() => md('*bold'))).toBe("Can't find end of Bold entity at byte offset 0");
    expect(failure(() => md('日本 *x'))).toBe("Can't find end of Bold entity at byte offset 7");
    expect(failure(() => md('`code'))).toBe("Can't find end of Code entity at byte offset 0");
    expect(failure(() => md('[abc'))).toBe("Can't find end of TextUrl entity at byte offset 0");
    expect(failure(() => md('___a___'))).toBe("Can't find end of Italic entity at byte offset 6");
    expect(failure(() => md('![x]'))).toBe('The entity must contain a tg://emoji or tg://time URL');
  });
});

describe('HTML (tdlib parse_html)', () => {
  it('supported tags, case-insensitive, entities decoded', () => {
    expect(
      html('<b>bold <i>both</i></b> <u>u</u> <s>s</s> <tg-spoiler>sp</tg-spoiler> <span class="tg-spoiler">sp2</span> <code>c</code> <a href="https://example.com">l</a>'),
    ).toEqual({
      text: 'bold both u s sp sp2 c l',
      entities: [
        { type: 'bold', offset: 0, length: 9 },
        { type: 'italic', offset: 5, length: 4 },
        { type: 'underline', offset: 10, length: 1 },
        { type: 'strikethrough', offset: 12, length: 1 },
        { type: 'spoiler', offset: 14, length: 2 },
        { type: 'spoiler', offset: 17, length: 3 },
        { type: 'code', offset: 21, length: 1 },
        { type: 'text_link', offset: 23, length: 1, url: 'https://example.com/' },
      ],
    });
    expect(html('<B>x</B>').entities).toEqual([{ type: 'bold', offset: 0, length: 1 }]);
    expect(html('&lt;&gt;&amp;&quot;&#65;&#x42;&nbsp;').text).toBe('<>&"AB&nbsp;'); // only the four named entities
    expect(html('<blockquote expandable>q</blockquote>').entities).toEqual([{ type: 'expandable_blockquote', offset: 0, length: 1 }]);
    expect(html('<pre><code class="language-ts">x</code></pre>').entities).toEqual([{ type: 'pre', offset: 0, length: 1, language: 'ts' }]);
    expect(html('<a href="tg://user?id=111">A</a>').entities).toEqual([{ type: 'text_mention', offset: 0, length: 1, user: { id: 111, is_bot: false, first_name: 'Alice' } }]);
  });

  it('errors as tdlib words them', () => {
    expect(failure(() => html('<br>'))).toBe('Unsupported start tag "br" at byte offset 0');
    expect(failure(() => html('<b>x'))).toBe('Can\'t find end tag corresponding to start tag "b"');
    expect(failure(() => html('<b'))).toBe('Unclosed start tag at byte offset 0');
    expect(failure(() => html('<b>x</b'))).toBe('Unclosed end tag at byte offset 4');
    expect(failure(() => html('<b>x</i>'))).toBe('Unmatched end tag at byte offset 4, expected "</b>", found "</i>"');
    expect(failure(() => html('x</b>'))).toBe('Unexpected end tag at byte offset 1');
    expect(failure(() => html('<span>x</span>'))).toBe('Tag "span" must have class "tg-spoiler" at byte offset 0');
    expect(failure(() => html('<a href=https://e.com/x>e</a>'))).toBe('Unexpected end of name token at byte offset 8');
    expect(failure(() => html('<tg-emoji emoji-id="abc">x</tg-emoji>'))).toBe('Invalid custom emoji identifier specified');
  });
});

describe('text fixes, lengths and detected entities', () => {
  it('trims spaces and newlines, shifting entities', () => {
    expect(fixFormattedText({ text: '  \n hi \n', entities: [] })).toEqual({ text: 'hi', entities: [] });
    expect(fixFormattedText(md('\n\n *x* \n'))).toEqual({ text: 'x', entities: [{ type: 'bold', offset: 0, length: 1 }] });
    expect(fixFormattedText({ text: ' \n ', entities: [] })).toBeUndefined();
  });

  it('plain text and unknown parse modes', () => {
    expect(parseFormattedText('*not bold*', '', users)).toEqual({ text: '*not bold*', entities: [] });
    expect(() => parseFormattedText('x', 'Markdown3', users)).toThrow('Unsupported parse_mode');
    expect(codePointLength('🙂a')).toBe(2);
  });

  it('detects commands, urls, hashtags and mentions', () => {
    expect(detectEntities('/start@patchbay_bot now, see https://x.com/a. #tag @alice_test', [], { botCommands: true })).toEqual([
      { type: 'bot_command', offset: 0, length: 19 },
      { type: 'url', offset: 29, length: 15 },
      { type: 'hashtag', offset: 46, length: 4 },
      { type: 'mention', offset: 51, length: 11 },
    ]);
    expect(detectEntities('see https://x.com', [{ type: 'code', offset: 4, length: 13 }], { botCommands: false })).toEqual([{ type: 'code', offset: 4, length: 13 }]);
  });
});
