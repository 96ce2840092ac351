/**
 * Turns one file's bytes into a parsed YAML document with positions, or positioned diagnostics.
 * Never echoes file content in a message: a broken line may hold a secret.
 */
import { isMap, isPair, isScalar, isSeq, LineCounter, parseAllDocuments, parseDocument, type Document, type Node } from 'yaml';
import type { Diagnostic, SourcePosition } from '../errors.ts';
import { fastParse, NOT_FAST } from './fast-yaml.ts';

/** Decodes UTF-8, refusing invalid bytes (the BOM is kept, to be noted and removed). */
const STRICT_UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** Aliases a file may expand; anything near an alias bomb is refused. */
const MAX_ALIAS_COUNT = 100;

/**
 * A YAML file that parsed: its plain value, and its document (for positions and editing), which is built only
 * when something asks for it: a file read by the fast path never needs it unless it has a problem to point at.
 */
export class SourceFile {
  private parsed: { document: Document.Parsed; lineCounter: LineCounter } | undefined;

  constructor(
    /** The path as shown in messages (relative to the working directory when below it). */
    readonly path: string,
    /** The text (without a byte-order mark), for edits that keep everything else. */
    readonly text: string,
    /** Whether the file started with a UTF-8 byte-order mark. */
    readonly bom: boolean,
    /** The file's data. */
    readonly value: unknown,
    parsed?: { document: Document.Parsed; lineCounter: LineCounter },
  ) {
    this.parsed = parsed;
  }

  /** Whether the document has not been built (the file was read by the fast path and nothing needed more). */
  get lazy(): boolean {
    return this.parsed === undefined;
  }

  get document(): Document.Parsed {
    return this.full().document;
  }

  get lineCounter(): LineCounter {
    return this.full().lineCounter;
  }

  private full(): { document: Document.Parsed; lineCounter: LineCounter } {
    if (!this.parsed) {
      const lineCounter = new LineCounter();
      const docs = parseAllDocuments(this.text, { lineCounter, prettyErrors: false, uniqueKeys: true, strict: true, stringKeys: false });
      this.parsed = { document: (Array.isArray(docs) ? docs[0] : undefined) ?? parseDocument(''), lineCounter };
    }
    return this.parsed;
  }
}

export type PathSegment = string | number;

/**
 * Parses one configuration file. Returns the file, or the diagnostics that prevent using it.
 * With `fast` (the default) plain data is read by the fast path; `preParsed` is a value the fast path already
 * produced for this text (in a worker thread).
 */
export function parseSourceFile(
  path: string,
  bytes: Uint8Array,
  options: { fast?: boolean; preParsed?: unknown } = {},
): { file: SourceFile | null; diagnostics: Diagnostic[] } {
  const at = (line: number, col: number): SourcePosition => ({ file: path, line, col });
  const fail = (line: number, col: number, message: string) => ({ file: null, diagnostics: [{ position: at(line, col), message }] });

  const nul = bytes.indexOf(0);
  if (nul !== -1) {
    const { line, col } = positionOfByte(bytes, nul);
    return fail(line, col, 'this is not a text file (it contains a NUL byte); roster reads UTF-8 YAML files');
  }
  let text: string;
  try {
    text = STRICT_UTF8.decode(bytes);
  } catch {
    const { line, col } = positionOfByte(bytes, firstInvalidUtf8Byte(bytes));
    return fail(line, col, 'invalid UTF-8: save the file as UTF-8 text');
  }
  const bom = text.startsWith('\uFEFF');
  if (bom) text = text.slice(1);

  if (options.fast ?? true) {
    const value = options.preParsed !== undefined ? options.preParsed : fastParse(text);
    if (value !== NOT_FAST) return { file: new SourceFile(path, text, bom, value), diagnostics: [] };
  }

  const lineCounter = new LineCounter();
  const documents = parseAllDocuments(text, { lineCounter, prettyErrors: false, uniqueKeys: true, strict: true, stringKeys: false });
  const docs = Array.isArray(documents) ? documents : [];
  if (docs.length === 0 || (docs.length === 1 && docs[0]!.contents === null && docs[0]!.errors.length === 0)) {
    return fail(1, 1, 'the file is empty: add at least one of organization, companies, roles or users');
  }
  const diagnostics: Diagnostic[] = [];
  const positionOf = (offset: number): SourcePosition => {
    const { line, col } = lineCounter.linePos(offset);
    return at(line, col);
  };
  if (docs.length > 1) {
    const second = docs[1]!;
    diagnostics.push({
      position: positionOf(second.range[0]),
      message: 'a roster file holds one YAML document; split the documents after "---" into separate files',
    });
  }
  const document = docs[0]!;
  for (const problem of [...document.errors, ...document.warnings]) {
    diagnostics.push({ position: positionOf(problem.pos[0]), message: yamlMessage(problem.code, problem.message, text, problem.pos[0]) });
  }
  if (diagnostics.length > 0) return { file: null, diagnostics };

  const keyProblems = nonStringKeys(document.contents, positionOf);
  if (keyProblems.length > 0) return { file: null, diagnostics: keyProblems };

  let value: unknown;
  try {
    value = document.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch (error) {
    const message = error instanceof Error && /alias/i.test(error.message)
      ? 'aliases expand too far (more than 100 references): write the values out'
      : `cannot read this YAML: ${error instanceof Error ? error.message : String(error)}`;
    return fail(1, 1, message);
  }
  return { file: new SourceFile(path, text, bom, value, { document, lineCounter }), diagnostics: [] };
}

function yamlMessage(code: string, message: string, text: string, offset: number): string {
  switch (code) {
    case 'DUPLICATE_KEY': {
      const key = /^["']?([^"':\n]{1,80})/.exec(text.slice(offset))?.[1]?.trim();
      return `duplicate key${key ? ` '${key}'` : ''}: each key may appear once in a mapping`;
    }
    case 'TAG_RESOLVE_FAILED':
      return `${message}: roster files use plain YAML values without custom tags`;
    case 'TAB_AS_INDENT':
      return 'tabs are not allowed as indentation in YAML: indent with spaces';
    default:
      return `YAML syntax error: ${message}`;
  }
}

/** Mapping keys must be plain strings; `1: x`, `[a]: x` or `null: x` are refused where they stand. */
function nonStringKeys(root: unknown, positionOf: (offset: number) => SourcePosition): Diagnostic[] {
  const diagnostics: Diagnostic[] = [];
  const visit = (node: unknown): void => {
    if (isMap(node)) {
      for (const pair of node.items) {
        if (!isPair(pair)) continue;
        const key = pair.key;
        if (!(isScalar(key) && typeof key.value === 'string')) {
          const offset = (key as Node | null)?.range?.[0] ?? node.range?.[0] ?? 0;
          diagnostics.push({ position: positionOf(offset), message: 'mapping keys must be plain strings (field names)' });
        }
        visit(pair.value);
      }
    } else if (isSeq(node)) {
      for (const item of node.items) visit(item);
    }
  };
  visit(root);
  return diagnostics;
}

/** 1-based line and column (in characters) of a byte offset. */
function positionOfByte(bytes: Uint8Array, offset: number): { line: number; col: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < offset; i++) {
    if (bytes[i] === 0x0a) {
      line++;
      lineStart = i + 1;
    }
  }
  let col = 1;
  for (let i = lineStart; i < offset; i++) if ((bytes[i]! & 0xc0) !== 0x80) col++;
  return { line, col };
}

/** Offset of the first byte that is not part of valid UTF-8, or -1. */
function firstInvalidUtf8Byte(bytes: Uint8Array): number {
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i]!;
    if (b < 0x80) {
      i++;
      continue;
    }
    let needed: number;
    let min: number;
    if (b >= 0xc2 && b <= 0xdf) [needed, min] = [1, 0x80];
    else if (b >= 0xe0 && b <= 0xef) [needed, min] = [2, 0x800];
    else if (b >= 0xf0 && b <= 0xf4) [needed, min] = [3, 0x10000];
    else return i;
    let codePoint = b & (0x3f >> needed);
    for (let k = 1; k <= needed; k++) {
      const c = bytes[i + k];
      if (c === undefined || (c & 0xc0) !== 0x80) return i;
      codePoint = (codePoint << 6) | (c & 0x3f);
    }
    if (codePoint < min || codePoint > 0x10ffff || (codePoint >= 0xd800 && codePoint <= 0xdfff)) return i;
    i += needed + 1;
  }
  return -1;
}

/**
 * The position of the node at `path` (or, with `key`, of the mapping key naming its last segment).
 * Falls back to the nearest existing ancestor, so a message always has a place.
 */
export function positionAt(file: SourceFile, path: readonly PathSegment[], options: { key?: boolean } = {}): SourcePosition {
  let node: unknown = file.document.contents;
  let offset = (node as Node | null)?.range?.[0] ?? 0;
  for (let i = 0; i < path.length; i++) {
    const segment = path[i]!;
    const last = i === path.length - 1;
    if (isMap(node)) {
      const pair = node.items.find((p) => isScalar(p.key) && p.key.value === segment);
      if (!pair) break;
      const keyNode = pair.key as Node;
      if (last && options.key) {
        offset = keyNode.range?.[0] ?? offset;
        break;
      }
      node = pair.value;
      offset = (node as Node | null)?.range?.[0] ?? keyNode.range?.[0] ?? offset;
    } else if (isSeq(node) && typeof segment === 'number') {
      const item = node.items[segment];
      if (item === undefined) break;
      node = item;
      offset = (item as Node | null)?.range?.[0] ?? offset;
    } else {
      break;
    }
  }
  const { line, col } = file.lineCounter.linePos(offset);
  return { file: file.path, line, col };
}
