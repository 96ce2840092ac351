/**
 * Reads one organization's actual state into the same types as the desired state.
 */
import type { CommonQueryMethods } from 'slonik';
import type { Permission } from '../model/permissions.ts';
import { rowId, type OrgState } from '../model/state.ts';
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
  /** When each stored row was created and last changed (ISO 8601), by rowId. */
  readonly times: ReadonlyMap<string, RowTimes>;
}

export interface RowTimes {
  readonly createdAt: string;
  readonly updatedAt: string;
}

/** roster's last apply to an organization, from the audit trail. */
export interface LastApply {
  readonly at: string;
  readonly actor: string;
  readonly gitCommit: string | null;
}


/**
 * Reads the organization with `key`: its companies, custom roles and all users (deactivated ones included).
 * Returns null when the organization does not exist. Predefined roles are not part of the state.
 */
export async function readOrganization(db: CommonQueryMethods, key: string): Promise<StoredOrganization | null> {
  const organization = (await db.maybeOne(sql.unsafe`select id::int as id, key, name, xmin::text as version, ${TIMES} from organizations where key = ${key}`)) as
    | ({ id: number; key: string; name: string; version: string } & TimeColumns)
    | null;
  if (organization === null) return null;
  const id = organization.id;
  const [companies, roles, users] = await Promise.all([
    db.any(sql.unsafe`select key, name, xmin::text as version, ${TIMES} from companies where organization_id = ${id} order by key`),
    db.any(sql.unsafe`
      select r.key, r.name, r.description, r.xmin::text as version,
             to_json(r.created_at) #>> '{}' as created_at, to_json(r.updated_at) #>> '{}' as updated_at,
             coalesce(array_agg(p.permission order by p.permission) filter (where p.permission is not null), '{}') as permissions
        from roles r left join role_permissions p on p.role_id = r.id
       where r.organization_id = ${id} and not r.predefined
       group by r.id, r.xmin, r.created_at, r.updated_at
       order by r.key`),
    db.any(sql.unsafe`
      select u.email, u.first_name, u.last_name, r.key as role, c.key as company, u.active, u.password_reset_id, u.xmin::text as version,
             to_json(u.created_at) #>> '{}' as created_at, to_json(u.updated_at) #>> '{}' as updated_at
        from users u
        join roles r on r.id = u.role_id
        join companies c on c.id = u.company_id
       where u.organization_id = ${id}
       order by lower(u.email)`),
  ]);
  const versions = new Map<string, string>([[rowId('organization', organization.key), organization.version]]);
  for (const c of companies as readonly { key: string; version: string }[]) versions.set(rowId('company', c.key), c.version);
  for (const r of roles as readonly { key: string; version: string; permissions: string[] }[]) {
    versions.set(rowId('role', r.key), `${r.version}/${r.permissions.join(',')}`);
  }
  for (const u of users as readonly { email: string; version: string }[]) versions.set(rowId('user', u.email), u.version);
  const times = new Map<string, RowTimes>([[rowId('organization', organization.key), timesOf(organization)]]);
  for (const c of companies as readonly ({ key: string } & TimeColumns)[]) times.set(rowId('company', c.key), timesOf(c));
  for (const r of roles as readonly ({ key: string } & TimeColumns)[]) times.set(rowId('role', r.key), timesOf(r));
  for (const u of users as readonly ({ email: string } & TimeColumns)[]) times.set(rowId('user', u.email), timesOf(u));
  return {
    id,
    versions,
    times,
    state: {
      organization: { key: organization.key, name: organization.name },
      companies: (companies as readonly { key: string; name: string }[]).map((c) => ({ key: c.key, name: c.name })),
      roles: (roles as readonly { key: string; name: string; description: string | null; permissions: Permission[] }[]).map((r) => ({
        key: r.key,
        name: r.name,
        description: r.description,
        permissions: r.permissions,
      })),
      users: (
        users as readonly {
          email: string;
          first_name: string;
          last_name: string;
          role: string;
          company: string;
          active: boolean;
          password_reset_id: string | null;
          version: string;
        }[]
      ).map((u) => ({
        email: u.email,
        firstName: u.first_name,
        lastName: u.last_name,
        role: u.role,
        company: u.company,
        active: u.active,
        formerEmails: [],
        initialPassword: null,
        resetPassword: u.password_reset_id,
      })),
    },
  };
}

/** Timestamps as ISO 8601 text, independent of the driver's type parsers. */
const TIMES = sql.fragment`to_json(created_at) #>> '{}' as created_at, to_json(updated_at) #>> '{}' as updated_at`;

interface TimeColumns {
  readonly created_at: string;
  readonly updated_at: string;
}

function timesOf(row: TimeColumns): RowTimes {
  return { createdAt: new Date(row.created_at).toISOString(), updatedAt: new Date(row.updated_at).toISOString() };
}

/** roster's last apply to the organization, or null when it never applied to it. */
export async function readLastApply(db: CommonQueryMethods, organization: string): Promise<LastApply | null> {
  const row = (await db.maybeOne(sql.unsafe`
    select to_json(a.applied_at) #>> '{}' as at, a.actor, a.git_commit
      from audit_applies a join organizations o on o.id = a.organization_id
     where o.key = ${organization} order by a.id desc limit 1`)) as { at: string; actor: string; git_commit: string | null } | null;
  return row && { at: new Date(row.at).toISOString(), actor: row.actor, gitCommit: row.git_commit };
}

/** The identity roster gave this database when it migrated it (saved plans record it). */
export async function readDatabaseId(db: CommonQueryMethods): Promise<string> {
  return String(await db.oneFirst(sql.unsafe`select id::text from roster_database`));
}
