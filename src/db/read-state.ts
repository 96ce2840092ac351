/**
 * Reads one organization's actual state into the same types as the desired state, with each row's version
 * (for saved plans) and change time (for drift reports).
 */
import type { CommonQueryMethods } from 'slonik';
import type { Permission } from '../model/permissions.ts';
import { emailKey, rowId, type OrgState } from '../model/state.ts';
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

/**
 * Reads the organization with `key`: its companies, custom roles and all users (deactivated ones included).
 * Returns null when the organization does not exist. Predefined roles are not part of the state.
 */
export async function readOrganization(db: CommonQueryMethods, key: string): Promise<StoredOrganization | null> {
  const organization = (await db.maybeOne(sql.unsafe`
    select id::int as id, key, name, xmin::text as version, ${CHANGED} from organizations where key = ${key}`)) as
    | { id: number; key: string; name: string; version: string; changed_at: number }
    | null;
  if (organization === null) return null;
  const id = organization.id;
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
               floor(extract(epoch from updated_at) * 1000), id)), '[]')::text
        from users where organization_id = ${id}`),
  ]);
  const companyRows = companies as readonly { id: number; key: string; name: string; version: string; changed_at: number }[];
  const roleRows = roles as readonly {
    id: number;
    key: string;
    name: string;
    description: string | null;
    predefined: boolean;
    version: string;
    changed_at: number;
    permissions: Permission[];
  }[];
  const companyKeys = new Map(companyRows.map((c) => [c.id, c.key]));
  const roleKeys = new Map(roleRows.map((r) => [r.id, r.key]));
  const userRows = JSON.parse(String(usersText)) as [string, string, string, number, number, boolean, string | null, string, number, number][];

  const versions = new Map<string, string>([[rowId('organization', organization.key), organization.version]]);
  const changedAt = new Map<string, number>([[rowId('organization', organization.key), organization.changed_at]]);
  for (const c of companyRows) {
    versions.set(rowId('company', c.key), c.version);
    changedAt.set(rowId('company', c.key), c.changed_at);
  }
  const customRoles = roleRows.filter((r) => !r.predefined);
  for (const r of customRoles) {
    versions.set(rowId('role', r.key), `${r.version}/${r.permissions.join(',')}`);
    changedAt.set(rowId('role', r.key), r.changed_at);
  }
  const userIds = new Map<string, number>();
  const users = userRows.map(([email, firstName, lastName, roleId, companyId, active, resetPassword, version, changed, userId]) => {
    const row = rowId('user', email);
    versions.set(row, version);
    changedAt.set(row, changed);
    userIds.set(emailKey(email), userId);
    return {
      email,
      firstName,
      lastName,
      role: roleKeys.get(roleId)!,
      company: companyKeys.get(companyId)!,
      active,
      formerEmails: [],
      initialPassword: null,
      resetPassword,
    };
  });
  return {
    id,
    versions,
    changedAt,
    userIds,
    state: {
      organization: { key: organization.key, name: organization.name },
      companies: companyRows.map((c) => ({ key: c.key, name: c.name })),
      roles: customRoles.map((r) => ({ key: r.key, name: r.name, description: r.description, permissions: r.permissions })),
      users,
    },
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
