/**
 * roster's error tree. Only the CLI entry point maps these to exit codes and output.
 *
 * - {@link UserError}: the person can fix it (bad config, bad flag, database unreachable). Shown without a stack trace.
 * - {@link ConfigError}: a UserError carrying every positioned diagnostic found in the configuration at once.
 * - {@link InternalError}: a bug in roster. Shown with its cause so it can be reported.
 */
import { escapeText } from './render/escape.ts';

export { escapeText };

/** A position in a configuration file, 1-based. */
export interface SourcePosition {
  readonly file: string;
  readonly line: number;
  readonly col: number;
}

/** One problem in the configuration, pointing at the offending YAML node. */
export interface Diagnostic {
  readonly position: SourcePosition;
  readonly message: string;
  /** Other places involved, e.g. the first definition of a duplicate. */
  readonly related?: readonly { readonly position: SourcePosition; readonly message: string }[];
}

/** Base class of every error roster raises on purpose. */
export abstract class RosterError extends Error {
  override readonly name: string = this.constructor.name;
}

/** A mistake the person running roster can fix; its message says what to do. */
export class UserError extends RosterError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** The configuration is invalid; `diagnostics` lists every problem, in file and line order. */
export class ConfigError extends UserError {
  readonly diagnostics: readonly Diagnostic[];
  constructor(diagnostics: readonly Diagnostic[]) {
    super(`the configuration has ${diagnostics.length} problem${diagnostics.length === 1 ? '' : 's'}`);
    this.diagnostics = sortDiagnostics(diagnostics);
  }
}

/** The database cannot be used: unreachable, wrong credentials, missing schema. */
export class DatabaseError extends UserError {}

/** A plan that cannot be applied as it stands (for example deleting a company that users still belong to). */
export class PlanRejectedError extends UserError {}

/** Something roster did not expect: a bug. */
export class InternalError extends RosterError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** Orders diagnostics by file, line and column so output is deterministic. */
export function sortDiagnostics(diagnostics: readonly Diagnostic[]): Diagnostic[] {
  return [...diagnostics].sort(
    (a, b) =>
      compareStrings(a.position.file, b.position.file) ||
      a.position.line - b.position.line ||
      a.position.col - b.position.col ||
      compareStrings(a.message, b.message),
  );
}

/** Code-point string comparison, independent of locale. */
export function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Formats one diagnostic as `file:line:col: message`, with related places on following lines. */
export function formatDiagnostic(d: Diagnostic): string {
  const head = visible(`${formatPosition(d.position)}: ${d.message}`);
  const related = (d.related ?? []).map((r) => `  ${visible(`${formatPosition(r.position)}: ${r.message}`)}`);
  return [head, ...related].join('\n');
}

// A message quotes a file's or the database's text: escaped by the one rule of every output (render/escape.ts), so it
// cannot break the line, forge CI log commands or reorder what a reviewer reads.
const visible = escapeText;

/** `file:line:col`. */
export function formatPosition(p: SourcePosition): string {
  return `${p.file}:${p.line}:${p.col}`;
}
