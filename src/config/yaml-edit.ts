/**
 * Editing YAML files in place: each edit replaces only the characters of the node it changes, found through the
 * yaml document API, so comments, ordering, quoting and every other byte of the file stay as they were.
 */
import { isMap, isScalar, isSeq, visit, type Node, type Pair, type YAMLMap, type YAMLSeq } from 'yaml';
import { InternalError, UserError } from '../errors.ts';
import type { PathSegment, SourceFile } from './source-file.ts';

/** Replace `text[start, end)` with `text`. */
export interface TextEdit {
  readonly start: number;
  readonly end: number;
  readonly text: string;
}

/** Applies non-overlapping edits to `text`. */
export function applyEdits(text: string, edits: readonly TextEdit[]): string {
  // From the end of the text backwards; insertions at one place keep the order they were made in.
  const sorted = edits.map((edit, index) => ({ edit, index })).sort((a, b) => b.edit.start - a.edit.start || b.edit.end - a.edit.end || b.index - a.index);
  let result = text;
  let limit = Infinity;
  for (const { edit } of sorted) {
    if (edit.end > limit) throw new InternalError('overlapping YAML edits');
    result = result.slice(0, edit.start) + edit.text + result.slice(edit.end);
    limit = edit.start;
  }
  return result;
}

/**
 * A value as YAML text on one line that means exactly that value wherever it is put, in block or flow style: a
 * string is written plain only when it is plainly a string in every context (letters, digits, spaces inside and
 * `@._+-'`, not a word YAML reads as something else); otherwise double-quoted, with line breaks, control,
 * bidirectional and other invisible characters as escapes, so a stored value can neither add keys to a flow
 * mapping nor hide what it says from a reviewer. Lists become flow sequences of such scalars.
 */
export function inlineYaml(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(inlineYaml).join(', ')}]`;
  if (typeof value === 'string') return scalarYaml(value);
  if (typeof value === 'boolean' || (typeof value === 'number' && Number.isFinite(value))) return String(value);
  if (value === null || value === undefined) return 'null';
  throw new InternalError(`cannot write a ${typeof value} as a YAML scalar`);
}

/** Plain in block and flow context alike, and a string under YAML 1.2 and 1.1 resolvers. */
const SAFE_PLAIN = /^[A-Za-z][A-Za-z0-9 @._+'-]*$/;
const SPECIAL_WORDS = /^(?:true|false|yes|no|on|off|y|n|null|nan|inf)$/i;
/** What a double-quoted YAML scalar must (or, for a reviewer's sake, should) write as an escape. */
const ESCAPED = /[\u0000-\u001f"\\\u007f-\u009f\u00ad\u061c\u180e\u200b-\u200f\u2028-\u202e\u2060-\u2064\u2066-\u2069\ufeff\ufff9-\ufffb\ufffe\uffff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;
const SHORT_ESCAPES: Readonly<Record<string, string>> = { '"': '\\"', '\\': '\\\\', '\n': '\\n', '\t': '\\t', '\r': '\\r' };

/** A string as one YAML scalar (see {@link inlineYaml}). */
export function scalarYaml(text: string): string {
  if (SAFE_PLAIN.test(text) && !text.endsWith(' ') && !SPECIAL_WORDS.test(text) && !text.includes('  ')) return text;
  return `"${text.replace(ESCAPED, (c) => SHORT_ESCAPES[c] ?? `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)}"`;
}

function nodeAt(file: SourceFile, path: readonly PathSegment[]): unknown {
  return file.document.getIn([...path], true);
}

/**
 * Refuses to edit `node` when it defines an anchor that an alias elsewhere uses: the edit would change (or, removed,
 * break) those other places too. Throws {@link UserError}.
 */
function assertNotShared(file: SourceFile, node: unknown, path: readonly PathSegment[]): void {
  if (node === null || typeof node !== 'object' || !(node as Node).range) return;
  const [start, , end] = (node as Node).range!;
  const anchors = new Set<string>();
  visit(node as Node, (_, n) => {
    if ((isScalar(n) || isMap(n) || isSeq(n)) && n.anchor) anchors.add(n.anchor);
  });
  if (isScalar(node) || isMap(node) || isSeq(node)) {
    if (node.anchor) anchors.add(node.anchor);
  }
  if (anchors.size === 0) return;
  let shared: string | undefined;
  visit(file.document, {
    Alias(_, alias) {
      const at = alias.range?.[0] ?? -1;
      if (anchors.has(alias.source) && (at < start || at >= end)) {
        shared = alias.source;
        return visit.BREAK;
      }
      return undefined;
    },
  });
  if (shared !== undefined) {
    throw new UserError(
      `cannot edit ${file.path} at ${path.join('.')}: it defines the anchor &${shared}, which an alias (*${shared}) elsewhere uses; write the value out in both places, then run drift --write again`,
    );
  }
}

/** The node at `path`, which must be there. Throws {@link UserError} when it is not (written through an alias, …). */
function requireNode(file: SourceFile, path: readonly PathSegment[]): Node & { range: [number, number, number] } {
  const node = nodeAt(file, path) as (Node & { range: [number, number, number] }) | undefined;
  if (!node?.range) {
    throw new UserError(`cannot edit ${file.path} at ${path.join('.')}: it is not written there as plain YAML (an alias or a merge key?); make the change by hand`);
  }
  return node;
}

function newline(file: SourceFile): string {
  return file.text.includes('\r\n') ? '\r\n' : '\n';
}

function lineStart(text: string, offset: number): number {
  return text.lastIndexOf('\n', offset - 1) + 1;
}

function lineEnd(text: string, offset: number): number {
  const end = text.indexOf('\n', offset);
  return end === -1 ? text.length : end + 1;
}

function columnOf(text: string, offset: number): number {
  return offset - lineStart(text, offset);
}

/** Where a node's own text ends, before any trailing comment or line break. */
function valueEnd(node: Node): number {
  return node.range![1];
}

/** Replaces the value at `path` (which must exist) with `value`. */
export function setValue(file: SourceFile, path: readonly PathSegment[], value: unknown): TextEdit {
  const node = requireNode(file, path);
  assertNotShared(file, node, path);
  if (isSeq(node) && !node.flow && Array.isArray(value) && value.length > 0) {
    const indent = ' '.repeat(columnOf(file.text, node.range[0]));
    const items = value.map((v) => `- ${inlineYaml(v)}`).join(`${newline(file)}${indent}`);
    return { start: node.range[0], end: trimTrailing(file.text, node.range[0], valueEnd(node)), text: items };
  }
  // A block scalar's or block collection's range runs on to the next line: its line break stays.
  return { start: node.range[0], end: trimTrailing(file.text, node.range[0], valueEnd(node)), text: inlineYaml(value) };
}

/** A block node's range may run into the next line: stop at the end of its last content line. */
function trimTrailing(text: string, start: number, end: number): number {
  let e = end;
  while (e > start && /\s/.test(text[e - 1]!)) e--;
  return e;
}

/** Adds `key: value` to the mapping at `mapPath`, after its last entry, in the mapping's own style. */
export function addKey(file: SourceFile, mapPath: readonly PathSegment[], key: string, value: unknown): TextEdit {
  const map = nodeAt(file, mapPath) as YAMLMap | undefined;
  if (!isMap(map) || !map.range) throw new InternalError(`no YAML mapping at ${mapPath.join('.')} in ${file.path}`);
  const entry = `${key}: ${inlineYaml(value)}`;
  const last = map.items.at(-1) as Pair<Node, Node | null> | undefined;
  if (map.flow || !last) {
    const close = file.text.lastIndexOf('}', map.range[1]);
    const before = trimTrailing(file.text, map.range[0], close);
    return { start: before, end: before, text: map.items.length > 0 ? `, ${entry}` : entry };
  }
  const keyNode = last.key as Node;
  const indent = ' '.repeat(columnOf(file.text, keyNode.range![0]));
  const end = last.value && (last.value as Node).range ? valueEnd(last.value as Node) : keyNode.range![1];
  const at = lineEnd(file.text, trimTrailing(file.text, keyNode.range![0], end) - 1);
  const nl = newline(file);
  const needsBreak = at === file.text.length && !file.text.endsWith('\n');
  return { start: at, end: at, text: `${needsBreak ? nl : ''}${indent}${entry}${nl}` };
}

/** Removes `key` (and its value) from the mapping at `mapPath`. */
export function removeKey(file: SourceFile, mapPath: readonly PathSegment[], key: string): TextEdit {
  const map = nodeAt(file, mapPath) as YAMLMap | undefined;
  if (!isMap(map)) throw new InternalError(`no YAML mapping at ${mapPath.join('.')} in ${file.path}`);
  const index = map.items.findIndex((p) => isScalar(p.key) && p.key.value === key);
  const pair = map.items[index] as Pair<Node, Node | null> | undefined;
  if (!pair) throw new InternalError(`no key ${key} at ${mapPath.join('.')} in ${file.path}`);
  assertNotShared(file, pair.value, [...mapPath, key]);
  const keyStart = (pair.key as Node).range![0];
  const end = pair.value && (pair.value as Node).range ? valueEnd(pair.value as Node) : (pair.key as Node).range![1];
  if (map.flow) {
    // `{ a: 1, key: 2 }`: take the separator before it, or after it when it comes first.
    const previous = map.items[index - 1] as Pair<Node, Node | null> | undefined;
    if (previous) {
      const prevEnd = previous.value && (previous.value as Node).range ? valueEnd(previous.value as Node) : (previous.key as Node).range![1];
      return { start: prevEnd, end, text: '' };
    }
    const next = map.items[index + 1] as Pair<Node, Node | null> | undefined;
    return { start: keyStart, end: next ? (next.key as Node).range![0] : end, text: '' };
  }
  const start = lineStart(file.text, keyStart);
  if (file.text.slice(start, keyStart).trim() !== '') {
    // The first key of a list item, on the dash's line (`- key: v`): the next key moves up to the dash, with its
    // indentation; an item left without keys becomes `{}`.
    const next = map.items[index + 1] as Pair<Node, Node | null> | undefined;
    if (next) return { start: keyStart, end: (next.key as Node).range![0], text: '' };
    return { start: keyStart, end: trimTrailing(file.text, keyStart, end), text: '{}' };
  }
  // A block entry: its whole lines.
  return { start, end: lineEnd(file.text, trimTrailing(file.text, keyStart, end) - 1), text: '' };
}

/** Removes item `index` of the block sequence at `seqPath`, with its lines (comments inside it go too). */
export function removeItem(file: SourceFile, seqPath: readonly PathSegment[], index: number): TextEdit {
  const seq = nodeAt(file, seqPath) as YAMLSeq | undefined;
  if (!isSeq(seq)) throw new InternalError(`no YAML sequence at ${seqPath.join('.')} in ${file.path}`);
  const item = seq.items[index] as Node | undefined;
  if (!item?.range) throw new InternalError(`no item ${index} at ${seqPath.join('.')} in ${file.path}`);
  assertNotShared(file, item, [...seqPath, index]);
  if (seq.flow) {
    // `[a, item, b]`: take the separator before it, or after it when it comes first; the rest stays as written.
    const previous = seq.items[index - 1] as Node | undefined;
    if (previous?.range) return { start: valueEnd(previous), end: valueEnd(item), text: '' };
    const following = seq.items[index + 1] as Node | undefined;
    return { start: item.range[0], end: following?.range ? following.range[0] : valueEnd(item), text: '' };
  }
  const dash = file.text.lastIndexOf('-', item.range[0]);
  const start = lineStart(file.text, dash);
  const next = seq.items[index + 1] as Node | undefined;
  let end = next?.range ? lineStart(file.text, file.text.lastIndexOf('-', next.range[0])) : lineEnd(file.text, trimTrailing(file.text, item.range[0], valueEnd(item)) - 1);
  if (next?.range) {
    // Comment lines right above the next item are about it: they stay.
    const ownEnd = lineEnd(file.text, trimTrailing(file.text, item.range[0], valueEnd(item)) - 1);
    while (end > ownEnd) {
      const previous = lineStart(file.text, end - 1);
      if (!file.text.slice(previous, end).trim().startsWith('#')) break;
      end = previous;
    }
  }
  return { start, end, text: '' };
}

/**
 * Appends a mapping to the block sequence `section` at the top of the file, in the sequence's indentation;
 * creates the section at the end of the file when it is absent.
 */
export function appendItem(file: SourceFile, section: string, item: Record<string, unknown>): TextEdit {
  const nl = newline(file);
  const seq = nodeAt(file, [section]) as YAMLSeq | undefined;
  const render = (indent: string) =>
    Object.entries(item)
      .filter(([, v]) => v !== undefined)
      .map(([k, v], i) => `${indent}${i === 0 ? '- ' : '  '}${k}: ${inlineYaml(v)}`)
      .join(nl) + nl;
  if (isSeq(seq) && !seq.flow && seq.items.length > 0) {
    const first = seq.items[0] as Node;
    const indent = ' '.repeat(columnOf(file.text, file.text.lastIndexOf('-', first.range![0])));
    const last = seq.items.at(-1) as Node;
    const at = lineEnd(file.text, trimTrailing(file.text, last.range![0], valueEnd(last)) - 1);
    const needsBreak = at === file.text.length && !file.text.endsWith('\n');
    return { start: at, end: at, text: (needsBreak ? nl : '') + render(indent) };
  }
  if (isSeq(seq) && seq.flow && seq.items.length > 0 && seq.range) {
    // `users: [{…}, {…}]`: one more flow mapping before the closing bracket.
    const close = file.text.lastIndexOf(']', seq.range[1]);
    const before = trimTrailing(file.text, seq.range[0], close);
    const entries = Object.entries(item).filter(([, v]) => v !== undefined);
    return { start: before, end: before, text: `, { ${entries.map(([k, v]) => `${k}: ${inlineYaml(v)}`).join(', ')} }` };
  }
  if (seq !== undefined && seq !== null) {
    // `users: []` or an empty `users:`: replace the value with a block sequence.
    const pair = (file.document.contents as YAMLMap).items.find((p) => isScalar(p.key) && p.key.value === section)!;
    const keyEnd = (pair.key as Node).range![1];
    const valueStop = (seq as Node).range ? trimTrailing(file.text, keyEnd, valueEnd(seq as Node)) : keyEnd + 1;
    return { start: keyEnd, end: Math.max(valueStop, keyEnd), text: `:${nl}${render('  ').replace(new RegExp(`${nl}$`), '')}` };
  }
  const separator = file.text.length === 0 || file.text.endsWith('\n') ? '' : nl;
  return { start: file.text.length, end: file.text.length, text: `${separator}${section}:${nl}${render('  ')}` };
}
