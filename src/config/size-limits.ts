/**
 * Values too long to be valid, refused before any YAML parser runs. A parser's time and memory grow with what it
 * is given (a 60 MB quoted value took the full parser 47 s and 4.2 GB just to be told it is too long), and no valid
 * roster file comes near this limit. (Files too large to read are refused in read-files.ts, before reading.)
 */
import { CST, Lexer, LineCounter } from 'yaml';
import type { Diagnostic } from '../errors.ts';

/** The longest value (or key) roster reads; the longest field allows 4,096 characters. */
export const MAX_VALUE_LENGTH = 100_000;

/**
 * A diagnostic for every scalar (value or key) of `text` longer than `limit` characters, at its first character.
 * A cheap scan of the text decides whether one may be there (almost never in a real file); only then is the text
 * lexed exactly (the lexer keeps a long scalar as one token, so this stays linear in the text's size).
 */
export function overlongValues(path: string, text: string, limit = MAX_VALUE_LENGTH): Diagnostic[] {
  if (!mayHoldLongScalar(text, limit)) return [];
  const diagnostics: Diagnostic[] = [];
  const lineCounter = new LineCounter();
  lineCounter.addNewLine(0);
  let offset = 0;
  let header = -1;
  let counted = 0;
  let scalar = false;
  for (const token of new Lexer().lex(text)) {
    // The lexer marks what follows as a plain or block scalar's text with a control character that is not in the source.
    if (token === CST.SCALAR || token === CST.DOCUMENT || token === CST.FLOW_END) {
      scalar = token === CST.SCALAR;
      continue;
    }
    const type = CST.tokenType(token);
    if (type === 'block-scalar-header') header = offset;
    else if (type !== 'space' && type !== 'comment' && type !== 'newline' && !scalar) header = -1;
    const isScalar = scalar || type === 'single-quoted-scalar' || type === 'double-quoted-scalar';
    scalar = false;
    if (isScalar && token.length > limit) {
      // Lines are counted here only up to each long value: the parser, which would count them, does not run.
      for (let i = text.indexOf('\n', counted); i !== -1 && i < offset; i = text.indexOf('\n', i + 1)) lineCounter.addNewLine(i + 1);
      counted = offset;
      const { line, col } = lineCounter.linePos(header >= 0 ? header : offset);
      diagnostics.push({
        position: { file: path, line, col },
        message: `a value of ${token.length.toLocaleString('en-US')} characters: roster reads none longer than ${limit.toLocaleString('en-US')} (no field allows more than 4,096); shorten or remove it`,
      });
    }
    offset += token.length;
  }
  return diagnostics;
}

const LF = 10;
const CR = 13;
const TAB = 9;
const SPACE = 32;
const HASH = 35;
const DOUBLE_QUOTE = 34;
const SINGLE_QUOTE = 39;
const BACKSLASH = 92;

const isBlank = (c: number) => c === SPACE || c === TAB || c === CR || c === LF || Number.isNaN(c);
const isFlowIndicator = (c: number) => c === 44 /* , */ || c === 91 /* [ */ || c === 93 /* ] */ || c === 123 /* { */ || c === 125; /* } */

/**
 * Whether `text` may hold a scalar longer than `limit`: an over-estimate of each scalar's extent, in one pass.
 * Quoted scalars are measured between their quotes; plain and block scalars in block context by the lines that
 * could continue them (more indented than the line they start on); plain scalars in flow context up to the next
 * flow indicator. It errs on the side of "maybe": the exact answer comes from the lexer.
 */
export function mayHoldLongScalar(text: string, limit: number): boolean {
  const n = text.length;
  if (n <= limit) return false;
  let i = 0;
  let flow = 0;
  let plainStart = -1; // where the current plain scalar of flow context began, across lines
  lines: while (i < n) {
    const lineStart = i;
    while (i < n && text.charCodeAt(i) === SPACE) i++;
    let indent = i - lineStart;
    if (flow === 0 && (text.startsWith('---', i) || text.startsWith('...', i)) && isBlank(text.charCodeAt(i + 3))) {
      indent = -1; // a node on a document marker's line: everything after it may belong to it
      i += 3;
    }
    let nodeStart = true;
    while (i < n) {
      const c = text.charCodeAt(i);
      if (c === LF) {
        i++;
        continue lines;
      }
      if (c === SPACE || c === TAB || c === CR) {
        i++;
        continue;
      }
      if (c === HASH && (i === lineStart || isBlank(text.charCodeAt(i - 1)))) {
        i = nextLine(text, i);
        continue lines;
      }
      if (nodeStart && (c === DOUBLE_QUOTE || c === SINGLE_QUOTE)) {
        const end = closingQuote(text, i);
        if (end + 1 - i > limit) return true;
        i = end + 1;
        nodeStart = false;
        plainStart = -1;
        continue;
      }
      const next = text.charCodeAt(i + 1);
      if (flow > 0) {
        if (c === 91 || c === 123) flow++;
        else if (c === 93 || c === 125) flow--;
        if (isFlowIndicator(c) || (c === 58 /* : */ && (isBlank(next) || isFlowIndicator(next)))) {
          nodeStart = c !== 93 && c !== 125;
          plainStart = -1;
        } else if (nodeStart && c === 63 /* ? */ && isBlank(next)) {
          // an explicit key indicator: the node starts after it
        } else {
          if (plainStart < 0) plainStart = i;
          else if (i + 1 - plainStart > limit) return true;
          nodeStart = false;
        }
        i++;
        continue;
      }
      if (!nodeStart) {
        // After a quoted scalar or an alias: only `: value` can follow on this line.
        if (c === 58 && isBlank(next)) nodeStart = true;
        i++;
        continue;
      }
      if ((c === 45 /* - */ || c === 63 /* ? */ || c === 58) /* : */ && isBlank(next)) {
        i++;
        continue;
      }
      if (c === 91 || c === 123) {
        flow = 1;
        plainStart = -1;
        i++;
        continue;
      }
      if (c === 38 /* & */ || c === 33 /* ! */ || c === 42 /* * */) {
        // An anchor or a tag is followed by its node; an alias is a whole node.
        while (i < n && !isBlank(text.charCodeAt(i))) i++;
        if (c === 42) nodeStart = false;
        continue;
      }
      if (c === 124 /* | */ || c === 62 /* > */) {
        const start = nextLine(text, i);
        i = endOfIndented(text, start, indent, false);
        if (i - start > limit) return true;
        continue lines;
      }
      // A plain scalar: a key when `: ` ends it on this line, else a value that may go on over the next lines.
      const start = i;
      while (i < n) {
        const d = text.charCodeAt(i);
        if (d === LF || (d === 58 && isBlank(text.charCodeAt(i + 1))) || (d === HASH && isBlank(text.charCodeAt(i - 1)))) break;
        i++;
      }
      if (i - start > limit) return true;
      if (text.charCodeAt(i) === 58) {
        i++;
        continue;
      }
      const firstLine = i - start;
      const continued = nextLine(text, i);
      i = endOfIndented(text, continued, indent, true);
      if (firstLine + (i - continued) > limit) return true;
      continue lines;
    }
  }
  return false;
}

/** The offset after the line break ending the line at `i` (or the end of the text). */
function nextLine(text: string, i: number): number {
  const end = text.indexOf('\n', i);
  return end === -1 ? text.length : end + 1;
}

/** The offset of the closing quote of the quoted scalar opening at `i`, or the end of the text when it is not closed. */
function closingQuote(text: string, i: number): number {
  const quote = text[i]!;
  let j = i + 1;
  for (;;) {
    const end = text.indexOf(quote, j);
    if (end === -1) return text.length;
    if (quote === "'") {
      if (text.charCodeAt(end + 1) === SINGLE_QUOTE) {
        j = end + 2;
        continue;
      }
      return end;
    }
    let backslashes = 0;
    while (text.charCodeAt(end - 1 - backslashes) === BACKSLASH) backslashes++;
    if (backslashes % 2 === 0) return end;
    j = end + 1;
  }
}

/**
 * From the line starting at `start`, the offset of the first line that is not blank and not indented more than
 * `indent`. With `plain`, a line that cannot continue a plain scalar (a comment, or one holding `: ` or ` #`) ends it too.
 */
function endOfIndented(text: string, start: number, indent: number, plain: boolean): number {
  const n = text.length;
  let i = start;
  while (i < n) {
    let j = i;
    while (j < n && text.charCodeAt(j) === SPACE) j++;
    const end = nextLine(text, j);
    const first = text.charCodeAt(j);
    if (!(j === n || first === LF || first === CR || first === TAB)) {
      if (j - i <= indent) return i;
      if (plain && (first === HASH || endsPlainScalar(text, j, end))) return i;
    }
    i = end;
  }
  return n;
}

/** Whether the line `text[start, end)` holds `: `, ` #` or ends with `:`, which a plain scalar's next line cannot. */
function endsPlainScalar(text: string, start: number, end: number): boolean {
  for (let k = start; k < end; k++) {
    const c = text.charCodeAt(k);
    if ((c === 58 && isBlank(text.charCodeAt(k + 1))) || (c === HASH && isBlank(text.charCodeAt(k - 1)))) return true;
  }
  return false;
}
