/** Markdown for pull-request comments and job summaries, which code hosts cap at 65,536 characters. */
import { escapeText } from './escape.ts';

/**
 * Output stays strictly below this many characters and UTF-8 bytes (hosts count one or the other), leaving room
 * below the 65,536 cap for what a CI step adds around the comment.
 */
export const MARKDOWN_LIMIT = 60_000;

/** The size that counts against {@link MARKDOWN_LIMIT}: UTF-8 bytes, never fewer than JavaScript's UTF-16 length. */
export function markdownSize(text: string): number {
  return Buffer.byteLength(text, 'utf8');
}

// Characters with a meaning in Markdown (emphasis, code, links, HTML tags and entities, strikethrough, table pipes):
// each is escaped with a backslash, which CommonMark allows for any ASCII punctuation.
const MARKDOWN_SPECIAL = /[\\|*_`<>[\]~&!]/g;
// @mentions and #references (or headings) only where a word starts: `ci@acme.com` stays as it is.
const WORD_START_SPECIAL = /(^|[^\p{L}\p{N}_])([@#])/gu;

/**
 * Text safe inside a table cell or a list item: unsafe characters as `\u{…}` escapes (the rule of every output
 * format, so no raw CR, ESC or bidirectional override reaches a comment or a log), Markdown neutralised, and no
 * @mention or #reference that would notify people or link issues.
 */
export function cell(text: string): string {
  return escapeText(text)
    .replace(MARKDOWN_SPECIAL, (c) => `\\${c}`)
    .replace(WORD_START_SPECIAL, (_, before: string, c: string) => `${before}\\${c}`);
}

/**
 * Inline code, for keys and values: shown exactly (unsafe characters escaped), fenced with more backticks than the
 * text holds in a row, pipes escaped for the table cells it stands in.
 */
export function code(text: string): string {
  const safe = escapeText(text).replace(/\|/g, '\\|');
  const longestRun = Math.max(0, ...(safe.match(/`+/g) ?? []).map((run) => run.length));
  const fence = '`'.repeat(longestRun + 1);
  const pad = safe.startsWith('`') || safe.endsWith('`') || (safe.startsWith(' ') && safe.endsWith(' ') && safe.trim() !== '') ? ' ' : '';
  return `${fence}${pad}${safe}${pad}${fence}`;
}

/**
 * Builds Markdown up to a size limit. Blocks are added whole or not at all; each block may stand for some items,
 * and what did not fit is counted so the closing line can say honestly how many were not shown.
 */
export class MarkdownBudget {
  private readonly parts: string[] = [];
  private length = 0;
  private omitted = 0;
  private full = false;

  constructor(private readonly limit: number = MARKDOWN_LIMIT) {}

  /** Adds `text` if it fits (always, when `essential`); otherwise counts its `items` as not shown. */
  add(text: string, items = 0, essential = false): void {
    const size = markdownSize(text);
    if (!essential && (this.full || this.length + size > this.limit)) {
      this.full = true;
      this.omitted += items;
      return;
    }
    this.parts.push(text);
    this.length += size;
  }

  /** The Markdown, ending with `moreLine(n)` when n items were left out. */
  finish(moreLine: (omitted: number) => string): string {
    const body = this.parts.join('');
    return this.omitted > 0 ? `${body}\n${moreLine(this.omitted)}\n` : body;
  }
}
