/**
 * Splitting text into chat messages: every chunk within the platform's limit (counted in
 * UTF-16 code units, as Telegram and Discord count), cut at the best place the chunk
 * allows, and never leaving a fenced code block half open. Pure functions.
 */

/** A fenced code block open at some point of a text: how to reopen and close it. */
export interface OpenFence {
  /** The backtick run that opened it (``` or longer); a closing line needs at least as many. */
  readonly marker: string;
  /** The line that reopens it in the next chunk: the marker and the info string, e.g. "```ts". */
  readonly opener: string;
}

/** One chunk of a split text, and where it came from. */
export interface SplitPart {
  /** The chunk as it is sent: `reopen + source.slice(start, end) + close`. */
  readonly text: string;
  readonly start: number;
  readonly end: number;
  /** Added before: the opener line of a code block an earlier chunk had to cut ("```ts\n"), or "". */
  readonly reopen: string;
  /** Added after: the closing line of a code block this chunk had to cut ("\n```", or "```" after a newline), or "". */
  readonly close: string;
  /** The code block still open at `end` in the source (the next chunk reopens it), or null. */
  readonly fenceAfter: OpenFence | null;
}

export interface SplitOptions {
  /** The text continues inside this code block (it is the rest of a longer text). */
  openFence?: OpenFence | null;
  /** Close a code block still open where the text ends, in the last chunk too (a preview of text still growing). */
  closeEnd?: boolean;
}

/**
 * Splits `text` into chunks of at most `maxLength` UTF-16 code units. Each cut is the last
 * paragraph break (blank line) the chunk allows, else the last line break, sentence end
 * (". ", "! ", "? "), space, and only then anywhere (between graphemes where it can).
 * A fenced code block is not cut when it fits in a chunk of its own; one that must be cut
 * is closed at the end of the chunk and reopened (with its language) at the start of the
 * next, those added lines counting toward the limit. No chunk is empty, and the chunks
 * without the added fence lines join to `text` exactly.
 */
export function splitMessage(text: string, maxLength: number): string[] {
  return splitParts(text, maxLength).map((part) => part.text);
}

/** splitMessage with the details: where each chunk came from and what was added to it. */
export function splitParts(text: string, maxLength: number, options: SplitOptions = {}): SplitPart[] {
  if (!Number.isInteger(maxLength) || maxLength < 1) throw new RangeError(`maxLength must be a positive integer, got ${maxLength}`);
  const regions = scanRegions(text, options.openFence ?? null).filter((r) => repairable(r.fence, maxLength));
  const parts: SplitPart[] = [];
  let pos = 0;
  let fence: OpenFence | null = regions[0]?.open === -1 ? regions[0].fence : null;
  while (pos < text.length) {
    const reopen = fence ? `${fence.opener}\n` : '';
    const last = regions.at(-1);
    const endRegion = last && !last.closed ? last : null;
    const endClose = options.closeEnd && endRegion ? closeFor(text, text.length, endRegion.fence) : '';
    if (reopen.length + (text.length - pos) + endClose.length <= maxLength) {
      parts.push(part(text, pos, text.length, reopen, endClose, endRegion ? endRegion.fence : null));
      break;
    }
    const cut = chooseCut(text, maxLength, regions, pos, reopen.length, !!options.closeEnd);
    const region = cut.region;
    const close = region ? closeFor(text, cut.at, region.fence) : '';
    parts.push(part(text, pos, cut.at, reopen, close, region ? region.fence : null));
    pos = cut.at;
    fence = region ? region.fence : null;
    if (cut.dropRegion) regions.splice(regions.indexOf(cut.dropRegion), 1);
  }
  return parts;
}

/** The code block open at the end of `text` (which may itself start inside `openFence`), or null. */
export function openFenceAfter(text: string, openFence: OpenFence | null = null): OpenFence | null {
  const last = scanRegions(text, openFence).at(-1);
  return last && !last.closed ? last.fence : null;
}

/**
 * The code block `position` of `text` lies inside (a cut there would leave it open), judged
 * from the whole text, or null.
 */
export function openFenceAt(text: string, position: number, openFence: OpenFence | null = null): OpenFence | null {
  for (const region of scanRegions(text, openFence)) if (isInside(region, position)) return region.fence;
  return null;
}

/**
 * The last place `text` can be cut without leaving a code block open: its length, or where
 * the opener line of the block still open at its end starts (0 when the text starts inside
 * that block).
 */
export function fenceSafeEnd(text: string, openFence: OpenFence | null = null): number {
  const last = scanRegions(text, openFence).at(-1);
  return last && !last.closed ? Math.max(0, last.open) : text.length;
}

/** What closes `fence` after `source.slice(…, at)`: its marker on a line of its own. */
function closeFor(source: string, at: number, fence: OpenFence): string {
  return at > 0 && source.charCodeAt(at - 1) === LF ? fence.marker : `\n${fence.marker}`;
}

function part(source: string, start: number, end: number, reopen: string, close: string, fenceAfter: OpenFence | null): SplitPart {
  return { text: reopen + source.slice(start, end) + close, start, end, reopen, close, fenceAfter };
}

/** A fenced block in a text, by positions: its opener line, content, and closing line. */
interface Region {
  /** Start of the opener line; -1 when the text starts inside the block. */
  open: number;
  /** After the opener line's newline. */
  contentStart: number;
  /** Start of the closing line (the text's length when unclosed). */
  closeStart: number;
  /** End of the closing line's backticks and spaces, before its line break. */
  closeEnd: number;
  closed: boolean;
  fence: OpenFence;
}

/** A cut at `c` leaves the block open (the end of the text is inside a block never closed). */
function isInside(region: Region, c: number): boolean {
  return region.open < c && (c < region.closeEnd || !region.closed);
}

const OPENER = /^ {0,3}(`{3,})([^`]*)$/;
/** A line (or what follows a cut) that starts like a fence line. */
const FENCE_LIKE = /^ {0,3}```/;
const CLOSER = /^ {0,3}(`{3,})[ \t]*$/;
const LF = 10;
const CR = 13;

/** The fenced blocks of `text`, line by line (CRLF or LF), as CommonMark reads backtick fences. */
function scanRegions(text: string, initial: OpenFence | null): Region[] {
  const regions: Region[] = [];
  let current: Pick<Region, 'open' | 'contentStart' | 'fence'> | null = initial ? { open: -1, contentStart: 0, fence: initial } : null;
  let lineStart = 0;
  for (;;) {
    const newline = text.indexOf('\n', lineStart);
    const lineEnd = newline === -1 ? text.length : newline;
    // Most lines are not fences: look closer only at those starting with a backtick.
    const first = text.slice(lineStart, Math.min(lineEnd, lineStart + 4)).trimStart();
    if (first.startsWith('`')) {
      const contentEnd = lineEnd > lineStart && text.charCodeAt(lineEnd - 1) === CR ? lineEnd - 1 : lineEnd;
      const line = text.slice(lineStart, contentEnd);
      if (current) {
        const closer = CLOSER.exec(line);
        if (closer && closer[1].length >= current.fence.marker.length) {
          regions.push({ ...current, closeStart: lineStart, closeEnd: contentEnd, closed: true });
          current = null;
        }
      } else {
        const opener = OPENER.exec(line);
        if (opener) {
          const marker = opener[1];
          current = { open: lineStart, contentStart: newline === -1 ? text.length : newline + 1, fence: { marker, opener: marker + opener[2].trim() } };
        }
      }
    }
    if (newline === -1) break;
    lineStart = newline + 1;
  }
  if (current) regions.push({ ...current, closeStart: text.length, closeEnd: text.length, closed: false });
  return regions;
}

/** A block can be closed and reopened only when those lines leave room for some of its content. */
function repairable(fence: OpenFence, maxLength: number): boolean {
  return fence.opener.length + 1 + fence.marker.length + 1 + 4 <= maxLength;
}

/** Kinds of cut, best first. */
const PARAGRAPH = 0;
const LINE = 1;
const SENTENCE = 2;
const SPACE = 3;
const ANYWHERE = 4;
/** In a line that starts like a fence line, or just before backticks: only when nothing else fits… */
const FENCE_LINE = 5;
/** …and splitting a surrogate pair or a CRLF even less. */
const BAD = 6;

interface Cut {
  at: number;
  /** The block the cut is inside of (closed and reopened), or null. */
  region: Region | null;
  /** A block the cut had to break without closing it: from here on it is plain text. */
  dropRegion?: Region;
}

/** Where the chunk starting at `pos` ends (the source does not fit in it). */
function chooseCut(text: string, maxLength: number, regions: Region[], pos: number, reopenLength: number, closeEnd: boolean): Cut {
  const hi = Math.min(text.length, pos + maxLength - reopenLength);
  const best: Array<Cut | undefined> = [];
  /** The latest ANYWHERE cuts, for picking one between graphemes. */
  const anywhere: Cut[] = [];
  // k: the last region opening before c, moving down with c.
  let k = regions.length - 1;
  while (k >= 0 && regions[k].open >= hi) k--;
  // lineStart: where the line holding text[c - 1] starts, moving down with c.
  let lineStart = text.lastIndexOf('\n', hi - 2) + 1;
  let fenceLikeLine = FENCE_LIKE.test(text.slice(lineStart, lineStart + 6));
  for (let c = hi; c > pos; c--) {
    while (k >= 0 && regions[k].open >= c) k--;
    if (c <= lineStart) {
      lineStart = text.lastIndexOf('\n', c - 2) + 1;
      fenceLikeLine = FENCE_LIKE.test(text.slice(lineStart, lineStart + 6));
    }
    const region = k >= 0 && isInside(regions[k], c) ? regions[k] : null;
    if (region) {
      // Not in the opener or closing line, not an empty block, and only a block that cannot
      // be kept whole: one this chunk started inside of, or one longer than any chunk.
      if (c <= region.contentStart || c >= region.closeStart) continue;
      const size = region.closeEnd - region.open + (closeEnd && !region.closed ? region.fence.marker.length + 1 : 0);
      if (!(region.open < pos || size > maxLength)) continue;
      if (reopenLength + (c - pos) + closeFor(text, c, region.fence).length > maxLength) continue;
    }
    let kind = classify(text, c);
    // Mid-line, a cut must not make a fence line of a line that is none: no chunk may end
    // in the first part of a line starting with backticks, or start with backticks.
    if (kind !== BAD && text.charCodeAt(c - 1) !== LF && (fenceLikeLine || FENCE_LIKE.test(text.slice(c, c + 6)))) kind = FENCE_LINE;
    const cut = { at: c, region };
    if (kind === ANYWHERE && anywhere.length < 64) anywhere.push(cut);
    if (best[kind] === undefined) best[kind] = cut;
    if (kind === PARAGRAPH) break;
  }
  for (const kind of [PARAGRAPH, LINE, SENTENCE, SPACE]) if (best[kind]) return best[kind]!;
  if (anywhere.length > 0) return betweenGraphemes(text, anywhere) ?? anywhere[0];
  if (best[FENCE_LINE]) return best[FENCE_LINE]!;
  if (best[BAD]) return best[BAD]!;
  // Nothing fits with a block closed and reopened (only with absurdly small limits): cut
  // at the limit and let the block go on as plain text.
  let at = hi;
  if (at - 1 > pos && isHighSurrogate(text.charCodeAt(at - 1)) && isLowSurrogate(text.charCodeAt(at))) at--;
  const dropRegion = regions.find((r) => isInside(r, at));
  return { at, region: null, ...(dropRegion ? { dropRegion } : {}) };
}

/** What kind of place a cut between text[c - 1] and text[c] is. */
function classify(text: string, c: number): number {
  const before = text.charCodeAt(c - 1);
  if (before === LF) {
    // A paragraph break: the line this newline ends is blank, and a line break precedes it.
    let k = c - 2;
    while (k >= 0 && (text[k] === ' ' || text[k] === '\t' || text[k] === '\r')) k--;
    return k >= 0 && text.charCodeAt(k) === LF ? PARAGRAPH : LINE;
  }
  if (before === 32 || before === 9) {
    const end = text[c - 2];
    return before === 32 && (end === '.' || end === '!' || end === '?') ? SENTENCE : SPACE;
  }
  const after = text.charCodeAt(c);
  if (isHighSurrogate(before) && isLowSurrogate(after)) return BAD;
  if (before === CR && after === LF) return BAD;
  return ANYWHERE;
}

function isHighSurrogate(code: number): boolean {
  return code >= 0xd800 && code <= 0xdbff;
}

function isLowSurrogate(code: number): boolean {
  return code >= 0xdc00 && code <= 0xdfff;
}

let segmenter: Intl.Segmenter | undefined;

/** The latest of `cuts` (latest first) that falls between two graphemes (keeps 👨‍👩‍👧 and 🇩🇪 whole). */
function betweenGraphemes(text: string, cuts: Cut[]): Cut | undefined {
  // Between two characters below U+0300 (no combining marks, joiners, emoji) is always a
  // grapheme boundary: no need to ask the segmenter.
  if (text.charCodeAt(cuts[0].at - 1) < 0x300 && text.charCodeAt(cuts[0].at) < 0x300) return cuts[0];
  segmenter ??= new Intl.Segmenter(undefined, { granularity: 'grapheme' });
  const from = Math.max(0, cuts[cuts.length - 1].at - 32);
  const to = Math.min(text.length, cuts[0].at + 32);
  const boundaries = new Set<number>();
  for (const { index } of segmenter.segment(text.slice(from, to))) boundaries.add(from + index);
  return cuts.find((cut) => boundaries.has(cut.at));
}
