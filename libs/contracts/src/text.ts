import { z } from 'zod';

/** U+0000, which PostgreSQL refuses in text and jsonb alike ("\u0000 cannot be converted to text"). */
const NUL = /\u0000/g;
/** A high surrogate without its low half, or a low one without its high half (no `u` flag: code units). */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/**
 * Text as every part of Patchbay may keep it: NUL dropped and lone UTF-16 surrogates (which
 * PostgreSQL jsonb refuses, and UTF-8 cannot encode) replaced with U+FFFD. Other control
 * characters (tab, ESC, U+0001…) are legal in PostgreSQL text and jsonb and stay.
 */
export function sanitizeText(text: string): string {
  return text.replace(NUL, '').replace(LONE_SURROGATE, '\uFFFD');
}

/**
 * A string field that carries user or agent text: sanitised (sanitizeText) before any other
 * check, so every producer and consumer of the schema gets clean text.
 */
export function textField(): z.ZodString {
  return z.string().overwrite(sanitizeText);
}
