/**
 * The one escaping rule of every output format: text from files or from the database never reaches a terminal, a
 * CI log, a pull-request comment or a JSON consumer with characters that are invisible or that change what is around
 * them. Each is written as `\u{…}` (its code point in hexadecimal); JSON output uses JSON's own `\uXXXX` instead.
 */

/**
 * C0 controls (tab and line breaks included), DEL, C1 controls (U+0085 included), spaces other than the ordinary
 * one (U+00A0, U+1680, U+2000–U+200A, U+202F, U+205F, U+3000: they look like a space in a review, but an email holding
 * one is another login), the soft hyphen, the Arabic letter mark, zero-width characters and directional marks (U+200B–U+200F), line and paragraph separators, bidirectional
 * embeddings, overrides and isolates (U+202A–U+202E, U+2066–U+2069), invisible operators (U+2060–U+2064), the byte
 * order mark, interlinear annotation controls, and unpaired surrogates.
 */
const UNSAFE = /[\u0000-\u001f\u007f-\u00a0\u00ad\u1680\u2000-\u200a\u202f\u205f\u3000\u061c\u180e\u200b-\u200f\u2028-\u202e\u2060-\u2064\u2066-\u2069\ufeff\ufff9-\ufffb]|[\ud800-\udfff]/gu;

/** `text` with every unsafe character (see {@link UNSAFE}) written as a `\u{…}` escape. Pure; safe for any string. */
export function escapeText(text: string): string {
  return text.replace(UNSAFE, (c) => `\\u{${c.codePointAt(0)!.toString(16)}}`);
}

/** Like {@link escapeText}, but keeps the line breaks of a message roster wrote on several lines. */
export function escapeLines(text: string): string {
  return text.split('\n').map(escapeText).join('\n');
}

/**
 * A deep copy of `value` with every string in it, object keys included, passed through {@link escapeText}: what a
 * text or Markdown renderer shows is then safe wherever it puts it. Arrays and plain objects are copied; other
 * values are returned as they are.
 */
export function escapeStrings<T>(value: T): T {
  if (typeof value === 'string') return escapeText(value) as T;
  if (Array.isArray(value)) return value.map((item) => escapeStrings(item)) as T;
  if (typeof value === 'object' && value !== null && Object.getPrototypeOf(value) === Object.prototype) {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [escapeText(key), escapeStrings(item)])) as T;
  }
  return value;
}

/** A string value shown in text output: in double quotes, escaped. */
export function quoteText(text: string): string {
  return `"${escapeText(text)}"`;
}

// What JSON.stringify leaves raw among the unsafe characters (it already escapes C0 controls and lone surrogates).
const UNSAFE_IN_JSON = /[\u007f-\u00a0\u00ad\u1680\u2000-\u200a\u202f\u205f\u3000\u061c\u180e\u200b-\u200f\u2028-\u202e\u2060-\u2064\u2066-\u2069\ufeff\ufff9-\ufffb]/g;

/**
 * JSON text (from JSON.stringify) with every unsafe character written as a JSON `\uXXXX` escape: the same data for a
 * parser, no raw control or bidirectional character for a terminal or log.
 */
export function escapeJson(json: string): string {
  return json.replace(UNSAFE_IN_JSON, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
