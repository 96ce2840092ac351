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
}


/**
 * Reads the organization with `key`: its companies, custom roles and all users (deactivated ones included).
 * Returns null when the organization does not exist. Predefined roles are not part of the state.
 */
export async function readOrganization(db: CommonQueryMethods, key: string): Promise<StoredOrganization | null> {
  const organization = (await db.maybeOne(sql.unsafe`select id::int as id, key, name, xmin::text as version from organizations where key = ${key}`)) as
    | { id: number; key: string; name: string; version: string }
    | null;
  if (organization === null) return null;
  const id = organization.id;
  const [companies, roles, users] = await Promise.all([
    db.any(sql.unsafe`select key, name, xmin::text as version from companies where organization_id = ${id} order by key`),
    db.any(sql.unsafe`
      select r.key, r.name, r.description, r.xmin::text as version,
             coalesce(array_agg(p.permission order by p.permission) filter (where p.permission is not null), '{}') as permissions
        from roles r left join role_permissions p on p.role_id = r.id
       where r.organization_id = ${id} and not r.predefined
       group by r.id, r.xmin
       order by r.key`),
    db.any(sql.unsafe`
      select u.email, u.first_name, u.last_name, r.key as role, c.key as company, u.active, u.password_reset_id, u.xmin::text as version
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
  return {
    id,
    versions,
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

/** The identity roster gave this database when it migrated it (saved plans record it). */
export async function readDatabaseId(db: CommonQueryMethods): Promise<string> {
  return String(await db.oneFirst(sql.unsafe`select id::text from roster_database`));
}
