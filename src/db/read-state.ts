/**
 * Reads one organization's actual state into the same types as the desired state, with each row's version
 * (for saved plans) and change time (for drift reports).
 */
import type { CommonQueryMethods, FragmentSqlToken } from 'slonik';
import { z } from 'zod';
import { InternalError } from '../errors.ts';
import { USER_FIELDS, type FieldDescriptor } from '../model/fields.ts';
import { isPredefinedRole, PERMISSIONS } from '../model/permissions.ts';
import { emailKey, rowId, showStored, type OrgState, type StoredPredefinedRole, type UnreadableRow, type UserSpec } from '../model/state.ts';
import { sql } from './sql.ts';

export interface StoredOrganization {
  /** Database id of the organization, for the executor. */
  readonly id: number;
  readonly state: OrgState;
  /**
   * The version of every stored row, by rowId: PostgreSQL's xmin (it changes with every update of the row,
   * whoever makes it), plus the permission list for roles, whose permissions live in another table.
   */
  readonly versions: ReadonlyMap<string, string>;
  /** When each stored row last changed (or was created), in milliseconds since the epoch, by rowId. */
  readonly changedAt: ReadonlyMap<string, number>;
  /** Database id of every stored user, by email key: read with the state, so apply needs no lookup. */
  readonly userIds: ReadonlyMap<string, number>;
}

/** roster's last apply to an organization, from the audit trail. */
export interface LastApply {
  readonly at: string;
  readonly actor: string;
  readonly gitCommit: string | null;
}

/** Milliseconds since the epoch of a row's updated_at (set on insert, and by a trigger on every update). */
const CHANGED = sql.fragment`floor(extract(epoch from updated_at) * 1000)::float8 as changed_at`;

// Rows are typed at the boundary: the database is input too. A column someone made nullable, a check someone
// dropped or a permission someone added by hand must become a message naming the row, never a crash later on.
const text = z.string();
const nonBlank = z.string().regex(/\S/, 'is blank');
/**
 * What the organization, companies and roles queries return before the model's check: an id and a key (NULL only if
 * someone dropped the constraint), the other columns checked row by row below so that a bad one becomes a message.
 */
const StoredRow = z.object({ id: z.number(), key: z.string().nullable() }).passthrough();
const OrganizationRow = z.object({ id: z.number(), key: text, name: nonBlank, version: text, changed_at: z.number() });
const CompanyRow = z.object({ id: z.number(), key: text, name: nonBlank, version: text, changed_at: z.number() });
const RoleRow = z.object({
  id: z.number(),
  key: text,
  name: nonBlank,
  description: text.nullable(),
  predefined: z.boolean(),
  version: text,
  changed_at: z.number(),
  permissions: z.array(z.enum(PERMISSIONS)),
});
/**
 * One column of the users query. Each row arrives as a JSON array (far smaller than an object at a million users);
 * every value is found by its column's name through {@link USER_ROW_INDEX}, never by a position written by hand.
 */
interface UserColumn {
  /** The name of the value: the column, or what the expression computes. */
  readonly name: string;
  readonly expression: FragmentSqlToken;
  readonly schema: z.ZodTypeAny;
  /** The same test as `schema`, by hand (see {@link fitsUserRow}). */
  readonly fits: (value: unknown) => boolean;
}

const isText = (value: unknown) => typeof value === 'string';
const isNonBlank = (value: unknown) => typeof value === 'string' && BLANK.test(value);
const isBoolean = (value: unknown) => typeof value === 'boolean';
const orNull = (fits: (value: unknown) => boolean) => (value: unknown) => value === null || fits(value);

/** The users query's values: identity and life cycle, then each of USER_FIELDS by its descriptor. */
export const USER_ROW: readonly UserColumn[] = [
  { name: 'email', expression: sql.fragment`email`, schema: text, fits: isText },
  ...USER_FIELDS.map((field: FieldDescriptor): UserColumn => {
    const [schema, fits] = field.type === 'reference' ? [z.number(), isNumber] : [nonBlank, isNonBlank];
    return {
      name: field.column!,
      expression: sql.fragment`${sql.identifier([field.column!])}`,
      schema: field.optional ? (field.type === 'reference' ? schema.nullable() : text.nullable()) : schema,
      fits: field.optional ? orNull(field.type === 'reference' ? fits : isText) : fits,
    };
  }),
  { name: 'active', expression: sql.fragment`active`, schema: z.boolean(), fits: isBoolean },
  { name: 'password_reset_id', expression: sql.fragment`password_reset_id`, schema: text.nullable(), fits: orNull(isText) },
  { name: 'xmin', expression: sql.fragment`xmin::text`, schema: text, fits: isText },
  { name: 'updated_at', expression: sql.fragment`floor(extract(epoch from updated_at) * 1000)`, schema: z.number(), fits: isNumber },
  { name: 'id', expression: sql.fragment`id`, schema: z.number(), fits: isNumber },
  { name: 'has_password', expression: sql.fragment`has_password`, schema: z.boolean(), fits: isBoolean },
];
/** Where each value of {@link USER_ROW} is in a row, by name. */
const USER_ROW_INDEX: ReadonlyMap<string, number> = new Map(USER_ROW.map((column, i) => [column.name, i]));
const at = (name: string) => USER_ROW_INDEX.get(name)!;
const [EMAIL, ACTIVE, RESET, VERSION, CHANGED_AT, ID, HAS_PASSWORD] = ['email', 'active', 'password_reset_id', 'xmin', 'updated_at', 'id', 'has_password'].map(at) as [number, number, number, number, number, number, number];
/** Where each of USER_FIELDS is in a row, and the table a reference names: worked out once, not per row. */
const FIELD_READS = USER_FIELDS.map((field: FieldDescriptor) => ({
  name: field.name,
  index: at(field.column!),
  references: field.type === 'reference' ? field.references! : null,
}));
const UserRow = z.tuple(USER_ROW.map((column) => column.schema) as [z.ZodTypeAny, ...z.ZodTypeAny[]]);
const USER_CHECKS = USER_ROW.map((column) => column.fits);

const BLANK = /\S/;
/**
 * Whether `row` fits {@link UserRow}, checked by hand: zod takes some 7 µs a row, seconds at a million users. Exactly
 * the same test (test/unit/read-state-rows.test.ts compares them); zod still describes what is wrong with a row that fails.
 */
export function fitsUserRow(row: unknown): row is unknown[] {
  if (!Array.isArray(row) || row.length !== USER_CHECKS.length) return false;
  for (let i = 0; i < USER_CHECKS.length; i++) if (!USER_CHECKS[i]!(row[i])) return false;
  return true;
}

// A checked row's values, narrowed without casts (a failure here is roster's bug: the row passed fitsUserRow).
function textAt(row: readonly unknown[], i: number): string {
  const value = row[i];
  if (typeof value !== 'string') throw new InternalError(`users row value ${USER_ROW[i]?.name} is not text after its check`);
  return value;
}
function numberAt(row: readonly unknown[], i: number): number {
  const value = row[i];
  if (typeof value !== 'number') throw new InternalError(`users row value ${USER_ROW[i]?.name} is not a number after its check`);
  return value;
}
function booleanAt(row: readonly unknown[], i: number): boolean {
  const value = row[i];
  if (typeof value !== 'boolean') throw new InternalError(`users row value ${USER_ROW[i]?.name} is not a boolean after its check`);
  return value;
}

function isNumber(value: unknown): value is number {
  return typeof value === 'number' && !Number.isNaN(value);
}

/** The zod check of one users row, for tests. */
export function parseUserRow(row: unknown): boolean {
  return UserRow.safeParse(row).success;
}

/**
 * Reads the organization with `key`: its companies, roles and all users (deactivated ones included). Returns null
 * when the organization does not exist. Rows that do not fit roster's model are left out of the state and listed in
 * `state.unreadable`; predefined roles are in `state.predefinedRoles` as stored. Throws only what the database does.
 */
export async function readOrganization(db: CommonQueryMethods, key: string): Promise<StoredOrganization | null> {
  const organizationRaw = await db.maybeOne(sql.type(StoredRow)`
    select id::int as id, key, name, xmin::text as version, ${CHANGED} from organizations where key = ${key}`);
  if (organizationRaw === null) return null;
  const id = organizationRaw.id;
  const unreadable: UnreadableRow[] = [];
  const organization = OrganizationRow.safeParse(organizationRaw);
  if (!organization.success) unreadable.push(unreadableRow('organization', key, id, organization.error, (field) => field));
  const [companies, roles, usersText] = await Promise.all([
    db.any(sql.type(StoredRow)`select id::int as id, key, name, xmin::text as version, ${CHANGED} from companies where organization_id = ${id}`),
    db.any(sql.type(StoredRow)`
      select r.id::int as id, r.key, r.name, r.description, r.predefined, r.xmin::text as version,
             floor(extract(epoch from r.updated_at) * 1000)::float8 as changed_at,
             coalesce(array_agg(p.permission order by p.permission) filter (where p.permission is not null), '{}') as permissions
        from roles r left join role_permissions p on p.role_id = r.id
       where r.organization_id = ${id}
       group by r.id`),
    // One row of JSON text: a hundred thousand users arrive as one value, parsed in one pass. Roles and
    // companies are joined here rather than in SQL, which halves the query's time.
    db.oneFirst(sql.type(z.object({ users: z.string() }))`
      select coalesce(json_agg(json_build_array(${sql.join(USER_ROW.map((column) => column.expression), sql.fragment`, `)})), '[]')::text as users
        from users where organization_id = ${id}`),
  ]);

  const versions = new Map<string, string>();
  const changedAt = new Map<string, number>();
  if (organization.success) {
    versions.set(rowId('organization', key), organization.data.version);
    changedAt.set(rowId('organization', key), organization.data.changed_at);
  }
  // Keys by id from every row whose key can be read, so a user's role or company is named even when that row is unreadable.
  const companyKeys = new Map(companies.map((c) => [c.id, c.key]));
  const roleKeys = new Map(roles.map((r) => [r.id, r.key]));

  const companyList: OrgState['companies'][number][] = [];
  for (const raw of companies) {
    const row = CompanyRow.safeParse(raw);
    if (!row.success) {
      unreadable.push(unreadableRow('company', raw.key, raw.id, row.error, (field) => field));
      continue;
    }
    companyList.push({ key: row.data.key, name: row.data.name });
    versions.set(rowId('company', row.data.key), row.data.version);
    changedAt.set(rowId('company', row.data.key), row.data.changed_at);
  }

  const customRoles: OrgState['roles'][number][] = [];
  const predefinedRoles: StoredPredefinedRole[] = [];
  for (const raw of roles) {
    const row = RoleRow.safeParse(raw);
    if (!row.success) {
      unreadable.push(unreadableRow('role', raw.key, raw.id, row.error, (field) => (field === 'permissions' ? 'role_permissions.permission' : field)));
      continue;
    }
    const r = row.data;
    if (r.predefined || isPredefinedRole(r.key)) {
      predefinedRoles.push({ key: r.key, predefined: r.predefined, permissions: r.permissions });
      changedAt.set(rowId('role', r.key), r.changed_at); // drift says when a predefined role was changed by hand
      continue;
    }
    customRoles.push({ key: r.key, name: r.name, description: r.description, permissions: r.permissions });
    versions.set(rowId('role', r.key), `${r.version}/${r.permissions.join(',')}`);
    changedAt.set(rowId('role', r.key), r.changed_at);
  }

  const userIds = new Map<string, number>();
  const users: UserSpec[] = [];
  const keysOf = { roles: roleKeys, companies: companyKeys };
  const usersJson: unknown = JSON.parse(usersText);
  for (const raw of Array.isArray(usersJson) ? usersJson : []) {
    let row: readonly unknown[];
    if (fitsUserRow(raw)) {
      row = raw;
    } else {
      const parsed = UserRow.safeParse(raw);
      const rawEmail = Array.isArray(raw) && typeof raw[EMAIL] === 'string' ? raw[EMAIL] : null;
      const rawId = Array.isArray(raw) && typeof raw[ID] === 'number' ? raw[ID] : 0;
      if (!parsed.success) {
        unreadable.push(unreadableRow('user', rawEmail, rawId, parsed.error, (field) => USER_ROW[Number(field)]?.name ?? field));
        continue;
      }
      row = parsed.data;
    }
    const email = textAt(row, EMAIL);
    const userId = numberAt(row, ID);
    // The user's attributes are set on the user itself (one object per row: at a million users, a second one costs).
    const user: Record<string, unknown> = {
      email,
      active: booleanAt(row, ACTIVE),
      formerEmails: [],
      initialPassword: null,
      resetPassword: row[RESET] === null ? null : textAt(row, RESET),
      hasPassword: booleanAt(row, HAS_PASSWORD),
    };
    let missing: string | null = null;
    for (let f = 0; f < FIELD_READS.length; f++) {
      const { name, index, references } = FIELD_READS[f]!;
      const stored = row[index];
      if (references === null || stored === null) {
        user[name] = stored;
        continue;
      }
      const referenced = keysOf[references].get(numberAt(row, index));
      if (referenced == null) {
        missing ??= `${USER_ROW[index]!.name} ${String(stored)} names no ${name}`;
        continue;
      }
      user[name] = referenced;
    }
    if (missing !== null) {
      unreadable.push({
        type: 'user',
        key: email,
        id: userId,
        message: `${describeRow('user', email, userId)}: its ${missing} of the organization. Give it an existing one in the database, then plan again.`,
      });
      continue;
    }
    const stored = rowId('user', email);
    versions.set(stored, textAt(row, VERSION));
    changedAt.set(stored, numberAt(row, CHANGED_AT));
    userIds.set(emailKey(email), userId);
    // Each attribute passed its column's check (text, or a key found for a reference), as USER_FIELDS describes it.
    users.push(user as unknown as UserSpec);
  }
  return {
    id,
    versions,
    changedAt,
    userIds,
    state: {
      organization: { key, name: organization.success ? organization.data.name : '' },
      companies: companyList,
      roles: customRoles,
      users,
      predefinedRoles,
      unreadable,
    },
  };
}

const TABLES = { organization: 'organizations', company: 'companies', role: 'roles', user: 'users' } as const;

/** `user 'bob@example.com' (id 12) in the database`. */
function describeRow(type: UnreadableRow['type'], key: string | null, id: number): string {
  return `${type} ${key === null ? '' : `'${showStored(key)}' `}(${TABLES[type]} id ${id}) in the database`;
}

/** The row's problems, one clause per column, each saying what is wrong. */
function unreadableRow(type: UnreadableRow['type'], key: string | null, id: number, error: z.ZodError, column: (field: string) => string): UnreadableRow {
  const clauses = error.issues.map((issue) => {
    const name = column(String(issue.path[0] ?? ''));
    if (issue.code === 'invalid_type' && (issue.received === 'null' || issue.received === 'undefined')) return `${name} is NULL`;
    if (issue.code === 'invalid_enum_value') return `${name} holds '${showStored(String(issue.received))}', which roster does not know`;
    if (issue.code === 'invalid_string') return `${name} is blank`;
    return `${name} ${issue.message.toLowerCase()}`;
  });
  return {
    type,
    key,
    id,
    message:
      `${describeRow(type, key, id)} cannot be read: ${[...new Set(clauses)].join(', ')}. ` +
      `roster leaves it alone and applies nothing while it stands: fix the row (update ${TABLES[type]} set … where id = ${id}), then plan again.`,
  };
}

/** roster's last apply to the organization, or null when it never applied to it. */
export async function readLastApply(db: CommonQueryMethods, organization: string): Promise<LastApply | null> {
  const row = await db.maybeOne(sql.type(z.object({ at: z.number(), actor: z.string(), git_commit: z.string().nullable() }))`
    select floor(extract(epoch from a.applied_at) * 1000)::float8 as at, a.actor, a.git_commit
      from audit_applies a join organizations o on o.id = a.organization_id
     where o.key = ${organization} order by a.id desc limit 1`);
  return row && { at: new Date(row.at).toISOString(), actor: row.actor, gitCommit: row.git_commit };
}

/** The identity roster gave this database when it migrated it (saved plans record it). */
export async function readDatabaseId(db: CommonQueryMethods): Promise<string> {
  return db.oneFirst(sql.type(z.object({ id: z.string() }))`select id::text as id from roster_database`);
}
