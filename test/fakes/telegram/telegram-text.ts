/**
 * Text formatting as the Telegram Bot API does it, for FakeTelegramApi.
 *
 * `parseMarkdownV2` and `parseHtml` are line-by-line ports of tdlib's `parse_markdown_v2` and
 * `parse_html` (td/telegram/MessageEntity.cpp, tdlib/td master of 2026-07), which is the code the
 * Bot API server (tdlib/telegram-bot-api) runs for `parse_mode` MarkdownV2 / HTML. They work on
 * the UTF-8 bytes like the original, so error messages carry the same byte offsets, and they
 * count entity offsets/lengths in UTF-16 code units like the Bot API. Errors are thrown as
 * `EntityParseError` with tdlib's message; the Bot API answers them as
 * `400 "Bad Request: can't parse entities: <message>"`.
 *
 * `fixFormattedText` is the part of tdlib's `fix_formatted_text` that matters to a bot: trims
 * spaces/newlines at both ends (adjusting entities) and reports an all-whitespace text.
 * `detectEntities` is a simplified `find_entities` (bot_command, mention, hashtag, url).
 *
 * Simplifications (documented, not silent): URL checking for text links is WHATWG-URL based
 * rather than tdlib's LinkManager::check_link; `tg://time` (date_time) links are accepted
 * without validating the format; entities are sorted by offset then length (tdlib also orders
 * by type); splittable entities are not merged or split.
 */

export class EntityParseError extends Error {}

/** A Bot API MessageEntity. */
export interface MessageEntity {
  type: string;
  offset: number;
  length: number;
  url?: string;
  language?: string;
  custom_emoji_id?: string;
  user?: { id: number; is_bot: boolean; first_name: string; last_name?: string; username?: string };
  unix_time?: number;
  date_time_format?: string;
}

export interface FormattedText {
  text: string;
  entities: MessageEntity[];
}

/** Resolves `tg://user?id=…` mentions to users; return undefined to drop the entity. */
export type UserLookup = (userId: number) => MessageEntity['user'] | undefined;

type EntityType = 'Bold' | 'Italic' | 'Underline' | 'Strikethrough' | 'Spoiler' | 'Code' | 'Pre' | 'PreCode' | 'TextUrl' | 'CustomEmoji' | 'BlockQuote' | 'ExpandableBlockQuote';

interface RawEntity {
  type: EntityType | 'MentionName' | 'Date';
  offset: number;
  length: number;
  argument: string;
  userId?: number;
  date?: number;
}

const ch = (s: string): number => s.charCodeAt(0);
const BACKSLASH = ch('\\');
const NL = ch('\n');
const CR = ch('\r');
const BACKTICK = ch('`');

/** td::is_space: also true for the NUL that terminates a C string. */
function isSpace(c: number): boolean {
  return c === 32 || c === 9 || c === 13 || c === 10 || c === 0 || c === 11 || c === 12;
}

function isFirstCodeUnit(c: number): boolean {
  return (c & 0xc0) !== 0x80;
}

/** Byte access with C-string semantics: 0 past the end. */
function byteReader(bytes: Buffer): (i: number) => number {
  return (i) => (i >= 0 && i < bytes.length ? bytes[i] : 0);
}

function reservedError(c: number): EntityParseError {
  return new EntityParseError(`Character '${String.fromCharCode(c)}' is reserved and must be escaped with the preceding '\\'`);
}

/** LinkManager::get_link_user_id, for `tg://user?id=<id>` (also `tg:user?id=`). */
export function linkUserId(url: string): number | undefined {
  const m = /^tg:(?:\/\/)?user\?id=(\d+)$/i.exec(url.trim());
  if (!m) return undefined;
  const id = Number(m[1]);
  return id > 0 && Number.isSafeInteger(id) ? id : undefined;
}

/**
 * Approximates LinkManager::get_checked_link: http(s) URLs are normalised (a bare host gets a
 * trailing slash, as tdlib's HttpUrl does), a missing scheme means http, tg:/ton: links pass;
 * anything unparseable gives '' (the entity is dropped, as tdlib does).
 */
export function checkedLink(url: string): string {
  const trimmed = url.trim();
  if (!trimmed || /\s/.test(trimmed)) return '';
  if (/^(tg|ton|tonsite):/i.test(trimmed)) return trimmed;
  const withScheme = /^[a-z][a-z0-9+.-]*:/i.test(trimmed) ? trimmed : `http://${trimmed}`;
  try {
    const parsed = new URL(withScheme);
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') return '';
    if (!parsed.hostname) return '';
    return parsed.href;
  } catch {
    return '';
  }
}

/** Port of tdlib parse_markdown_v2. */
export function parseMarkdownV2(input: string): { text: string; entities: RawEntity[] } {
  const s = Buffer.from(input, 'utf8');
  const n = s.length;
  const at = byteReader(s);
  const out: number[] = [];
  const entities: RawEntity[] = [];
  let utf16 = 0;
  interface Nested {
    type: EntityType;
    argument: string;
    offset: number;
    byteOffset: number;
    beginPos: number;
  }
  const nested: Nested[] = [];
  const top = (): Nested => nested[nested.length - 1];
  let haveBlockquote = false;
  let canStartBlockquote = true;

  const readUrl = (start: number): { url: string; end: number } => {
    // start points at the first byte after '('; returns the index of ')' (or n)
    let i = start;
    const bytes: number[] = [];
    while (i < n && s[i] !== ch(')')) {
      if (s[i] === BACKSLASH && at(i + 1) > 0 && at(i + 1) <= 126) {
        bytes.push(s[i + 1]);
        i += 2;
        continue;
      }
      bytes.push(s[i++]);
    }
    if (at(i) !== ch(')')) throw new EntityParseError(`Can't find end of a URL at byte offset ${start}`);
    return { url: Buffer.from(bytes).toString('utf8'), end: i };
  };

  for (let i = 0; i < n; i++) {
    const c = s[i];
    if (c === BACKSLASH && at(i + 1) > 0 && at(i + 1) <= 126) {
      i++;
      utf16 += 1;
      out.push(s[i]);
      if (s[i] !== CR) canStartBlockquote = s[i] === NL;
      continue;
    }

    let reserved = '_*[]()~`>#+-=|{}.!\n';
    if (nested.length > 0) {
      const t = top().type;
      if (t === 'Code' || t === 'Pre' || t === 'PreCode') reserved = '`';
    }
    if (c >= 128 || c === 0 || !reserved.includes(String.fromCharCode(c))) {
      if (isFirstCodeUnit(c)) {
        utf16 += 1 + (c >= 0xf0 ? 1 : 0);
        if (c !== CR) canStartBlockquote = false;
      }
      out.push(c);
      continue;
    }

    const isEndOfAnEntity = ((): boolean => {
      if (nested.length === 0) return false;
      if (haveBlockquote && c === NL && (i + 1 === n || s[i + 1] !== ch('>'))) return true;
      switch (top().type) {
        case 'Bold':
          return c === ch('*');
        case 'Italic':
          return c === ch('_') && at(i + 1) !== ch('_');
        case 'Code':
          return c === BACKTICK;
        case 'Pre':
        case 'PreCode':
          return c === BACKTICK && at(i + 1) === BACKTICK && at(i + 2) === BACKTICK;
        case 'TextUrl':
          return c === ch(']');
        case 'Underline':
          return c === ch('_') && at(i + 1) === ch('_');
        case 'Strikethrough':
          return c === ch('~');
        case 'Spoiler':
          return c === ch('|') && at(i + 1) === ch('|');
        case 'CustomEmoji':
          return c === ch(']');
        default:
          return false; // BlockQuote
      }
    })();

    if (!isEndOfAnEntity) {
      // begin of an entity
      let type: EntityType | 'skip';
      let argument = '';
      const byteOffset = i;
      switch (String.fromCharCode(c)) {
        case '_':
          if (at(i + 1) === ch('_')) {
            type = 'Underline';
            i++;
          } else {
            type = 'Italic';
          }
          break;
        case '*':
          type = 'Bold';
          break;
        case '~':
          type = 'Strikethrough';
          break;
        case '|':
          if (at(i + 1) === ch('|')) {
            i++;
            type = 'Spoiler';
          } else {
            throw reservedError(c);
          }
          break;
        case '[':
          type = 'TextUrl';
          break;
        case '`':
          if (at(i + 1) === BACKTICK && at(i + 2) === BACKTICK) {
            i += 3;
            type = 'Pre';
            let languageEnd = i;
            while (!isSpace(at(languageEnd)) && at(languageEnd) !== BACKTICK) languageEnd++;
            if (i !== languageEnd && languageEnd < n && at(languageEnd) !== BACKTICK) {
              type = 'PreCode';
              argument = s.subarray(i, languageEnd).toString('utf8');
              i = languageEnd;
            }
            // skip one new line in the beginning of the text
            if (at(i) === NL || at(i) === CR) {
              if ((at(i + 1) === NL || at(i + 1) === CR) && at(i) !== at(i + 1)) i += 2;
              else i++;
            }
            i--;
          } else {
            type = 'Code';
          }
          break;
        case '!':
          if (at(i + 1) === ch('[')) {
            i++;
            type = 'CustomEmoji';
          } else {
            throw reservedError(c);
          }
          break;
        case '\n':
          utf16 += 1;
          out.push(NL);
          canStartBlockquote = true;
          type = 'skip';
          break;
        case '>':
          if (!canStartBlockquote) throw reservedError(c);
          if (haveBlockquote) {
            type = 'skip';
          } else {
            type = 'BlockQuote';
            haveBlockquote = true;
          }
          break;
        default:
          throw reservedError(c);
      }
      if (type === 'skip') continue;
      nested.push({ type, argument, offset: utf16, byteOffset, beginPos: out.length });
    } else {
      // end of an entity
      let type: RawEntity['type'] = top().type;
      if (c === NL && type !== 'BlockQuote') {
        const t = top();
        if (type !== 'Spoiler' || !(t.byteOffset === i - 2 || (t.byteOffset === i - 3 && out.length !== 0 && out[out.length - 1] === CR))) {
          throw new EntityParseError(`Can't find end of ${t.type} entity at byte offset ${t.byteOffset}`);
        }
        nested.pop();
        type = top().type;
        if (type !== 'BlockQuote') {
          throw new EntityParseError(`Can't find end of ${top().type} entity at byte offset ${top().byteOffset}`);
        }
        type = 'ExpandableBlockQuote';
      }
      let argument = top().argument;
      let userId: number | undefined;
      let date: number | undefined;
      let skipEntity = utf16 === top().offset;
      switch (type) {
        case 'Bold':
        case 'Italic':
        case 'Code':
        case 'Strikethrough':
          break;
        case 'Underline':
        case 'Spoiler':
          i++;
          break;
        case 'Pre':
        case 'PreCode':
          i += 2;
          break;
        case 'TextUrl': {
          let url: string;
          if (at(i + 1) !== ch('(')) {
            url = Buffer.from(out.slice(top().beginPos)).toString('utf8');
          } else {
            const r = readUrl(i + 2);
            url = r.url;
            i = r.end;
          }
          userId = linkUserId(url);
          if (userId === undefined) {
            url = checkedLink(url);
            if (!url) skipEntity = true;
            else argument = url;
          }
          break;
        }
        case 'CustomEmoji': {
          if (at(i + 1) !== ch('(')) throw new EntityParseError('The entity must contain a tg://emoji or tg://time URL');
          const r = readUrl(i + 2);
          i = r.end;
          const emoji = /^tg:\/\/emoji\?id=(\d+)$/i.exec(r.url);
          const time = /^tg:\/\/time\?unix=(\d+)(?:&format=([A-Za-z]*))?$/i.exec(r.url);
          if (emoji && emoji[1] !== '0') {
            argument = emoji[1];
          } else if (time) {
            type = 'Date';
            date = Number(time[1]);
            argument = time[2] ?? '';
          } else {
            throw new EntityParseError('Invalid tg://emoji or tg://time URL specified');
          }
          break;
        }
        case 'BlockQuote':
        case 'ExpandableBlockQuote':
          haveBlockquote = false;
          out.push(s[i]);
          canStartBlockquote = true;
          utf16 += 1;
          skipEntity = false;
          break;
        default:
          break;
      }
      if (!skipEntity) {
        const offset = top().offset;
        entities.push({ type: userId !== undefined ? 'MentionName' : type, offset, length: utf16 - offset, argument, userId, date });
      }
      nested.pop();
    }
  }
  if (haveBlockquote) {
    let type: EntityType = 'BlockQuote';
    if (top().type === 'Spoiler' && top().byteOffset === n - 2) {
      nested.pop();
      type = 'ExpandableBlockQuote';
    }
    if (top().type === 'BlockQuote') {
      haveBlockquote = false;
      const offset = top().offset;
      if (utf16 - offset !== 0) entities.push({ type, offset, length: utf16 - offset, argument: '' });
      nested.pop();
    }
  }
  if (nested.length > 0) {
    throw new EntityParseError(`Can't find end of ${top().type} entity at byte offset ${top().byteOffset}`);
  }
  sortEntities(entities);
  return { text: Buffer.from(out).toString('utf8'), entities };
}

const HTML_TAGS = new Set(['a', 'b', 'strong', 'i', 'em', 's', 'strike', 'del', 'u', 'ins', 'tg-spoiler', 'tg-emoji', 'tg-time', 'span', 'pre', 'code', 'blockquote']);

/** Port of tdlib decode_html_entity: returns the code point and the new position, or undefined. */
function decodeHtmlEntity(s: Buffer, pos: number): { code: number; next: number } | undefined {
  const at = byteReader(s);
  let end = pos + 1;
  let res = 0;
  if (at(pos + 1) === ch('#')) {
    end++;
    if (at(pos + 2) === ch('x')) {
      end++;
      while (/[0-9a-fA-F]/.test(String.fromCharCode(at(end))) && at(end) !== 0) res = res * 16 + parseInt(String.fromCharCode(s[end++]), 16);
    } else {
      while (at(end) >= ch('0') && at(end) <= ch('9')) res = res * 10 + (s[end++] - ch('0'));
    }
    if (res === 0 || res >= 0x10ffff || end - pos >= 10) return undefined;
  } else {
    while (/[A-Za-z]/.test(String.fromCharCode(at(end))) && at(end) !== 0) end++;
    const name = s.subarray(pos + 1, end).toString('latin1');
    if (name === 'lt') res = ch('<');
    else if (name === 'gt') res = ch('>');
    else if (name === 'amp') res = ch('&');
    else if (name === 'quot') res = ch('"');
    else return undefined;
  }
  return { code: res, next: at(end) === ch(';') ? end + 1 : end };
}

function pushCodePoint(out: number[], code: number): void {
  // append_utf8_character_unsafe, which also encodes lone surrogates (checked afterwards)
  if (code <= 0x7f) out.push(code);
  else if (code <= 0x7ff) out.push(0xc0 | (code >> 6), 0x80 | (code & 0x3f));
  else if (code <= 0xffff) out.push(0xe0 | (code >> 12), 0x80 | ((code >> 6) & 0x3f), 0x80 | (code & 0x3f));
  else out.push(0xf0 | (code >> 18), 0x80 | ((code >> 12) & 0x3f), 0x80 | ((code >> 6) & 0x3f), 0x80 | (code & 0x3f));
}

/** Port of tdlib parse_html. */
export function parseHtml(input: string): { text: string; entities: RawEntity[] } {
  const s = Buffer.from(input, 'utf8');
  const n = s.length;
  const at = byteReader(s);
  const out: number[] = [];
  const entities: RawEntity[] = [];
  let utf16 = 0;
  let needRecheckUtf8 = false;
  interface Nested {
    tagName: string;
    argument: string;
    date: number;
    offset: number;
    beginPos: number;
  }
  const nested: Nested[] = [];
  const lower = (a: number, b: number): string => s.subarray(a, b).toString('utf8').toLowerCase();

  for (let i = 0; i < n; i++) {
    const c = s[i];
    if (c === ch('&')) {
      const decoded = decodeHtmlEntity(s, i);
      if (decoded) {
        i = decoded.next - 1; // incremented by the loop
        utf16 += 1 + (decoded.code > 0xffff ? 1 : 0);
        if (decoded.code >= 0xd800 && decoded.code <= 0xdfff) needRecheckUtf8 = true;
        pushCodePoint(out, decoded.code);
        continue;
      }
    }
    if (c !== ch('<')) {
      if (isFirstCodeUnit(c)) utf16 += 1 + (c >= 0xf0 ? 1 : 0);
      out.push(c);
      continue;
    }

    const beginPos = i++;
    if (at(i) !== ch('/')) {
      // begin of an entity
      while (!isSpace(at(i)) && at(i) !== ch('>')) i++;
      if (at(i) === 0) throw new EntityParseError(`Unclosed start tag at byte offset ${beginPos}`);
      const tagName = lower(beginPos + 1, i);
      if (!HTML_TAGS.has(tagName)) throw new EntityParseError(`Unsupported start tag "${tagName}" at byte offset ${beginPos}`);

      let argument = '';
      let date = 0;
      while (at(i) !== ch('>')) {
        while (at(i) !== 0 && isSpace(at(i))) i++;
        if (at(i) === ch('>')) break;
        const attributeBegin = i;
        while (!isSpace(at(i)) && at(i) !== ch('=') && at(i) !== ch('>') && at(i) !== ch('/') && at(i) !== ch('"') && at(i) !== ch("'")) i++;
        const attributeName = s.subarray(attributeBegin, i).toString('utf8');
        if (attributeName === '') throw new EntityParseError(`Empty attribute name in the tag "${tagName}" at byte offset ${beginPos}`);
        while (at(i) !== 0 && isSpace(at(i))) i++;
        if (at(i) !== ch('=')) {
          if (at(i) === 0) throw new EntityParseError(`Unclosed start tag "${tagName}" at byte offset ${beginPos}`);
          if (tagName === 'blockquote' && attributeName === 'expandable') argument = '1';
          continue;
        }
        i++;
        while (at(i) !== 0 && isSpace(at(i))) i++;
        if (at(i) === 0) throw new EntityParseError(`Unclosed start tag "${tagName}" at byte offset ${beginPos}`);

        let attributeValue: string;
        if (at(i) !== ch("'") && at(i) !== ch('"')) {
          // a name token
          const tokenBegin = i;
          while (/[A-Za-z0-9.-]/.test(String.fromCharCode(at(i))) && at(i) !== 0) i++;
          attributeValue = lower(tokenBegin, i);
          if (!isSpace(at(i)) && at(i) !== ch('>')) throw new EntityParseError(`Unexpected end of name token at byte offset ${tokenBegin}`);
        } else {
          // a string literal
          const endCharacter = s[i++];
          const value: number[] = [];
          while (at(i) !== endCharacter && at(i) !== 0) {
            if (s[i] === ch('&')) {
              const decoded = decodeHtmlEntity(s, i);
              if (decoded) {
                pushCodePoint(value, decoded.code);
                i = decoded.next;
                continue;
              }
            }
            value.push(s[i++]);
          }
          if (at(i) === endCharacter) i++;
          attributeValue = Buffer.from(value).toString('utf8');
        }
        if (at(i) === 0) throw new EntityParseError(`Unclosed start tag at byte offset ${beginPos}`);

        if (tagName === 'a' && attributeName === 'href') argument = attributeValue;
        else if (tagName === 'code' && attributeName === 'class' && attributeValue.startsWith('language-')) argument = attributeValue.slice(9);
        else if (tagName === 'span' && attributeName === 'class' && attributeValue.startsWith('tg-')) argument = attributeValue.slice(3);
        else if (tagName === 'tg-emoji' && attributeName === 'emoji-id') argument = attributeValue;
        else if (tagName === 'blockquote' && attributeName === 'expandable') argument = '1';
        else if (tagName === 'tg-time' && attributeName === 'unix') date = toInteger(attributeValue);
        else if (tagName === 'tg-time' && attributeName === 'format') argument = attributeValue;
      }

      if (tagName === 'span' && argument !== 'spoiler') {
        throw new EntityParseError(`Tag "span" must have class "tg-spoiler" at byte offset ${beginPos}`);
      }
      nested.push({ tagName, argument, date, offset: utf16, beginPos: out.length });
    } else {
      // end of an entity
      if (nested.length === 0) throw new EntityParseError(`Unexpected end tag at byte offset ${beginPos}`);
      while (!isSpace(at(i)) && at(i) !== ch('>')) i++;
      const endTagName = lower(beginPos + 2, i);
      while (isSpace(at(i)) && at(i) !== 0) i++;
      if (at(i) !== ch('>')) throw new EntityParseError(`Unclosed end tag at byte offset ${beginPos}`);

      const top = nested[nested.length - 1];
      const tagName = top.tagName;
      if (endTagName !== '' && endTagName !== tagName) {
        throw new EntityParseError(`Unmatched end tag at byte offset ${beginPos}, expected "</${tagName}>", found "</${endTagName}>"`);
      }

      if (utf16 > top.offset) {
        const offset = top.offset;
        const length = utf16 - offset;
        const last = entities[entities.length - 1];
        if (tagName === 'i' || tagName === 'em') entities.push({ type: 'Italic', offset, length, argument: '' });
        else if (tagName === 'b' || tagName === 'strong') entities.push({ type: 'Bold', offset, length, argument: '' });
        else if (tagName === 's' || tagName === 'strike' || tagName === 'del') entities.push({ type: 'Strikethrough', offset, length, argument: '' });
        else if (tagName === 'u' || tagName === 'ins') entities.push({ type: 'Underline', offset, length, argument: '' });
        else if (tagName === 'tg-spoiler' || (tagName === 'span' && top.argument === 'spoiler')) entities.push({ type: 'Spoiler', offset, length, argument: '' });
        else if (tagName === 'tg-emoji') {
          if (!/^-?\d+$/.test(top.argument) || BigInt(top.argument) === 0n) throw new EntityParseError('Invalid custom emoji identifier specified');
          entities.push({ type: 'CustomEmoji', offset, length, argument: top.argument });
        } else if (tagName === 'tg-time') {
          if (top.date > 0) entities.push({ type: 'Date', offset, length, argument: top.argument, date: top.date });
        } else if (tagName === 'a') {
          let url = top.argument;
          if (url === '') url = Buffer.from(out.slice(top.beginPos)).toString('utf8');
          const userId = linkUserId(url);
          if (userId !== undefined) {
            entities.push({ type: 'MentionName', offset, length, argument: '', userId });
          } else {
            url = checkedLink(url);
            if (url) entities.push({ type: 'TextUrl', offset, length, argument: url });
          }
        } else if (tagName === 'pre') {
          if (last && last.type === 'Code' && last.offset === offset && last.length === length && last.argument !== '') {
            last.type = 'PreCode';
          } else {
            entities.push({ type: 'Pre', offset, length, argument: '' });
          }
        } else if (tagName === 'code') {
          if (last && last.type === 'Pre' && last.offset === offset && last.length === length && top.argument !== '') {
            last.type = 'PreCode';
            last.argument = top.argument;
          } else {
            entities.push({ type: 'Code', offset, length, argument: top.argument });
          }
        } else if (tagName === 'blockquote') {
          entities.push({ type: top.argument !== '' ? 'ExpandableBlockQuote' : 'BlockQuote', offset, length, argument: '' });
        }
      }
      nested.pop();
    }
  }
  if (nested.length > 0) {
    throw new EntityParseError(`Can't find end tag corresponding to start tag "${nested[nested.length - 1].tagName}"`);
  }
  for (const entity of entities) {
    if (entity.type === 'Code') entity.argument = '';
  }
  sortEntities(entities);
  const bytes = Buffer.from(out);
  const text = bytes.toString('utf8');
  if (needRecheckUtf8 && !Buffer.from(text, 'utf8').equals(bytes)) {
    throw new EntityParseError('Text contains invalid Unicode characters after decoding HTML entities, check for unmatched surrogate code units');
  }
  return { text, entities };
}

/** td::to_integer: optional sign, then digits up to the first non-digit; 0 when there are none. */
export function toInteger(value: string): number {
  const m = /^\s*(-?)(\d+)/.exec(value);
  if (!m) return 0;
  const n = Number(m[2]);
  return m[1] ? -n : n;
}

function sortEntities<T extends { offset: number; length: number }>(entities: T[]): void {
  entities.sort((a, b) => a.offset - b.offset || b.length - a.length);
}

const ENTITY_NAMES: Record<string, string> = {
  Bold: 'bold',
  Italic: 'italic',
  Underline: 'underline',
  Strikethrough: 'strikethrough',
  Spoiler: 'spoiler',
  Code: 'code',
  Pre: 'pre',
  PreCode: 'pre',
  TextUrl: 'text_link',
  CustomEmoji: 'custom_emoji',
  BlockQuote: 'blockquote',
  ExpandableBlockQuote: 'expandable_blockquote',
  MentionName: 'text_mention',
  Date: 'date_time',
};

function toBotApiEntity(raw: RawEntity, users: UserLookup): MessageEntity | undefined {
  const entity: MessageEntity = { offset: raw.offset, length: raw.length, type: ENTITY_NAMES[raw.type] };
  switch (raw.type) {
    case 'PreCode':
      entity.language = raw.argument;
      break;
    case 'TextUrl':
      entity.url = raw.argument;
      break;
    case 'CustomEmoji':
      entity.custom_emoji_id = raw.argument;
      break;
    case 'MentionName': {
      const user = users(raw.userId!);
      if (!user) return undefined;
      entity.user = user;
      break;
    }
    case 'Date':
      entity.unix_time = raw.date;
      if (raw.argument) entity.date_time_format = raw.argument;
      break;
    default:
      break;
  }
  return entity;
}

/**
 * Parses `text` as the Bot API does for `parse_mode` ('' / 'none' = plain). Throws
 * EntityParseError for markup errors and Error('Unsupported parse_mode') for an unknown mode.
 * Legacy 'Markdown' is accepted but not parsed (rarely used; documented).
 */
export function parseFormattedText(text: string, parseMode: string, users: UserLookup): FormattedText {
  const mode = parseMode.toLowerCase();
  if (text === '' || mode === '' || mode === 'none') return { text, entities: [] };
  let parsed: { text: string; entities: RawEntity[] };
  if (mode === 'markdownv2') parsed = parseMarkdownV2(text);
  else if (mode === 'html') parsed = parseHtml(text);
  else if (mode === 'markdown') parsed = { text, entities: [] };
  else throw new Error('Unsupported parse_mode');
  const entities: MessageEntity[] = [];
  for (const raw of parsed.entities) {
    if (raw.length <= 0) continue;
    const entity = toBotApiEntity(raw, users);
    if (entity) entities.push(entity);
  }
  return { text: parsed.text, entities };
}

/**
 * The trimming part of tdlib fix_formatted_text: strips ' ' and '\n' at the end (cutting
 * entities), and at the start up to the first entity (shifting entities). Returns undefined
 * when nothing but spaces/newlines is left ("Text must be non-empty").
 */
export function fixFormattedText(formatted: FormattedText): FormattedText | undefined {
  let { text } = formatted;
  let entities = formatted.entities.filter((e) => e.length > 0).map((e) => ({ ...e }));
  let end = text.length;
  while (end > 0 && (text[end - 1] === ' ' || text[end - 1] === '\n')) end--;
  if (end === 0) return undefined;
  text = text.slice(0, end);
  entities = entities.filter((e) => e.offset < end);
  for (const e of entities) if (e.offset + e.length > end) e.length = end - e.offset;
  sortEntities(entities);
  const firstEntity = entities.length > 0 ? entities[0].offset : text.length;
  let start = 0;
  while (start < firstEntity && (text[start] === ' ' || text[start] === '\n')) start++;
  if (start > 0) {
    text = text.slice(start);
    for (const e of entities) e.offset -= start;
  }
  return { text, entities };
}

/** Number of Unicode code points (tdlib utf8_length), which is what the 4096 limit counts. */
export function codePointLength(text: string): number {
  let count = 0;
  for (const _ of text) count++;
  return count;
}

/** UTF-16 length, the unit of entity offsets (and of JS string length). */
export function utf16Length(text: string): number {
  return text.length;
}

const NON_SPLITTABLE = new Set(['code', 'pre', 'text_link', 'text_mention', 'custom_emoji', 'url', 'mention', 'hashtag', 'bot_command', 'date_time']);

/**
 * A simplified tdlib find_entities + merge_new_entities: adds bot_command (optional), mention,
 * hashtag and url entities found in the plain text, unless they overlap an entity that cannot
 * contain them (code, pre, links, …).
 */
export function detectEntities(text: string, existing: MessageEntity[], options: { botCommands: boolean }): MessageEntity[] {
  const found: MessageEntity[] = [];
  const add = (type: string, offset: number, length: number): void => {
    const overlaps = existing.some((e) => NON_SPLITTABLE.has(e.type) && e.offset < offset + length && offset < e.offset + e.length);
    if (!overlaps) found.push({ type, offset, length });
  };
  const scan = (re: RegExp, type: string, trim?: (m: string) => string): void => {
    for (const m of text.matchAll(re)) {
      const prefix = m[1] ?? '';
      let value = m[0].slice(prefix.length);
      if (trim) value = trim(value);
      if (value.length > 0) add(type, (m.index ?? 0) + prefix.length, value.length);
    }
  };
  if (options.botCommands) scan(/(^|[^\w/@])\/[A-Za-z0-9_]{1,64}(?:@[A-Za-z0-9_]{3,32})?(?![\w@/])/g, 'bot_command');
  scan(/(^|[^\w@])@[A-Za-z0-9_]{5,32}(?![\w@])/g, 'mention');
  scan(/(^|[^\w#])#\w*[A-Za-z_]\w*/g, 'hashtag');
  scan(/(^|[^\w/])https?:\/\/[^\s<>"]+/gi, 'url', (v) => v.replace(/[.,;:!?'")\]]+$/, ''));
  const all = [...existing, ...found];
  sortEntities(all);
  return all;
}
