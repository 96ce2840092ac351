/**
 * Least privilege: the schema's owner migrates and runs `migrate --grant-to ROLE`; every command then works as ROLE,
 * and ROLE can neither delete a user nor change the schema. A role without the grants gets a message that says so.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createPool } from 'slonik';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { grantScript } from '../../src/db/grants.ts';
import { sql } from '../../src/db/sql.ts';
import { company, org, role, toConfigObject, user } from '../support/builders.ts';
import { REPO_ROOT, runRoster, tempDir, writeConfig } from '../support/cli.ts';
import { ADMIN_URL, createTestDatabase, type TestDatabase } from '../support/database.ts';
import { userRow } from '../support/inspect.ts';

const suffix = `${process.pid}_${randomBytes(3).toString('hex')}`;
const RUNNER = `roster_runner_${suffix}`;
const STRANGER = `roster_stranger_${suffix}`;
let db: TestDatabase;

/** The test database's URL, connecting as `role`. */
function urlAs(role: string): string {
  const url = new URL(db.url);
  url.username = role;
  return url.toString();
}

beforeAll(async () => {
  db = await createTestDatabase({ migrated: false });
  await db.pool.query(sql.unsafe`create role ${sql.identifier([RUNNER])} login`);
  await db.pool.query(sql.unsafe`create role ${sql.identifier([STRANGER])} login`);
});

afterAll(async () => {
  await db.drop();
  const admin = await createPool(ADMIN_URL, { maximumPoolSize: 1 });
  try {
    for (const name of [RUNNER, STRANGER]) await admin.query(sql.unsafe`drop role if exists ${sql.identifier([name])}`);
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

describe('a role with only the privileges roster needs', () => {
  it('is set up by the owner with migrate --grant-to', async () => {
    const result = await runRoster(['migrate', '--grant-to', RUNNER, '--database-url', db.url]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toContain(`Granted ${RUNNER} what roster needs to run`);
    // Twice is fine: the grants are set, not added to.
    expect((await runRoster(['migrate', '--grant-to', RUNNER, '--database-url', db.url])).code).toBe(0);
  });

  it('runs plan, apply (creates, edits, renames, password resets, deactivations, deletions), drift and export', async () => {
    const env = { ADMIN_PASSWORD: 'a long enough admin password' };
    const url = urlAs(RUNNER);
    const first = await writeConfig({ 'org.yaml': toConfigObject(v1) });
    expect((await runRoster(['plan', first, '--database-url', url], { env })).code).toBe(0);
    const created = await runRoster(['apply', first, '--yes', '--database-url', url], { env });
    expect(created.code, created.stderr).toBe(0);

    // Someone edits a user by hand; drift, as the runner, sees it.
    await db.pool.query(sql.unsafe`update users set first_name = 'Handmade' where email = 'ann@least.test'`);
    const drift = await runRoster(['drift', first, '--database-url', url]);
    expect(drift.code, drift.stderr).toBe(2);
    expect(drift.stdout).toContain('Handmade');

    const second = await writeConfig({ 'org.yaml': toConfigObject(v2) });
    const changed = await runRoster(['apply', second, '--yes', '--database-url', url], { env });
    expect(changed.code, changed.stderr).toBe(0);
    expect(await userRow(db.pool, 'least', 'ann.new@least.test')).toMatchObject({ role: 'auditor', active: true });
    expect(await userRow(db.pool, 'least', 'bob@least.test')).toMatchObject({ active: false });
    expect(await db.pool.anyFirst(sql.unsafe`select key from companies order by key`)).toEqual(['hq']);

    const out = await tempDir();
    const exported = await runRoster(['export', '--organization', 'least', '--out', out, '--database-url', url]);
    expect(exported.code, exported.stderr).toBe(0);
    expect(readFileSync(join(out, 'users.yaml'), 'utf8')).toContain('ann.new@least.test');
  });

  it('cannot delete a user, empty a table, or change the schema or its version', async () => {
    const runner = await createPool(urlAs(RUNNER), { maximumPoolSize: 1 });
    try {
      for (const statement of [
        sql.unsafe`delete from users`,
        sql.unsafe`truncate users`,
        sql.unsafe`drop table audit_applies`,
        sql.unsafe`create table intruder (id int)`,
        sql.unsafe`alter table users drop constraint users_check`,
        sql.unsafe`update roster_migrations set version = 99`,
        sql.unsafe`delete from audit_applies`,
        sql.unsafe`update audit_applies set actor = 'someone else'`,
        sql.unsafe`select * from dashboards`,
      ]) {
        await expect(runner.query(statement)).rejects.toThrow(/permission denied|must be owner/);
      }
    } finally {
      await runner.end();
    }
  });

  it('is what the README documents', () => {
    const readme = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8');
    expect(readme).toContain(grantScript('roster_runner', 'platform'));
  });
});

describe('a role without those privileges', () => {
  it('gets a message that names the missing privilege and where the grants are, and changes nothing', async () => {
    const dir = await writeConfig({ 'org.yaml': toConfigObject(org({ key: 'other', users: [user('admin@other.test', { role: 'admin' })] })) });
    for (const argv of [['plan', dir], ['apply', dir, '--yes'], ['migrate']]) {
      const result = await runRoster([...argv, '--database-url', urlAs(STRANGER)]);
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
