/** Markdown for pull-request comments and job summaries, which code hosts cap at 65,536 characters. */

/** Where output stops, leaving room for the closing line: safely below the 65,536 limit. */
export const MARKDOWN_LIMIT = 60_000;

/** Text safe inside a table cell: pipes escaped, line breaks flattened, Markdown emphasis neutralised. */
export function cell(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/\|/g, '\\|').replace(/[*_`<>[\]]/g, (c) => `\\${c}`).replace(/\r?\n/g, ' ');
}

/** Inline code, for keys and values (backticks inside are replaced so the span cannot break). */
export function code(text: string): string {
  return `\`${text.replace(/`/g, "'").replace(/\|/g, '\\|').replace(/\r?\n/g, ' ')}\``;
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
    if (!essential && (this.full || this.length + text.length > this.limit)) {
      this.full = true;
      this.omitted += items;
      return;
    }
    this.parts.push(text);
    this.length += text.length;
  }

  /** The Markdown, ending with `moreLine(n)` when n items were left out. */
  finish(moreLine: (omitted: number) => string): string {
    const body = this.parts.join('');
    return this.omitted > 0 ? `${body}\n${moreLine(this.omitted)}\n` : body;
  }
}
