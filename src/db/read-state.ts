/**
 * Reads one organization's actual state into the same types as the desired state.
 */
import type { CommonQueryMethods } from 'slonik';
import type { Permission } from '../model/permissions.ts';
import type { OrgState } from '../model/state.ts';
import { sql } from './sql.ts';

export interface StoredOrganization {
  /** Database id of the organization, for the executor. */
  readonly id: number;
  readonly state: OrgState;
}

/**
 * Reads the organization with `key`: its companies, custom roles and all users (deactivated ones included).
 * Returns null when the organization does not exist. Predefined roles are not part of the state.
 */
export async function readOrganization(db: CommonQueryMethods, key: string): Promise<StoredOrganization | null> {
  const organization = (await db.maybeOne(sql.unsafe`select id::int as id, key, name from organizations where key = ${key}`)) as
    | { id: number; key: string; name: string }
    | null;
  if (organization === null) return null;
  const id = organization.id;
  const [companies, roles, users] = await Promise.all([
    db.any(sql.unsafe`select key, name from companies where organization_id = ${id} order by key`),
    db.any(sql.unsafe`
      select r.key, r.name, r.description,
             coalesce(array_agg(p.permission order by p.permission) filter (where p.permission is not null), '{}') as permissions
        from roles r left join role_permissions p on p.role_id = r.id
       where r.organization_id = ${id} and not r.predefined
       group by r.id
       order by r.key`),
    db.any(sql.unsafe`
      select u.email, u.first_name, u.last_name, r.key as role, c.key as company, u.active
        from users u
        join roles r on r.id = u.role_id
        join companies c on c.id = u.company_id
       where u.organization_id = ${id}
       order by lower(u.email)`),
  ]);
  return {
    id,
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
        users as readonly { email: string; first_name: string; last_name: string; role: string; company: string; active: boolean }[]
      ).map((u) => ({
        email: u.email,
        firstName: u.first_name,
        lastName: u.last_name,
        role: u.role,
        company: u.company,
        active: u.active,
        formerEmails: [],
        initialPassword: null,
      })),
    },
  };
}
