/**
 * One description of each entity's fields, read by every layer: the state's types, normalisation, the planner's field
 * diff, simulate, the state reader, the executor's SQL, export and `drift --write` (README, "Contributing").
 *
 * What is described here is an entity's plain attributes: values that are compared, written and exported the same
 * way whatever they mean. A user's identity and life cycle (email, active, password and its rotation) keep code of
 * their own: a rename, a deactivation and a password reset are not field edits.
 *
 * schema/roster.schema.json and schema/plan.schema.json describe the same fields; test/unit/fields.test.ts keeps
 * the three in step.
 */
import { compareStrings } from '../errors.ts';
import type { Permission } from './permissions.ts';

/**
 * - `text`: free text, normalised (NFC, trimmed); an optional one that is blank counts as absent.
 * - `reference`: the key of a row of another table; stored as that row's id in `column`.
 * - `permissions`: a list of permissions, sorted and without duplicates; stored in role_permissions.
 */
export type FieldType = 'text' | 'reference' | 'permissions';

export interface FieldDescriptor {
  /** The field's name in YAML, in the state, in plans and in drift reports. */
  readonly name: string;
  /** Its column in PostgreSQL (a reference's id column); null when it lives in another table. */
  readonly column: string | null;
  readonly type: FieldType;
  /** For references: the table whose `key` the value names (in the same organization). */
  readonly references?: 'roles' | 'companies';
  /** May be left out of the YAML and be NULL in the database; a plan can clear it. */
  readonly optional: boolean;
  /** Never shown as a value in any output (a plan shows `(sensitive)`). */
  readonly sensitive: boolean;
  /** How renderers show a value: quoted text, or a list in brackets with what was added and removed. */
  readonly show: 'text' | 'list';
  /** Whether export and `drift --write` write it into configuration files. */
  readonly exported: boolean;
}

export const ORGANIZATION_FIELDS = [
  { name: 'name', column: 'name', type: 'text', optional: false, sensitive: false, show: 'text', exported: true },
] as const satisfies readonly FieldDescriptor[];

export const COMPANY_FIELDS = [
  { name: 'name', column: 'name', type: 'text', optional: false, sensitive: false, show: 'text', exported: true },
] as const satisfies readonly FieldDescriptor[];

export const ROLE_FIELDS = [
  { name: 'name', column: 'name', type: 'text', optional: false, sensitive: false, show: 'text', exported: true },
  { name: 'description', column: 'description', type: 'text', optional: true, sensitive: false, show: 'text', exported: true },
  { name: 'permissions', column: null, type: 'permissions', optional: false, sensitive: false, show: 'list', exported: true },
] as const satisfies readonly FieldDescriptor[];

/** A user's attributes. To add one, see README, "Contributing". */
export const USER_FIELDS = [
  { name: 'firstName', column: 'first_name', type: 'text', optional: false, sensitive: false, show: 'text', exported: true },
  { name: 'lastName', column: 'last_name', type: 'text', optional: false, sensitive: false, show: 'text', exported: true },
  { name: 'role', column: 'role_id', type: 'reference', references: 'roles', optional: false, sensitive: false, show: 'text', exported: true },
  { name: 'company', column: 'company_id', type: 'reference', references: 'companies', optional: false, sensitive: false, show: 'text', exported: true },
] as const satisfies readonly FieldDescriptor[];

/** The columns of `users` outside {@link USER_FIELDS}: identity, life cycle, password. */
export const USER_FIXED_COLUMNS = ['email', 'active', 'deactivated_at', 'password_hash', 'password_reset_id'] as const;

type ValueOf<F extends FieldDescriptor> = F['type'] extends 'permissions' ? readonly Permission[] : string;

/**
 * The values of a list of fields, as the state holds them: required fields always there, optional ones possibly
 * absent or null (both mean "none").
 */
export type FieldValues<Fs extends readonly FieldDescriptor[]> = {
  readonly [F in Fs[number] as F['optional'] extends true ? never : F['name']]: ValueOf<F>;
} & {
  readonly [F in Fs[number] as F['optional'] extends true ? F['name'] : never]?: ValueOf<F> | null;
};

/** The value type of field `K` of a list of fields, never null. */
export type FieldValue<Fs extends readonly FieldDescriptor[], K extends Fs[number]['name']> = ValueOf<Extract<Fs[number], { name: K }>>;

/** A field's value of `spec`, null for none. */
export function fieldValue(spec: object, field: FieldDescriptor): unknown {
  const value: unknown = (spec as Record<string, unknown>)[field.name];
  return value === undefined ? null : value;
}

/** Whether two values of `field` are the same (lists compare item by item, in order: both are normalised). */
export function sameValue(field: FieldDescriptor, a: unknown, b: unknown): boolean {
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((item, i) => item === b[i]);
  return a === b;
}

/**
 * `spec` with each of `fields` in normal form, for `normalizeState`: text through `normalizeText` (an optional text
 * that is blank becomes null), permissions sorted and unique, references as they are.
 */
export function withNormalizedFields<T extends object>(
  fields: readonly FieldDescriptor[],
  spec: T,
  normalizeText: (text: string) => string,
  /** Other values of the result, set in the same copy (one object per row matters at a million users). */
  others: Partial<T> = {},
): T {
  const values: Record<string, unknown> = { ...(spec as object), ...others };
  for (const field of fields) {
    const value = fieldValue(spec, field);
    if (value === null) {
      values[field.name] = null;
      continue;
    }
    switch (field.type) {
      case 'text': {
        const text = normalizeText(String(value));
        values[field.name] = field.optional && text === '' ? null : text;
        break;
      }
      case 'permissions':
        values[field.name] = [...new Set(value as readonly string[])].sort(compareStrings);
        break;
      case 'reference':
        values[field.name] = value;
        break;
    }
  }
  // Each field keeps its type: text stays text, a list stays a list of the same items.
  return values as T;
}

/** Only the fields of `fields` from `source` (absent optional ones as null). */
export function withFieldsOf<Fs extends readonly FieldDescriptor[]>(fields: Fs, source: FieldValues<Fs>): FieldValues<Fs> {
  const values: Record<string, unknown> = {};
  for (const field of fields) values[field.name] = fieldValue(source, field);
  // Copied field by field from a value of the same type.
  return values as FieldValues<Fs>;
}

/**
 * `spec`'s exported fields as a configuration entry, in descriptor order, after `head` (its key or email): fields
 * with no value are left out, as a person writes them.
 */
export function configEntry(fields: readonly FieldDescriptor[], spec: object, head: Record<string, unknown>): Record<string, unknown> {
  const entry: Record<string, unknown> = { ...head };
  for (const field of fields) {
    const value = fieldValue(spec, field);
    if (!field.exported || value === null) continue;
    entry[field.name] = Array.isArray(value) ? [...value].sort(compareStrings) : value;
  }
  return entry;
}

/** Every field name a configuration entry and a plan share, for `drift --write`. */
export const CONFIG_FIELD_NAMES: ReadonlySet<string> = new Set(
  [...ORGANIZATION_FIELDS, ...COMPANY_FIELDS, ...ROLE_FIELDS, ...USER_FIELDS].filter((f) => f.exported).map((f) => f.name),
);
