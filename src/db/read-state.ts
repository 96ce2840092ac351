/**
 * Reads one organization's actual state into the same types as the desired state, with each row's version
 * (for saved plans) and change time (for drift reports).
 */
import type { CommonQueryMethods } from 'slonik';
import { z } from 'zod';
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
/** One user as the users query builds it: a JSON array, by position. */
const UserRow = z.tuple([
  text, // email
  nonBlank, // first_name
  nonBlank, // last_name
  z.number(), // role_id
  z.number(), // company_id
  z.boolean(), // active
  text.nullable(), // password_reset_id
  text, // xmin
  z.number(), // updated_at
  z.number(), // id
  z.boolean(), // has_password
]);
const USER_COLUMNS = ['email', 'first_name', 'last_name', 'role_id', 'company_id', 'active', 'password_reset_id', 'xmin', 'updated_at', 'id', 'has_password'];
type UserTuple = z.infer<typeof UserRow>;

const BLANK = /\S/;
/**
 * Whether `row` fits {@link UserRow}, checked by hand: zod takes some 7 µs a row, seconds at a million users. Exactly
 * the same test (test/unit/read-state-rows.test.ts compares them); zod still describes what is wrong with a row that fails.
 */
export function fitsUserRow(row: unknown): row is UserTuple {
  if (!Array.isArray(row) || row.length !== 11) return false;
  const [email, firstName, lastName, roleId, companyId, active, reset, version, changed, id, hasPassword] = row as unknown[];
  return (
    typeof email === 'string' &&
    typeof firstName === 'string' &&
    BLANK.test(firstName) &&
    typeof lastName === 'string' &&
    BLANK.test(lastName) &&
    isNumber(roleId) &&
    isNumber(companyId) &&
    typeof active === 'boolean' &&
    (reset === null || typeof reset === 'string') &&
    typeof version === 'string' &&
    isNumber(changed) &&
    isNumber(id) &&
    typeof hasPassword === 'boolean'
  );
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
  const organizationRaw = await db.maybeOne(sql.unsafe`
    select id::int as id, key, name, xmin::text as version, ${CHANGED} from organizations where key = ${key}`);
  if (organizationRaw === null) return null;
  const id = Number(organizationRaw.id);
  const unreadable: UnreadableRow[] = [];
  const organization = OrganizationRow.safeParse(organizationRaw);
  if (!organization.success) unreadable.push(unreadableRow('organization', key, id, organization.error, (field) => field));
  const [companies, roles, usersText] = await Promise.all([
    db.any(sql.unsafe`select id::int as id, key, name, xmin::text as version, ${CHANGED} from companies where organization_id = ${id}`),
    db.any(sql.unsafe`
      select r.id::int as id, r.key, r.name, r.description, r.predefined, r.xmin::text as version,
             floor(extract(epoch from r.updated_at) * 1000)::float8 as changed_at,
             coalesce(array_agg(p.permission order by p.permission) filter (where p.permission is not null), '{}') as permissions
        from roles r left join role_permissions p on p.role_id = r.id
       where r.organization_id = ${id}
       group by r.id`),
    // One row of JSON text: a hundred thousand users arrive as one value, parsed in one pass. Roles and
    // companies are joined here rather than in SQL, which halves the query's time.
    db.oneFirst(sql.unsafe`
      select coalesce(json_agg(json_build_array(
               email, first_name, last_name, role_id, company_id, active, password_reset_id, xmin::text,
               floor(extract(epoch from updated_at) * 1000), id, has_password)), '[]')::text
        from users where organization_id = ${id}`),
  ]);

  const versions = new Map<string, string>();
  const changedAt = new Map<string, number>();
  if (organization.success) {
    versions.set(rowId('organization', key), organization.data.version);
    changedAt.set(rowId('organization', key), organization.data.changed_at);
  }
  // Keys by id from every row whose key can be read, so a user's role or company is named even when that row is unreadable.
  const keyOf = (row: unknown) => (typeof (row as { key?: unknown }).key === 'string' ? (row as { key: string }).key : null);
  const companyKeys = new Map(companies.map((c) => [Number(c.id), keyOf(c)]));
  const roleKeys = new Map(roles.map((r) => [Number(r.id), keyOf(r)]));

  const companyList: OrgState['companies'][number][] = [];
  for (const raw of companies) {
    const row = CompanyRow.safeParse(raw);
    if (!row.success) {
      unreadable.push(unreadableRow('company', keyOf(raw), Number(raw.id), row.error, (field) => field));
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
      unreadable.push(unreadableRow('role', keyOf(raw), Number(raw.id), row.error, (field) => (field === 'permissions' ? 'role_permissions.permission' : field)));
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
  for (const raw of JSON.parse(String(usersText)) as unknown[]) {
    let row: UserTuple;
    if (fitsUserRow(raw)) {
      row = raw;
    } else {
      const parsed = UserRow.safeParse(raw);
      const rawEmail = Array.isArray(raw) && typeof raw[0] === 'string' ? raw[0] : null;
      const rawId = Array.isArray(raw) && typeof raw[9] === 'number' ? raw[9] : 0;
      if (!parsed.success) {
        unreadable.push(unreadableRow('user', rawEmail, rawId, parsed.error, (field) => USER_COLUMNS[Number(field)] ?? field));
        continue;
      }
      row = parsed.data;
    }
    const [email, firstName, lastName, roleId, companyId, active, resetPassword, version, changed, userId, hasPassword] = row;
    const role = roleKeys.get(roleId);
    const company = companyKeys.get(companyId);
    if (role == null || company == null) {
      const what = role == null ? `role_id ${roleId} names no role` : `company_id ${companyId} names no company`;
      unreadable.push({
        type: 'user',
        key: email,
        id: userId,
        message: `${describeRow('user', email, userId)}: its ${what} of the organization. Give it an existing one in the database, then plan again.`,
      });
      continue;
    }
    const stored = rowId('user', email);
    versions.set(stored, version);
    changedAt.set(stored, changed);
    userIds.set(emailKey(email), userId);
    users.push({ email, firstName, lastName, role, company, active, formerEmails: [], initialPassword: null, resetPassword, hasPassword });
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
  const row = (await db.maybeOne(sql.unsafe`
    select floor(extract(epoch from a.applied_at) * 1000)::float8 as at, a.actor, a.git_commit
      from audit_applies a join organizations o on o.id = a.organization_id
     where o.key = ${organization} order by a.id desc limit 1`)) as { at: number; actor: string; git_commit: string | null } | null;
  return row && { at: new Date(row.at).toISOString(), actor: row.actor, gitCommit: row.git_commit };
}

/** The identity roster gave this database when it migrated it (saved plans record it). */
export async function readDatabaseId(db: CommonQueryMethods): Promise<string> {
  return String(await db.oneFirst(sql.unsafe`select id::text from roster_database`));
}
