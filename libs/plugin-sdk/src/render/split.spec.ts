import { fenceSafeEnd, openFenceAfter, openFenceAt, splitMessage, splitParts } from './split';
import { prng } from '../testing/prng';

describe('splitMessage', () => {
  it('keeps a text that fits whole, and gives nothing for an empty one', () => {
    expect(splitMessage('Hello there.', 12)).toEqual(['Hello there.']);
    expect(splitMessage('', 10)).toEqual([]);
  });

  it('refuses a limit below one', () => {
    expect(() => splitMessage('abc', 0)).toThrow(RangeError);
    expect(() => splitMessage('abc', 2.5)).toThrow(RangeError);
  });

  it('cuts at the last paragraph break before a later line break, sentence end or space', () => {
    // Window of 33: a blank line at 13, a line break at 20, a sentence end and spaces later.
    const text = 'First para.\n\nSecond\nline. And more words here';
    expect(splitMessage(text, 33)).toEqual(['First para.\n\n', 'Second\nline. And more words here']);
  });

  it('counts a line of spaces as a blank line, and a CRLF blank line too', () => {
    expect(splitMessage('One.\n  \nTwo three four', 15)).toEqual(['One.\n  \n', 'Two three four']);
    expect(splitMessage('One.\r\n\r\nTwo. Three four', 16)).toEqual(['One.\r\n\r\n', 'Two. Three four']);
  });

  it('without a paragraph break, cuts at the last line break', () => {
    expect(splitMessage('alpha beta.\ngamma. delta epsilon', 25)).toEqual(['alpha beta.\n', 'gamma. delta epsilon']);
  });

  it('without line breaks, cuts after the last sentence end (". ", "! ", "? ")', () => {
    expect(splitMessage('One two. Three four five six', 20)).toEqual(['One two. ', 'Three four five six']);
    expect(splitMessage('Really! Yes it is so', 12)).toEqual(['Really! ', 'Yes it is so']);
    expect(splitMessage('Why? Because it is', 12)).toEqual(['Why? ', 'Because it ', 'is']);
  });

  it('without sentence ends, cuts after the last space', () => {
    expect(splitMessage('aaa bbb ccc ddd', 9)).toEqual(['aaa bbb ', 'ccc ddd']);
  });

  it('cuts a word longer than the limit anywhere, as often as needed', () => {
    expect(splitMessage('abcdefghij', 4)).toEqual(['abcd', 'efgh', 'ij']);
  });

  it('never cuts a surrogate pair or a CRLF apart, and keeps graphemes whole when they fit', () => {
    // 'a' + 😀 (2 units): a cut at 2 would split the pair.
    expect(splitMessage('a😀b😀', 2)).toEqual(['a', '😀', 'b', '😀']);
    expect(splitMessage('ab\r\ncd', 3)).toEqual(['ab', '\r\n', 'cd']);
    const family = '👨‍👩‍👧'; // 8 code units
    expect(splitMessage(family.repeat(3), 10)).toEqual([family, family, family]);
    expect(splitMessage('🇩🇪🇫🇷', 6)).toEqual(['🇩🇪', '🇫🇷']);
    expect(splitMessage('e\u0301e\u0301', 3)).toEqual(['e\u0301', 'e\u0301']);
  });

  it('moves a code block that fits a message of its own to the next message, whole', () => {
    const block = '```ts\nconst a = 1;\nconst b = 2;\n```';
    const text = `Intro line.\n${block}\nAfter.`;
    expect(splitMessage(text, 45)).toEqual(['Intro line.\n', `${block}\nAfter.`]);
  });

  it('closes a code block too long for one message at the end of it and reopens it, with its language, in the next', () => {
    const code = ['line one', 'line two', 'line three', 'line four'].join('\n');
    const text = `\`\`\`python\n${code}\n\`\`\``;
    expect(splitMessage(text, 34)).toEqual(['```python\nline one\nline two\n```', '```python\nline three\nline four\n```']);
  });

  it('counts the added fence lines toward the limit', () => {
    const text = '```js\n' + 'x'.repeat(30) + '\n```';
    const chunks = splitMessage(text, 20);
    for (const chunk of chunks) expect(chunk.length).toBeLessThanOrEqual(20);
    expect(chunks[0]).toBe('```js\n' + 'x'.repeat(10) + '\n```');
    expect(chunks[1]).toBe('```js\n' + 'x'.repeat(10) + '\n```');
    expect(
      splitParts(text, 20)
        .map((p) => text.slice(p.start, p.end))
        .join(''),
    ).toBe(text);
  });

  it('reopens a fence without a language as a bare fence', () => {
    expect(splitMessage('```\naaaa\nbbbb\ncccc\n```', 14)).toEqual(['```\naaaa\n```', '```\nbbbb\n```', '```\ncccc\n```']);
  });

  it('does not take a shorter backtick run for the end of a longer fence', () => {
    const text = '````md\n```js\nx\n```\ntail of the outer block\n````';
    const chunks = splitMessage(text, 30);
    expect(chunks[0]).toBe('````md\n```js\nx\n```\n````');
    expect(chunks.slice(1).every((c) => c.startsWith('````md\n'))).toBe(true);
    for (const chunk of chunks) expect(openFenceAfter(chunk)).toBeNull();
  });

  it('knows fences indented up to three spaces and with CRLF lines; not backticks inside a line', () => {
    expect(openFenceAfter('   ```sh\r\nls\r\n')).toEqual({ marker: '```', opener: '```sh' });
    expect(openFenceAfter('   ```sh\r\nls\r\n   ```\r\n')).toBeNull();
    expect(openFenceAfter('    ```sh\nls\n')).toBeNull();
    expect(openFenceAfter('use ```x``` inline\n')).toBeNull();
    expect(openFenceAfter('```a`b\n')).toBeNull();
  });

  it('never cuts where the next message would start with backticks, or end in a line that starts with them', () => {
    // The sentence end before the backticks would make "```not a fence" an opener.
    expect(splitMessage('Use it. ```not a fence', 15)).toEqual(['Use it. ```not ', 'a fence']);
    // Not after the spaces, the sentence end, nor within three spaces of the backticks.
    expect(splitMessage('Go on.   ```x y', 9)).toEqual(['Go ', 'on.   ```', 'x y']);
    for (const chunk of splitMessage('Use it. ```not a fence', 15)) expect(openFenceAfter(chunk)).toBeNull();
  });

  it('closes a block still open at the end only when asked (closeEnd), and continues one (openFence)', () => {
    expect(splitParts('intro\n```ts\nlet a', 100).map((p) => p.text)).toEqual(['intro\n```ts\nlet a']);
    expect(splitParts('intro\n```ts\nlet a', 100, { closeEnd: true }).map((p) => p.text)).toEqual(['intro\n```ts\nlet a\n```']);
    const fence = { marker: '```', opener: '```ts' };
    const parts = splitParts('b = 2\n```\nafter', 100, { openFence: fence });
    expect(parts.map((p) => p.text)).toEqual(['```ts\nb = 2\n```\nafter']);
    expect(parts[0].reopen).toBe('```ts\n');
  });

  it('tells where a text can end outside code blocks, and what block a position is in', () => {
    expect(fenceSafeEnd('a\n```ts\nx')).toBe(2);
    expect(fenceSafeEnd('a\n```ts\nx\n```\n')).toBe(14);
    expect(fenceSafeEnd('x\n', { marker: '```', opener: '```' })).toBe(0);
    expect(openFenceAt('a\n```ts\nx\n```\nb', 9)).toEqual({ marker: '```', opener: '```ts' });
    expect(openFenceAt('a\n```ts\nx\n```\nb', 2)).toBeNull();
    expect(openFenceAt('a\n```ts\nx\n```\nb', 14)).toBeNull();
  });

  describe('on generated texts', () => {
    const random = prng(20240607);
    const cases: Array<{ text: string; max: number }> = [];
    for (let i = 0; i < 1500; i++) {
      const maxes = [1, 2, 3, 7, 16, 40, 41, 64, 100, 257, 1000, 2000];
      const max = maxes[Math.floor(random() * maxes.length)];
      // Tiny limits make a chunk of nearly every character: shorter texts do.
      let text = generate(random);
      if (max < 16 && text.length > 3000) text = text.slice(0, isHigh(text.charCodeAt(2999)) ? 2999 : 3000);
      cases.push({ text, max });
    }
    // A few that are nothing but one kind of thing.
    cases.push({ text: 'x'.repeat(5000), max: 100 }, { text: '😀'.repeat(800), max: 101 }, { text: '\n'.repeat(300), max: 7 });
    cases.push({ text: `\`\`\`ts\n${'const a = 1;\n'.repeat(400)}\`\`\``, max: 200 }, { text: '```\n'.repeat(200), max: 50 });

    /** Runs `check` on every case; the cases it finds wrong, with what was wrong, shown at once. */
    function problems(check: (text: string, max: number) => string | null, minMax = 1): string[] {
      const found: string[] = [];
      for (const { text, max } of cases) {
        if (max < minMax) continue;
        const problem = check(text, max);
        if (problem) found.push(`${problem} — max ${max}, text ${JSON.stringify(text.length > 400 ? `${text.slice(0, 400)}…` : text)}`);
      }
      return found.slice(0, 5);
    }

    it('keeps every chunk within the limit and not empty, and never splits a surrogate pair when the limit allows', () => {
      expect(cases.filter((c) => c.text === '').every((c) => splitMessage(c.text, c.max).length === 0)).toBe(true);
      expect(
        problems((text, max) => {
          for (const [i, chunk] of splitMessage(text, max).entries()) {
            if (chunk.length === 0) return `chunk ${i} is empty`;
            if (chunk.length > max) return `chunk ${i} has ${chunk.length}`;
            if (max >= 2 && (isLow(chunk.charCodeAt(0)) || isHigh(chunk.charCodeAt(chunk.length - 1)))) return `chunk ${i} splits a surrogate pair`;
          }
          return null;
        }),
      ).toEqual([]);
    });

    it('gives back the text exactly when the added fence lines are taken out', () => {
      expect(
        problems((text, max) => {
          const parts = splitParts(text, max);
          let pos = 0;
          for (const [i, part] of parts.entries()) {
            if (part.start !== pos) return `chunk ${i} starts at ${part.start}, not ${pos}`;
            if (part.text !== part.reopen + text.slice(part.start, part.end) + part.close) return `chunk ${i} is not reopen + source + close`;
            pos = part.end;
          }
          if (pos !== text.length) return `the chunks end at ${pos} of ${text.length}`;
          if (parts.map((p) => text.slice(p.start, p.end)).join('') !== text) return 'the pieces do not join to the text';
          if (JSON.stringify(parts.map((p) => p.text)) !== JSON.stringify(splitMessage(text, max))) return 'splitMessage differs from splitParts';
          return null;
        }),
      ).toEqual([]);
    });

    it('closes and reopens exactly where a chunk ends inside a code block, balancing every chunk', () => {
      expect(
        problems((text, max) => {
          const regions = fenceRegions(text);
          const inside = (c: number) => regions.find((r) => r.open < c && c < r.end);
          const parts = splitParts(text, max);
          for (const [i, part] of parts.entries()) {
            const last = i === parts.length - 1;
            const startIn = i > 0 ? inside(part.start) : undefined;
            if (part.reopen !== (startIn ? `${startIn.marker}${startIn.info}\n` : '')) return `chunk ${i} reopens with ${JSON.stringify(part.reopen)}`;
            const endIn = last ? undefined : inside(part.end);
            if (endIn ? ![endIn.marker, `\n${endIn.marker}`].includes(part.close) : part.close !== '') return `chunk ${i} closes with ${JSON.stringify(part.close)}`;
            // The only chunk that may end with a block open is the last, for a text that does.
            if ((!last || !inside(text.length)) && openFenceAfter(part.text)) return `chunk ${i} leaves a block open: ${JSON.stringify(part.text)}`;
          }
          return null;
        }, 40),
      ).toEqual([]);
    });

    it('cuts inside a code block only when the block cannot fit in a chunk of its own', () => {
      expect(
        problems((text, max) => {
          const regions = fenceRegions(text);
          const parts = splitParts(text, max);
          for (const [i, part] of parts.slice(0, -1).entries()) {
            const region = regions.find((r) => r.open < part.end && part.end < r.end);
            if (region && !(region.end - region.open > max || part.start > region.open)) return `chunk ${i} cuts a block that fits`;
          }
          return null;
        }, 40),
      ).toEqual([]);
    });
  });
});

function isHigh(code: number): boolean {
  return code >= 0xd800 && code <= 0xdbff;
}

function isLow(code: number): boolean {
  return code >= 0xdc00 && code <= 0xdfff;
}

/**
 * Fenced blocks found independently of split.ts: [open, end) from the opener line's start
 * to the end of the closing backticks; an unclosed block runs to Infinity.
 */
function fenceRegions(text: string): Array<{ open: number; end: number; marker: string; info: string }> {
  const found: Array<{ open: number; end: number; marker: string; info: string }> = [];
  let current: { open: number; marker: string; info: string } | null = null;
  let offset = 0;
  for (const raw of text.split('\n')) {
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    const match = /^( {0,3})(`{3,})(.*)$/.exec(line);
    if (current) {
      if (match && match[2].length >= current.marker.length && match[3].trim() === '') {
        found.push({ ...current, end: offset + line.length });
        current = null;
      }
    } else if (match && !match[3].includes('`')) {
      current = { open: offset, marker: match[2], info: match[3].trim() };
    }
    offset += raw.length + 1;
  }
  if (current) found.push({ ...current, end: Number.POSITIVE_INFINITY });
  return found;
}

/** Markdown-ish text: words, sentences, blank lines, CRLF, long words, emoji, CJK, code blocks of all kinds. */
function generate(random: () => number): string {
  const pick = <T>(items: T[]): T => items[Math.floor(random() * items.length)];
  const word = () => pick(['a', 'to', 'the', 'split', 'message', 'renderer', 'über', '漢字', 'naïve', 'e\u0301t\u00e9']);
  const pieces: string[] = [];
  const n = Math.floor(random() * 60);
  for (let i = 0; i < n; i++) {
    const kind = random();
    if (kind < 0.35) pieces.push(Array.from({ length: 1 + Math.floor(random() * 12) }, word).join(' ') + pick(['. ', '! ', '? ', ' ', ', ', '.']));
    else if (kind < 0.5) pieces.push(pick(['\n', '\n\n', '\r\n', '\r\n\r\n', '\n \n', '\n\n\n']));
    else if (kind < 0.58) pieces.push(pick(['x', 'ab', '-', '/']).repeat(1 + Math.floor(random() * 400)));
    else if (kind < 0.66) pieces.push(pick(['😀', '👨‍👩‍👧', '🇩🇪', '✅', '🚀 ', '日本語', 'e\u0301']).repeat(1 + Math.floor(random() * 30)));
    else if (kind < 0.9) {
      const nl = random() < 0.15 ? '\r\n' : '\n';
      const marker = random() < 0.15 ? '````' : '```';
      const info = pick(['', 'ts', 'python', 'json', 'bash', 'c++ title="x"']);
      const indent = random() < 0.1 ? '  ' : '';
      const lines = Array.from({ length: Math.floor(random() * 40) }, () =>
        pick(['const a = 1;', '', '    indented()', '```', '```js', 'x'.repeat(Math.floor(random() * 120)), 'if (a) {', '}', '😀 emoji in code']),
      );
      const inner = marker === '````' ? lines : lines.filter((l) => !l.startsWith('```'));
      const closed = random() < 0.9;
      pieces.push(`${random() < 0.7 ? nl : ''}${indent}${marker}${info}${nl}${inner.join(nl)}${inner.length ? nl : ''}${closed ? `${indent}${marker}${nl}` : ''}`);
    } else pieces.push(' '.repeat(1 + Math.floor(random() * 5)));
  }
  return pieces.join('');
}
