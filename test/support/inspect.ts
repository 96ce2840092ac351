/** Reading the database directly in tests, the way the platform's app sees it. */
import type { DatabasePool } from 'slonik';
import { sql } from '../../src/db/sql.ts';

export interface UserRow {
  id: number;
  email: string;
  first_name: string;
  last_name: string;
  role: string;
  company: string;
  active: boolean;
  deactivated_at: Date | number | null;
  password_hash: string | null;
}

/** A user's row by email (case-insensitive) with role and company keys, or null. */
export async function userRow(pool: DatabasePool, organization: string, email: string): Promise<UserRow | null> {
  return (await pool.maybeOne(sql.unsafe`
    select u.id::int as id, u.email, u.first_name, u.last_name, r.key as role, c.key as company, u.active, u.deactivated_at, u.password_hash
      from users u join organizations o on o.id = u.organization_id
      join roles r on r.id = u.role_id join companies c on c.id = u.company_id
     where o.key = ${organization} and lower(u.email) = lower(${email})`)) as UserRow | null;
}

/** Every row that belongs to an organization, in a stable order, as JSON text: equal text means untouched rows. */
export async function snapshot(pool: DatabasePool, organization: string): Promise<string> {
  const rows = await pool.oneFirst(sql.unsafe`
    with o as (select * from organizations where key = ${organization})
    select json_build_object(
      'organization', (select row_to_json(o) from o),
      'companies', (select coalesce(json_agg(c order by c.id), '[]') from companies c where c.organization_id = (select id from o)),
      'roles', (select coalesce(json_agg(r order by r.id), '[]') from roles r where r.organization_id = (select id from o)),
      'permissions', (select coalesce(json_agg(p order by p.role_id, p.permission), '[]') from role_permissions p
                       join roles r on r.id = p.role_id where r.organization_id = (select id from o)),
      'users', (select coalesce(json_agg(u order by u.id), '[]') from users u where u.organization_id = (select id from o)),
      'dashboards', (select coalesce(json_agg(d order by d.id), '[]') from dashboards d where d.organization_id = (select id from o)),
      'audit', (select coalesce(json_agg(a order by a.id), '[]') from audit_applies a where a.organization_id = (select id from o))
    )::text as snapshot`);
  return rows as string;
}

/** Records history for a user as the platform would: a dashboard they own and a workflow run. */
export async function addHistory(pool: DatabasePool, organization: string, email: string): Promise<void> {
  await pool.query(sql.unsafe`
    with u as (select u.id, u.organization_id from users u join organizations o on o.id = u.organization_id
                where o.key = ${organization} and lower(u.email) = lower(${email}))
    insert into dashboards (organization_id, owner_user_id, title) select organization_id, id, 'Revenue' from u`);
  await pool.query(sql.unsafe`
    insert into workflow_runs (user_id)
    select u.id from users u join organizations o on o.id = u.organization_id where o.key = ${organization} and lower(u.email) = lower(${email})`);
}

/** How many dashboards and workflow runs a user (by id) has. */
export async function historyOf(pool: DatabasePool, userId: number): Promise<{ dashboards: number; runs: number }> {
  const row = (await pool.one(sql.unsafe`
    select (select count(*) from dashboards where owner_user_id = ${userId})::int as dashboards,
           (select count(*) from workflow_runs where user_id = ${userId})::int as runs`)) as { dashboards: number; runs: number };
  return row;
}
