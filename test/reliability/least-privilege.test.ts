/**
 * Least privilege: the schema's owner migrates and runs `migrate --grant-to ROLE`; every command then works as ROLE,
 * and ROLE can neither read a password hash, delete a user, flag a role predefined, write the audit trail except
 * through roster_record_apply, nor change the schema. `--read-only` gives a role exactly what plan, drift and export
 * read. A role without the grants gets a message that says so.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createPool, type DatabasePool } from 'slonik';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { grantScript } from '../../src/db/grants.ts';
import { sql } from '../../src/db/sql.ts';
import type { OrgState } from '../../src/model/state.ts';
import { company, org, role, toConfigObject, user } from '../support/builders.ts';
import { REPO_ROOT, runRoster, tempDir, writeConfig } from '../support/cli.ts';
import { ADMIN_URL, createTestDatabase, type TestDatabase } from '../support/database.ts';
import { snapshot, userRow } from '../support/inspect.ts';

const suffix = `${process.pid}_${randomBytes(3).toString('hex')}`;
const RUNNER = `roster_runner_${suffix}`;
const READER = `roster_reader_${suffix}`;
const STRANGER = `roster_stranger_${suffix}`;
const ENV = { ADMIN_PASSWORD: 'a long enough admin password' };
const ADMIN = { kind: 'env', name: 'ADMIN_PASSWORD' } as const;
let db: TestDatabase;

/** The test database's URL, connecting as `role`. */
function urlAs(role: string): string {
  const url = new URL(db.url);
  url.username = role;
  return url.toString();
}

/** Runs `work` with a connection as `role`. */
async function asRole<T>(role: string, work: (pool: DatabasePool) => Promise<T>): Promise<T> {
  const pool = await createPool(urlAs(role), { maximumPoolSize: 1 });
  try {
    return await work(pool);
  } finally {
    await pool.end();
  }
}

/** Applies `state` as the schema's owner, so that a test has rows to read. */
async function applyAsOwner(state: OrgState): Promise<string> {
  const dir = await writeConfig({ 'org.yaml': toConfigObject(state) });
  const result = await runRoster(['apply', dir, '--yes', '--database-url', db.url], { env: ENV });
  expect(result.code, result.stderr).toBe(0);
  return dir;
}

beforeAll(async () => {
  db = await createTestDatabase({ migrated: false });
  for (const name of [RUNNER, READER, STRANGER]) await db.pool.query(sql.unsafe`create role ${sql.identifier([name])} login`);
  for (const argv of [['--grant-to', RUNNER], ['--grant-to', READER, '--read-only']]) {
    const granted = await runRoster(['migrate', ...argv, '--database-url', db.url]);
    expect(granted.code, granted.stderr).toBe(0);
  }
});

afterAll(async () => {
  await db.drop();
  const admin = await createPool(ADMIN_URL, { maximumPoolSize: 1 });
  try {
    for (const name of [RUNNER, READER, STRANGER]) await admin.query(sql.unsafe`drop role if exists ${sql.identifier([name])}`);
  } finally {
    await admin.end();
  }
});

const v1 = org({
  key: 'least',
  companies: [company('hq'), company('old')],
  roles: [role('auditor'), role('retired')],
  users: [
    user('admin@least.test', { role: 'admin', initialPassword: { kind: 'env', name: 'ADMIN_PASSWORD' } }),
    user('ann@least.test', { role: 'auditor' }),
    user('bob@least.test', { company: 'old', role: 'retired' }),
  ],
});
const v2 = org({
  key: 'least',
  name: 'Least Renamed',
  companies: [company('hq')],
  roles: [role('auditor', ['view_dashboards', 'run_workflows'])],
  users: [
    user('admin@least.test', { role: 'admin', resetPassword: 'r1', initialPassword: { kind: 'env', name: 'ADMIN_PASSWORD' } }),
    user('ann.new@least.test', { role: 'auditor', formerEmails: ['ann@least.test'] }),
    user('bob@least.test', { active: false }),
  ],
});

/** Statements the runtime role must be refused, each with why. */
const REFUSED_TO_RUNNER: readonly [string, ReturnType<typeof sql.unsafe>][] = [
  ['read a password hash', sql.unsafe`select password_hash from users`],
  ['read every column of users', sql.unsafe`select * from users`],
  ['read a hash through an update', sql.unsafe`update users set first_name = password_hash where false`],
  ['clear predefined', sql.unsafe`update roles set predefined = false where key = 'viewer'`],
  ['flag a new role predefined', sql.unsafe`insert into roles (organization_id, key, name, predefined) select id, 'fake', 'Fake', true from organizations`],
  ['insert into the audit trail', sql.unsafe`insert into audit_applies (organization_id, actor, config_hash, roster_version, summary) select id, 'forged', 'x', 'x', '{}' from organizations`],
  ['rewrite the audit trail', sql.unsafe`update audit_applies set actor = 'someone else'`],
  ['delete from the audit trail', sql.unsafe`delete from audit_applies`],
  ['delete a user', sql.unsafe`delete from users`],
  ['empty a table', sql.unsafe`truncate users`],
  ['drop a table', sql.unsafe`drop table audit_applies`],
  ['create a table', sql.unsafe`create table intruder (id int)`],
  ['alter a table', sql.unsafe`alter table users drop constraint users_check`],
  ['change the schema version', sql.unsafe`update roster_migrations set version = 99`],
  ["read the users' history", sql.unsafe`select * from dashboards`],
  ['set a row\'s creation time', sql.unsafe`update users set created_at = now() where false`],
];

describe('a role with only the privileges roster needs', () => {
  it('is set up by the owner with migrate --grant-to, any number of times', async () => {
    for (let i = 0; i < 2; i++) {
      const result = await runRoster(['migrate', '--grant-to', RUNNER, '--database-url', db.url]);
      expect(result.code, result.stderr).toBe(0);
      expect(result.stderr).toContain(`Granted ${RUNNER} what roster needs to run`);
    }
  });

  it('runs plan, apply (creates, edits, renames, password resets, deactivations, deletions), drift and export', async () => {
    const url = urlAs(RUNNER);
    const first = await writeConfig({ 'org.yaml': toConfigObject(v1) });
    expect((await runRoster(['plan', first, '--database-url', url], { env: ENV })).code).toBe(0);
    const created = await runRoster(['apply', first, '--yes', '--actor', 'ci-bot', '--database-url', url], { env: ENV });
    expect(created.code, created.stderr).toBe(0);
    const hashBefore = await db.pool.oneFirst(sql.unsafe`select password_hash from users where email = 'admin@least.test'`);
    expect(hashBefore).toMatch(/^\$/);

    // Someone edits a user by hand; drift, as the runner, sees it and names the last apply.
    await db.pool.query(sql.unsafe`update users set first_name = 'Handmade' where email = 'ann@least.test'`);
    const drift = await runRoster(['drift', first, '--database-url', url]);
    expect(drift.code, drift.stderr).toBe(2);
    expect(drift.stdout).toContain('Handmade');
    expect(drift.stdout).toContain('ci-bot');

    const second = await writeConfig({ 'org.yaml': toConfigObject(v2) });
    const changed = await runRoster(['apply', second, '--yes', '--database-url', url], { env: ENV });
    expect(changed.code, changed.stderr).toBe(0);
    expect(await userRow(db.pool, 'least', 'ann.new@least.test')).toMatchObject({ role: 'auditor', active: true });
    expect(await userRow(db.pool, 'least', 'bob@least.test')).toMatchObject({ active: false });
    expect(await db.pool.anyFirst(sql.unsafe`select key from companies order by key`)).toEqual(['hq']);
    // The password reset wrote a new hash without reading the old one.
    const hashAfter = await db.pool.oneFirst(sql.unsafe`select password_hash from users where email = 'admin@least.test'`);
    expect(hashAfter).toMatch(/^\$/);
    expect(hashAfter).not.toBe(hashBefore);
    expect((await runRoster(['plan', second, '--detailed-exitcode', '--database-url', url], { env: ENV })).code).toBe(0);

    const out = await tempDir();
    const exported = await runRoster(['export', '--organization', 'least', '--out', out, '--database-url', url]);
    expect(exported.code, exported.stderr).toBe(0);
    expect(readFileSync(join(out, 'users.yaml'), 'utf8')).toContain('ann.new@least.test');
  }, 300_000);

  it('records each apply through roster_record_apply, stamped with the database role and the server time', async () => {
    await applyAsOwner(org({ key: 'stamped', users: [user('admin@stamped.test', { role: 'admin', initialPassword: ADMIN })] }));
    const dir = await writeConfig({ 'org.yaml': toConfigObject(org({ key: 'stamped', users: [user('admin@stamped.test', { role: 'admin', initialPassword: ADMIN }), user('new@stamped.test')] })) });
    const applied = await runRoster(['apply', dir, '--yes', '--actor', 'ci-bot', '--database-url', urlAs(RUNNER)], { env: ENV });
    expect(applied.code, applied.stderr).toBe(0);
    const rows = await db.pool.any(sql.unsafe`
      select a.actor, a.database_role, a.applied_at <= now() as in_the_past
        from audit_applies a join organizations o on o.id = a.organization_id where o.key = 'stamped' order by a.id`);
    expect(rows).toHaveLength(2);
    expect(rows[0]).toMatchObject({ database_role: new URL(db.url).username, in_the_past: true });
    expect(rows[1]).toEqual({ actor: 'ci-bot', database_role: RUNNER, in_the_past: true });
  });

  it('may call roster_record_apply itself, but cannot choose the row\'s time or database role', async () => {
    await applyAsOwner(org({ key: 'forgery', users: [user('admin@forgery.test', { role: 'admin', initialPassword: ADMIN })] }));
    const id = await asRole(RUNNER, (pool) =>
      pool.oneFirst(sql.unsafe`
        select roster_record_apply((select id from organizations where key = 'forgery'), 'forged', null, 'sha256:x', '0',
                                   '{"create":0}'::jsonb, '[]'::json)`),
    );
    const row = await db.pool.one(sql.unsafe`select actor, database_role from audit_applies where id = ${Number(id)}`);
    expect(row).toMatchObject({ actor: 'forged', database_role: RUNNER });
    // Nor change it afterwards.
    await expect(asRole(RUNNER, (pool) => pool.query(sql.unsafe`update audit_applies set database_role = 'root' where id = ${Number(id)}`))).rejects.toThrow(
      /permission denied/,
    );
  });

  it('is refused every privilege roster does not need', async () => {
    await applyAsOwner(org({ key: 'refusals', users: [user('admin@refusals.test', { role: 'admin', initialPassword: ADMIN })] }));
    const before = await snapshot(db.pool, 'refusals');
    for (const [what, statement] of REFUSED_TO_RUNNER) {
      await expect(asRole(RUNNER, (pool) => pool.query(statement)), what).rejects.toThrow(/permission denied|must be owner/);
    }
    expect(await snapshot(db.pool, 'refusals')).toBe(before);
    // What it may read: whether a user has a password, not which.
    const hasPassword = await asRole(RUNNER, (pool) => pool.anyFirst(sql.unsafe`select has_password from users where email = 'admin@refusals.test'`));
    expect(hasPassword).toEqual([true]);
  });

  it("cannot change a predefined role, even with the setting meant for the schema's owner", async () => {
    await applyAsOwner(org({ key: 'predefined', users: [user('admin@predefined.test', { role: 'admin', initialPassword: ADMIN })] }));
    const before = await snapshot(db.pool, 'predefined');
    for (const statement of [
      sql.unsafe`delete from role_permissions where role_id in (select r.id from roles r join organizations o on o.id = r.organization_id where o.key = 'predefined' and r.key = 'admin')`,
      sql.unsafe`delete from roles where key = 'editor' and organization_id = (select id from organizations where key = 'predefined')`,
      sql.unsafe`insert into role_permissions (role_id, permission) select r.id, 'manage_users' from roles r join organizations o on o.id = r.organization_id where o.key = 'predefined' and r.key = 'viewer'`,
    ]) {
      const attempt = asRole(RUNNER, (pool) =>
        pool.transaction(async (tx) => {
          await tx.query(sql.unsafe`select set_config('roster.predefined_roles', 'writable', true)`);
          await tx.query(statement);
        }),
      );
      await expect(attempt).rejects.toThrow(/is predefined/);
    }
    expect(await snapshot(db.pool, 'predefined')).toBe(before);
  });

  it('is what the README documents', () => {
    const readme = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8');
    expect(readme).toContain(grantScript({ role: 'roster_runner', database: 'platform', readOnly: false }));
    expect(readme).toContain(grantScript({ role: 'roster_reader', database: 'platform', readOnly: true }));
  });
});

describe('a read-only role (migrate --grant-to ROLE --read-only)', () => {
  it('runs plan, drift and export', async () => {
    const dir = await applyAsOwner(org({ key: 'readable', companies: [company('hq')], users: [user('admin@readable.test', { role: 'admin', initialPassword: ADMIN })] }));
    const url = urlAs(READER);
    const plan = await runRoster(['plan', dir, '--detailed-exitcode', '--format', 'json', '--database-url', url]);
    expect(plan.code, plan.stderr).toBe(0);
    await db.pool.query(sql.unsafe`update users set last_name = 'Byhand' where email = 'admin@readable.test'`);
    const changed = await runRoster(['plan', dir, '--detailed-exitcode', '--out', join(await tempDir(), 'plan.json'), '--database-url', url]);
    expect(changed.code, changed.stderr).toBe(2);
    const drift = await runRoster(['drift', dir, '--database-url', url]);
    expect(drift.code, drift.stderr).toBe(2);
    expect(drift.stdout).toContain('Byhand');
    const out = await tempDir();
    const exported = await runRoster(['export', '--organization', 'readable', '--out', out, '--database-url', url]);
    expect(exported.code, exported.stderr).toBe(0);
    expect(readFileSync(join(out, 'users.yaml'), 'utf8')).toContain('Byhand');
  }, 300_000);

  it('cannot apply: a clear message, and nothing is written', async () => {
    const existing = await applyAsOwner(org({ key: 'untouched', users: [user('admin@untouched.test', { role: 'admin', initialPassword: ADMIN })] }));
    const before = await snapshot(db.pool, 'untouched');
    const edit = await writeConfig({ 'org.yaml': toConfigObject(org({ key: 'untouched', users: [user('admin@untouched.test', { role: 'admin', initialPassword: ADMIN, firstName: 'Renamed' })] })) });
    const fresh = await writeConfig({ 'org.yaml': toConfigObject(org({ key: 'brand-new', users: [user('admin@brand-new.test', { role: 'admin', initialPassword: ADMIN })] })) });
    for (const dir of [edit, fresh, existing]) {
      const result = await runRoster(['apply', dir, '--yes', '--database-url', urlAs(READER)], { env: ENV });
      if (dir === existing) {
        expect(result.code, result.stderr).toBe(0); // nothing to change: nothing to refuse
        continue;
      }
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(/^error: the database role lacks a privilege roster needs \(permission denied for table \w+\);.*"Least privilege"/s);
      expect(result.stderr).not.toMatch(/\n\s+at /);
    }
    expect(await snapshot(db.pool, 'untouched')).toBe(before);
    expect(await db.pool.oneFirst(sql.unsafe`select count(*)::int from organizations where key = 'brand-new'`)).toBe(0);
  }, 300_000);

  it('holds exactly the reads: no password hash, no writes, no audit', async () => {
    await applyAsOwner(org({ key: 'reads', users: [user('admin@reads.test', { role: 'admin', initialPassword: ADMIN })] }));
    for (const statement of [
      sql.unsafe`select password_hash from users`,
      sql.unsafe`select created_at from users`,
      sql.unsafe`select summary from audit_applies`,
      sql.unsafe`select * from permissions`,
      sql.unsafe`update users set first_name = 'x' where false`,
      sql.unsafe`insert into organizations (key, name) values ('nope', 'Nope')`,
      sql.unsafe`delete from role_permissions where false`,
      sql.unsafe`select roster_record_apply(1, 'forged', null, 'x', 'x', '{}'::jsonb, '[]'::json)`,
    ]) {
      await expect(asRole(READER, (pool) => pool.query(statement))).rejects.toThrow(/permission denied/);
    }
    const granted = (await db.pool.anyFirst(sql.unsafe`
      select table_name || '.' || privilege_type from information_schema.role_table_grants
       where grantee = ${READER} order by 1`)) as string[];
    expect(granted).toEqual(
      ['organizations', 'companies', 'roles', 'role_permissions', 'roster_database', 'roster_migrations']
        .map((table) => `${table}.SELECT`)
        .sort(),
    );
    const columns = (await db.pool.anyFirst(sql.unsafe`
      select table_name || '.' || column_name from information_schema.column_privileges
       where grantee = ${READER} and table_name in ('users', 'audit_applies') and privilege_type = 'SELECT' order by 1`)) as string[];
    expect(columns).not.toContain('users.password_hash');
    expect(columns).toContain('users.has_password');
  });

  it('narrows a role that held the runtime privileges, and widens it back', async () => {
    const role = `roster_switch_${suffix}`;
    await db.pool.query(sql.unsafe`create role ${sql.identifier([role])} login`);
    try {
      const insert = sql.unsafe`insert into organizations (key, name) values (${`switch-${suffix.replace(/_/g, '-')}`}, 'Switch') returning id`;
      expect((await runRoster(['migrate', '--grant-to', role, '--database-url', db.url])).code).toBe(0);
      expect((await runRoster(['migrate', '--grant-to', role, '--read-only', '--database-url', db.url])).code).toBe(0);
      await expect(asRole(role, (pool) => pool.transaction((tx) => tx.query(insert)))).rejects.toThrow(/permission denied/);
      expect((await runRoster(['migrate', '--grant-to', role, '--database-url', db.url])).code).toBe(0);
      // Widened again, it can create an organization (its predefined roles are made by the owner's trigger).
      await asRole(role, (pool) => pool.query(insert));
    } finally {
      await db.pool.query(sql.unsafe`drop owned by ${sql.identifier([role])}`);
      await db.pool.query(sql.unsafe`drop role ${sql.identifier([role])}`);
    }
  });

  it('is refused without --grant-to', async () => {
    const result = await runRoster(['migrate', '--read-only', '--database-url', db.url]);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe('error: --read-only says what to grant: use it with --grant-to ROLE (roster migrate --grant-to roster_reader --read-only)\n');
  });
});

describe('a role without those privileges', () => {
  it('gets a message that names the missing privilege and where the grants are, and changes nothing', async () => {
    const dir = await writeConfig({ 'org.yaml': toConfigObject(org({ key: 'other', users: [user('admin@other.test', { role: 'admin', initialPassword: ADMIN })] })) });
    for (const argv of [['plan', dir], ['apply', dir, '--yes'], ['migrate']]) {
      const result = await runRoster([...argv, '--database-url', urlAs(STRANGER)], { env: ENV });
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(/^error: the database role lacks a privilege roster needs \(permission denied for (?:table|schema) \w+\); .* Grant it the privileges listed under "Least privilege" in roster's README, then run roster again\.\n$/);
    }
    expect(await db.pool.oneFirst(sql.unsafe`select count(*)::int from organizations where key = 'other'`)).toBe(0);
  });

  it('cannot be granted to when it does not exist', async () => {
    const result = await runRoster(['migrate', '--grant-to', 'roster_nobody_at_all', '--database-url', db.url]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("error: there is no database role 'roster_nobody_at_all' to grant to: create it first");
  });
});
