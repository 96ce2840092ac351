/** The schema's guarantees, migrations, and failures to reach or use the database. */
import { beforeAll, describe, expect, it } from 'vitest';
import { migrate, requiredSchemaVersion } from '../../src/db/migrate.ts';
import { sql } from '../../src/db/sql.ts';
import { PERMISSIONS, PREDEFINED_ROLES } from '../../src/model/permissions.ts';
import { company, org, user } from '../support/builders.ts';
import { runRoster, spawnRoster, writeConfig } from '../support/cli.ts';
import { createTestDatabase, useTestDatabase, type TestDatabase } from '../support/database.ts';
import { snapshot } from '../support/inspect.ts';
import { applyState as applyDesired } from '../support/apply.ts';

const database = useTestDatabase();
let db: TestDatabase;
beforeAll(() => {
  db = database();
});

const applyState = (desired = org()) => applyDesired(db.pool, desired);

describe('the schema', () => {
  it('seeds the permission catalog and the predefined roles exactly as the code knows them', async () => {
    await applyState(org({ key: 'catalog' }));
    expect(await db.pool.anyFirst(sql.unsafe`select key from permissions order by key`)).toEqual([...PERMISSIONS].sort());
    const roles = (await db.pool.any(sql.unsafe`
      select r.key, r.name, array_agg(p.permission order by p.permission) as permissions
        from roles r join organizations o on o.id = r.organization_id join role_permissions p on p.role_id = r.id
       where o.key = 'catalog' and r.predefined group by r.key, r.name order by r.key`)) as { key: string; name: string; permissions: string[] }[];
    expect(roles).toEqual(
      Object.entries(PREDEFINED_ROLES)
        .map(([key, r]) => ({ key, name: r.name, permissions: [...r.permissions].sort() }))
        .sort((a, b) => a.key.localeCompare(b.key)),
    );
  });

  it('refuses two users whose emails differ only in case', async () => {
    await applyState(org({ key: 'cases', users: [user('ann@acme.com')] }));
    await expect(
      db.pool.query(sql.unsafe`
        insert into users (organization_id, email, first_name, last_name, role_id, company_id)
        select organization_id, 'ANN@acme.com', 'Ann', 'Other', role_id, company_id from users where email = 'ann@acme.com'`),
    ).rejects.toThrow(/unique/i);
  });

  it("refuses a user whose role or company belongs to another organization", async () => {
    await applyState(org({ key: 'one', companies: [company('hq')], users: [user('u@one.com')] }));
    await applyState(org({ key: 'two', companies: [company('hq')] }));
    await expect(
      db.pool.query(sql.unsafe`
        update users set company_id = (select c.id from companies c join organizations o on o.id = c.organization_id where o.key = 'two')
         where email = 'u@one.com'`),
    ).rejects.toThrow(/foreign key/i);
  });

  it('refuses to delete a user that has history, and a deactivated user without a deactivation time', async () => {
    await applyState(org({ key: 'history', users: [user('h@acme.com')] }));
    await db.pool.query(sql.unsafe`insert into workflow_runs (user_id) select id from users where email = 'h@acme.com'`);
    await expect(db.pool.query(sql.unsafe`delete from users where email = 'h@acme.com'`)).rejects.toThrow(/foreign key/i);
    await expect(db.pool.query(sql.unsafe`update users set active = false where email = 'h@acme.com'`)).rejects.toThrow(/check/i);
  });
});

describe('migrations', () => {
  it('are safe to run twice, and concurrently', async () => {
    const fresh = await createTestDatabase({ migrated: false });
    try {
      const [a, b] = await Promise.all([migrate(fresh.pool), migrate(fresh.pool)]);
      expect([...a, ...b].sort()).toEqual(Array.from({ length: requiredSchemaVersion() }, (_, i) => i + 1));
      expect(await migrate(fresh.pool)).toEqual([]);
      const result = await runRoster(['migrate', '--database-url', fresh.url]);
      expect(result).toMatchObject({ code: 0 });
      expect(result.stderr).toContain(`is at version ${requiredSchemaVersion()}`);
    } finally {
      await fresh.drop();
    }
  });

  it('plan on a database without the schema says to run migrate, and creates nothing', async () => {
    const fresh = await createTestDatabase({ migrated: false });
    try {
      const dir = await writeConfig({ 'org.yaml': { organization: { key: 'acme', name: 'Acme' } } });
      const result = await runRoster(['plan', dir, '--database-url', fresh.url]);
      expect(result.code).toBe(1);
      expect(result.stderr).toBe('error: the database has no roster schema: run `roster migrate` first (with the same --database-url)\n');
      expect(await fresh.pool.oneFirst(sql.unsafe`select count(*)::int from pg_tables where schemaname = 'public'`)).toBe(0);
    } finally {
      await fresh.drop();
    }
  });
});

describe('failures to reach the database', () => {
  it('reports an unreachable server in one paragraph, without a stack trace', async () => {
    const dir = await writeConfig({ 'org.yaml': { organization: { key: 'acme', name: 'Acme' } } });
    const result = await spawnRoster(['plan', dir, '--database-url', 'postgres://someone:topsecret@127.0.0.1:1/nowhere']);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^error: cannot connect to the database at postgres:\/\/someone:\*\*\*@127\.0\.0\.1:1\/nowhere: .+ Check --database-url or DATABASE_URL/);
    expect(result.stderr).not.toContain('topsecret');
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });

  it('reports a database that does not exist', async () => {
    const dir = await writeConfig({ 'org.yaml': { organization: { key: 'acme', name: 'Acme' } } });
    const url = new URL(db.url);
    url.pathname = '/roster_no_such_database';
    const result = await runRoster(['plan', dir, '--database-url', url.toString()]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('roster_no_such_database');
    expect(result.stderr).toMatch(/^error: cannot connect/);
  });

  it('validates the configuration before touching the database', async () => {
    const dir = await writeConfig({ 'org.yaml': 'organization: { key: Bad Key, name: x }\n' });
    const result = await runRoster(['plan', dir, '--database-url', 'postgres://nobody@127.0.0.1:1/x']);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('org.yaml:1:22: organization.key:');
    expect(result.stderr).not.toContain('cannot connect');
  });
});

describe('applying in one transaction', () => {
  it('rolls back everything when a statement fails midway', async () => {
    await applyState(org({ key: 'atomic', users: [user('a@atomic.com')] }));
    const before = await snapshot(db.pool, 'atomic');
    const desired = org({
      key: 'atomic',
      name: 'Atomic Renamed',
      users: [user('a@atomic.com', { firstName: 'Changed' }), user('b@atomic.com', { initialPassword: { kind: 'env', name: 'B' } })],
    });
    // A password hash the schema refuses makes the last statement (the insert) fail after the updates ran.
    const passwordHashes = new Map([['b@atomic.com', 'not-a-phc-string']]);
    await expect(applyDesired(db.pool, desired, { passwordHashes })).rejects.toThrow();
    expect(await snapshot(db.pool, 'atomic')).toBe(before);
  });
});
