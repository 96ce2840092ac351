/**
 * Checks a parsed file against schema/roster.schema.json (ajv: draft-07, allErrors, strict, formats) and turns
 * ajv's errors into positioned diagnostics with messages a person can act on.
 */
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { default as addFormatsModule } from 'ajv-formats';
import type { Diagnostic } from '../errors.ts';
import { readPackageJson } from '../paths.ts';
import { PERMISSIONS } from '../model/permissions.ts';
import { positionAt, type PathSegment, type SourceFile } from './source-file.ts';

/** The JSON Schema every roster file conforms to: the single source of truth for the shape. */
export const ROSTER_SCHEMA = readPackageJson<Record<string, unknown>>('schema', 'roster.schema.json');

// ajv-formats is CommonJS whose default export is the function itself under NodeNext.
const addFormats = addFormatsModule as unknown as typeof addFormatsModule.default;

let compiled: ValidateFunction | undefined;

function validator(): ValidateFunction {
  if (!compiled) {
    // verbose: errors carry their parent schema, which names the allowed fields for "did you mean".
    const ajv = new Ajv({ allErrors: true, strict: true, allowUnionTypes: false, verbose: true });
    addFormats(ajv, ['email']);
    compiled = ajv.compile(ROSTER_SCHEMA);
  }
  return compiled!;
}

/** Returns a diagnostic for every place `file` departs from the schema; empty when it conforms. */
export function checkAgainstSchema(file: SourceFile): Diagnostic[] {
  const validate = validator();
  if (validate(file.value)) return [];
  const seen = new Set<string>();
  const diagnostics: Diagnostic[] = [];
  const errors = validate.errors ?? [];
  // An empty text fails both minLength and the "not blank" pattern: "must not be empty" says it once.
  const empty = new Set(errors.filter((e) => e.keyword === 'minLength').map((e) => e.instancePath));
  for (const error of errors) {
    if (error.keyword === 'pattern' && empty.has(error.instancePath)) continue;
    const diagnostic = toDiagnostic(file, error);
    const id = `${diagnostic.position.line}:${diagnostic.position.col}:${diagnostic.message}`;
    if (!seen.has(id)) {
      seen.add(id);
      diagnostics.push(diagnostic);
    }
  }
  return diagnostics;
}

function toDiagnostic(file: SourceFile, error: ErrorObject): Diagnostic {
  const path = parsePointer(error.instancePath);
  const where = describePath(path);
  const inPassword = path.includes('initialPassword');
  const value = valueAt(file.value, path);
  const field = path[path.length - 1];
  const params = error.params as Record<string, unknown>;
  const at = (p: readonly PathSegment[], key = false) => positionAt(file, p, { key });

  switch (error.keyword) {
    case 'additionalProperties': {
      const name = String(params.additionalProperty);
      const allowed = allowedFields(error.parentSchema);
      const hint = closest(name, allowed);
      return {
        position: at([...path, name], true),
        message:
          `${where}: unknown field '${name}'` +
          (hint ? ` (did you mean '${hint}'?)` : allowed.length > 0 ? ` (allowed: ${allowed.join(', ')})` : ''),
      };
    }
    case 'required':
      return { position: at(path), message: `${where}: missing required field '${String(params.missingProperty)}'` };
    case 'type': {
      if (field === 'initialPassword') {
        return {
          position: at(path),
          message: `${where}: plain-text passwords are not allowed; use { env: VARIABLE_NAME } or { hash: "<PHC string>" }`,
        };
      }
      if (path.length === 0) {
        return { position: at(path), message: 'a roster file is a mapping with organization, companies, roles or users at the top level' };
      }
      return { position: at(path), message: `${where}: must be ${article(String(params.type))}${inPassword ? '' : `, not ${describeValue(value)}`}` };
    }
    case 'minProperties':
    case 'maxProperties':
    case 'not':
      if (field === 'initialPassword') {
        return { position: at(path), message: `${where}: give exactly one of env, file or hash` };
      }
      return { position: at(path), message: 'the file has no sections: add at least one of organization, companies, roles or users' };
    case 'pattern':
      return { position: at(path), message: patternMessage(where, field, value, inPassword) };
    case 'format':
      return { position: at(path), message: `${where}: '${String(value)}' is not a valid email address` };
    case 'enum':
      if (field === 'unmanagedUsers') return { position: at(path), message: `${where}: must be deactivate or ignore` };
      return {
        position: at(path),
        message: `${where}: unknown permission '${String(value)}'; the catalog is ${PERMISSIONS.join(', ')}`,
      };
    case 'uniqueItems': {
      // ajv names the later duplicate i and the earlier one j.
      const [later, earlier] = [Number(params.i), Number(params.j)];
      return {
        position: at([...path, later]),
        message: `${where}: '${String(valueAt(file.value, [...path, later]))}' is listed twice`,
        related: [{ position: at([...path, earlier]), message: 'first listed here' }],
      };
    }
    case 'minLength':
      return { position: at(path), message: `${where}: must not be empty` };
    case 'maxLength':
      return { position: at(path), message: `${where}: is longer than ${String(params.limit)} characters` };
    default:
      return { position: at(path), message: `${where}: ${error.message ?? 'is invalid'}` };
  }
}

function patternMessage(where: string, field: PathSegment | undefined, value: unknown, inPassword: boolean): string {
  if (inPassword && field === 'hash') return `${where}: unsupported hash; give a PHC string for scrypt ($scrypt$…) or argon2id ($argon2id$…)`;
  if (inPassword && field === 'env') return `${where}: an environment variable name is letters, digits and underscores, not starting with a digit`;
  if (field === 'name' || field === 'firstName' || field === 'lastName' || field === 'resetPassword') return `${where}: must not be blank`;
  return `${where}: '${String(value)}' is not a valid key; use lowercase letters, digits and single dashes (e.g. acme-us)`;
}

/** `/users/0/email` → ['users', 0, 'email']. */
function parsePointer(pointer: string): PathSegment[] {
  if (pointer === '') return [];
  return pointer
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((s) => (/^\d+$/.test(s) ? Number(s) : s));
}

/** `users[0].email`, the way people read a place in the config. */
export function describePath(path: readonly PathSegment[]): string {
  if (path.length === 0) return 'file';
  return path.map((s, i) => (typeof s === 'number' ? `[${s}]` : i === 0 ? s : `.${s}`)).join('');
}

function valueAt(root: unknown, path: readonly PathSegment[]): unknown {
  let node = root;
  for (const segment of path) {
    if (node === null || typeof node !== 'object') return undefined;
    node = (node as Record<string | number, unknown>)[segment];
  }
  return node;
}

function describeValue(value: unknown): string {
  if (value === null || value === undefined) return 'empty';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  return `${typeof value === 'string' ? 'the text' : `the ${typeof value}`} ${JSON.stringify(value)}`;
}

function article(type: string): string {
  const names: Record<string, string> = { object: 'a mapping', array: 'a list', string: 'text', boolean: 'true or false', number: 'a number' };
  return names[type] ?? type;
}

function allowedFields(schema: unknown): string[] {
  const properties = (schema as { properties?: Record<string, unknown> } | undefined)?.properties;
  return properties ? Object.keys(properties) : [];
}

/** The allowed name nearest to `name`, when it is plausibly a typo. */
function closest(name: string, allowed: readonly string[]): string | undefined {
  const limit = Math.max(1, Math.floor(name.length / 3));
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of allowed) {
    // The distance is at least the difference in length: skipping those keeps a megabyte-long key from costing
    // minutes (and a matrix of its length squared).
    if (Math.abs(name.length - candidate.length) > limit) continue;
    const d = editDistance(name.toLowerCase(), candidate.toLowerCase());
    if (d < bestDistance) [best, bestDistance] = [candidate, d];
  }
  return bestDistance <= limit ? best : undefined;
}

/** Edit distance where swapping two neighbouring letters counts as one edit (optimal string alignment). */
function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
  for (let j = 0; j <= b.length; j++) d[0]![j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) best = Math.min(best, d[i - 2]![j - 2]! + 1);
      d[i]![j] = best;
    }
  }
  return d[a.length]![b.length]!;
}
