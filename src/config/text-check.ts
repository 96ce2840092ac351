/**
 * Text PostgreSQL cannot store as written: a NUL character (`"\0"` in a quoted YAML string), or half of a UTF-16
 * surrogate pair (`"\ud800"`), which is not Unicode and would silently become U+FFFD. Refused at validation, with
 * its position, rather than failing the apply or storing something else.
 */
import type { Diagnostic } from '../errors.ts';
import { describePath } from './schema-check.ts';
import { positionAt, type PathSegment, type SourceFile } from './source-file.ts';

// Cheap first test: most strings contain neither, and this runs over every value of a 100,000-user file.
const SUSPECT = /[\0\uD800-\uDFFF]/;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** A diagnostic for every string value in `file` that cannot be stored exactly. */
export function checkStorableText(file: SourceFile): Diagnostic[] {
  const diagnostics: Diagnostic[] = [];
  // One path, pushed and popped, copied only for a problem: no allocation per value of a large file.
  const path: PathSegment[] = [];
  // Aliases share nodes, and can make cycles: each list or mapping is looked at once.
  const seen = new Set<object>();
  const visit = (value: unknown): void => {
    if (typeof value === 'string') {
      if (!SUSPECT.test(value)) return;
      const problem = value.includes('\0')
        ? 'contains a NUL character (\\0), which PostgreSQL cannot store; remove it'
        : LONE_SURROGATE.test(value)
          ? 'contains half of a surrogate pair (an escape like \\ud800 without its partner), which is not Unicode text; write the character itself'
          : null;
      if (problem) diagnostics.push({ position: positionAt(file, [...path]), message: `${describePath(path)}: ${problem}` });
    } else if (typeof value !== 'object' || value === null || seen.has(value)) {
      return;
    } else if (Array.isArray(value)) {
      seen.add(value);
      for (let i = 0; i < value.length; i++) {
        path.push(i);
        visit(value[i]);
        path.pop();
      }
    } else {
      seen.add(value);
      for (const key of Object.keys(value)) {
        path.push(key);
        visit((value as Record<string, unknown>)[key]);
        path.pop();
      }
    }
  };
  visit(file.value);
  return diagnostics;
}
