/**
 * The database is input too. Each hostile state is made with real SQL, as a platform's own UI, a careless UPDATE or
 * a database from before migration 0006 would leave it; roster then runs as people run it. Each must end in a clear
 * problem or drift item saying what to do (never an internal error), and nothing may be written where it must not.
 */
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import { beforeAll, describe, expect, it } from 'vitest';
import { bundledMigrations } from '../../src/db/migrate.ts';
import { sql, trustedScript } from '../../src/db/sql.ts';
import { company, org, toConfigObject, user } from '../support/builders.ts';
import { runRoster, spawnRoster, tempDir, writeConfig, type RunResult } from '../support/cli.ts';
import { createTestDatabase, useTestDatabase, type TestDatabase } from '../support/database.ts';
import type { UserSpec } from '../../src/model/state.ts';

const require = createRequire(import.meta.url);
const schemas = {
  plan: new Ajv({ strict: true, allowUnionTypes: true }).compile(require('../../schema/plan.schema.json')),
  drift: new Ajv({ strict: true, allowUnionTypes: true }).compile(require('../../schema/drift.schema.json')),
};
/** `json` parsed, after checking it against its published schema. */
function conforming<T>(schema: keyof typeof schemas, json: string): T {
  const value = JSON.parse(json) as T;
  expect(schemas[schema](value), JSON.stringify(schemas[schema].errors)).toBe(true);
  return value;
}

const database = useTestDatabase();
let db: TestDatabase;
beforeAll(() => {
  db = database();
});
const PASSWORD = 'correct horse battery staple 16';
const env = (url = db.url) => ({ DATABASE_URL: url, ADMIN_PASSWORD: PASSWORD });

/** A configuration for organization `key`: an administrator who can log in, plus `users`. */
function config(key: string, users: UserSpec[], options: { unmanagedUsers?: 'ignore' } = {}): Record<string, unknown> {
  const state = org({ key, companies: [company('hq')], users: [user(`owner@${key}.com`, { role: 'admin', initialPassword: { kind: 'env', name: 'ADMIN_PASSWORD' } }), ...users] });
  const object = toConfigObject(state);
  return { ...object, organization: { ...(object.organization as object), ...(options.unmanagedUsers ? { unmanagedUsers: options.unmanagedUsers } : {}) } };
}

/** Applies `files` and returns their directory. */
async function applied(files: Record<string, unknown>, url = db.url): Promise<string> {
  const dir = await writeConfig({ 'org.yaml': files });
  const result = await runRoster(['apply', dir, '--yes'], { env: env(url) });
  expect(result.stderr + result.stdout).not.toMatch(/internal error/i);
  expect(result.code).toBe(0);
  return dir;
}

/** A user inserted behind roster's back, as the app would. */
async function insertUser(key: string, email: string, options: { role?: string; firstName?: string; target?: TestDatabase } = {}): Promise<void> {
  await (options.target ?? db).pool.query(sql.unsafe`
    insert into users (organization_id, email, first_name, last_name, role_id, company_id)
    select o.id, ${email}, ${options.firstName ?? 'App'}, 'Made', r.id, c.id
      from organizations o
      join roles r on r.organization_id = o.id and r.key = ${options.role ?? 'viewer'}
      join companies c on c.organization_id = o.id and c.key = 'hq'
     where o.key = ${key}`);
}

/** Everything roster could write for organization `key`, to prove nothing was. */
async function snapshot(key: string, target: TestDatabase = db): Promise<unknown> {
  return target.pool.any(sql.unsafe`
    select 'user' as kind, u.email as key, u.first_name || ' ' || u.last_name || ' ' || r.key || ' ' || u.active || ' ' || u.updated_at::text as value
      from users u join roles r on r.id = u.role_id join organizations o on o.id = u.organization_id where o.key = ${key}
    union all
    select 'role', r.key, r.predefined || ' ' || coalesce(string_agg(p.permission, ',' order by p.permission), '') || ' ' || r.updated_at::text
      from roles r join organizations o on o.id = r.organization_id left join role_permissions p on p.role_id = r.id
     where o.key = ${key} group by r.id
    union all
    select 'audit', count(*)::text, '' from audit_applies a join organizations o on o.id = a.organization_id where o.key = ${key}
    order by 1, 2, 3`);
}

/** A predefined role changed as a database from before 0006 allows, or a person who sets the escape hatch on purpose. */
async function behindTheGuard(statement: ReturnType<typeof sql.unsafe>): Promise<void> {
  await db.pool.transaction(async (tx) => {
    await tx.query(sql.unsafe`select set_config('roster.predefined_roles', 'writable', true)`);
    await tx.query(statement);
  });
}

function expectClear(result: RunResult): void {
  expect(result.stdout + result.stderr).not.toMatch(/internal error|this is a bug|at .*\.ts:\d+/i);
}

async function driftItems(dir: string): Promise<{ code: number; items: { kind: string; type: string; key: string; message?: string; afterLastApply: boolean | null }[] }> {
  const result = await runRoster(['drift', dir, '--format', 'json'], { env: env() });
  expectClear(result);
  return { code: result.code, items: conforming<{ items: { kind: string; type: string; key: string; message?: string; afterLastApply: boolean | null }[] }>('drift', result.stdout).items };
}

describe('an email stored with an invisible character is never taken for a configured user', () => {
  it.each([
    ['U+FEFF', '\uFEFF', 'feff'],
    ['U+00A0', '\u00A0', 'a0'],
  ])('a twin made in the app with a trailing %s is not promoted to admin (unmanagedUsers: ignore)', async (name, character, hex) => {
    const key = `gamma-${hex}`;
    const dir = await applied(config(key, [], { unmanagedUsers: 'ignore' }));
    await insertUser(key, `boss@${key}.com${character}`);
    // The configuration now names boss@… as an administrator: the app-made twin must not become that administrator.
    await writeConfig({ 'org.yaml': config(key, [user(`boss@${key}.com`, { role: 'admin' })], { unmanagedUsers: 'ignore' }) }, dir);
    const before = await snapshot(key);

    const plan = await spawnRoster(['plan', dir], { env: env() });
    expectClear(plan);
    expect(plan.code).toBe(1);
    expect(plan.stdout).toContain(`boss@${key}.com\\u{${hex}}`);
    expect(plan.stdout).toContain(`ends with an invisible or space character (U+${hex.toUpperCase().padStart(4, '0')})`);
    expect(plan.stdout).toContain('never takes it for a user of the configuration');
    expect(plan.stdout).not.toContain(character === '\uFEFF' ? '\uFEFF' : `${key}.com\u00A0`);

    const apply = await runRoster(['apply', dir, '--yes'], { env: env() });
    expectClear(apply);
    expect(apply.code).toBe(1);
    expect(apply.stderr).toContain('nothing was applied');
    expect(await snapshot(key)).toEqual(before);

    const drift = await driftItems(dir);
    expect(drift.code).toBe(2);
    expect(drift.items).toContainEqual(expect.objectContaining({ kind: 'invalid', type: 'user', key: `boss@${key}.com${character}` }));
    void name;
  });

  it('an email with escape sequences never reaches the terminal raw, in any format', async () => {
    const key = 'escapes';
    const dir = await applied(config(key, []));
    await insertUser(key, 'mallory\u001b[2J\u001b[H@escapes.com');
    for (const format of ['text', 'json', 'markdown']) {
      const plan = await runRoster(['plan', dir, '--format', format], { env: env() });
      expectClear(plan);
      expect(plan.code).toBe(1);
      expect(plan.stdout + plan.stderr).not.toContain('\u001b');
      expect(plan.stdout).toMatch(/U\+001B/);
    }
    const drift = await runRoster(['drift', dir], { env: env() });
    expect(drift.code).toBe(3); // an active user no file lists is sensitive drift
    expect(drift.stdout + drift.stderr).not.toContain('\u001b');
  });
});

describe('one identity on both sides', () => {
  it('İvan@ in the database is ivan@ in the files: updated in place, no duplicate-key error', async () => {
    const key = 'delta';
    const dir = await applied(config(key, []));
    await insertUser(key, 'İvan@delta.com');
    await writeConfig({ 'org.yaml': config(key, [user('ivan@delta.com', { firstName: 'Ivan', lastName: 'Petrov', role: 'editor' })]) }, dir);
    const apply = await runRoster(['apply', dir, '--yes'], { env: env() });
    expectClear(apply);
    expect(apply.code).toBe(0);
    const rows = await db.pool.any(sql.unsafe`
      select u.email, u.first_name, r.key as role from users u join roles r on r.id = u.role_id join organizations o on o.id = u.organization_id
       where o.key = 'delta' and u.email <> 'owner@delta.com'`);
    expect(rows).toEqual([{ email: 'İvan@delta.com', first_name: 'Ivan', role: 'editor' }]);
    expect((await runRoster(['plan', dir, '--detailed-exitcode'], { env: env() })).code).toBe(0);
  });

  it('two stored emails that differ only in NFC and NFD (a database from before 0006) are refused, naming both; export writes only valid files', async () => {
    // Its own database: the unique index on roster's identity must be gone for such rows to exist.
    const old = await createTestDatabase();
    try {
      const key = 'epsilon';
      const dir = await applied(config(key, [user('jose@epsilon.com')]), old.url);
      await old.pool.query(sql.unsafe`drop index users_organization_email_key`);
      await insertUser(key, 'jos\u00e9@epsilon.com', { target: old });
      await insertUser(key, 'jose\u0301@epsilon.com', { target: old });
      const before = await snapshot(key, old);

      const plan = await runRoster(['plan', dir], { env: env(old.url) });
      expectClear(plan);
      expect(plan.code).toBe(1);
      expect(plan.stdout).toMatch(/2 users in the database are one login under roster's email identity/);
      expect(plan.stdout).toContain("'jos\u00e9@epsilon.com'");
      expect(plan.stdout).toContain("'jose\u0301@epsilon.com'");
      expect(plan.stdout).toMatch(/not in Unicode normal form C/);

      const apply = await runRoster(['apply', dir, '--yes'], { env: env(old.url) });
      expectClear(apply);
      expect(apply.code).toBe(1);
      expect(await snapshot(key, old)).toEqual(before);

      const out = await tempDir();
      const exported = await runRoster(['export', '--out', out, '--organization', key], { env: env(old.url) });
      expectClear(exported);
      expect(exported.code).toBe(0);
      expect(exported.stderr).toMatch(/2 rows were left out/);
      expect(exported.stderr).toContain('jos\u00e9@epsilon.com');
      expect(await readFile(join(out, 'organization.yaml'), 'utf8')).toContain('unmanagedUsers: ignore');
      const validate = await runRoster(['validate', out], { env: {} });
      expect(validate.stderr + validate.stdout).not.toMatch(/problem/);
      expect(validate.code).toBe(0);
    } finally {
      await old.drop();
    }
  });

  it('migration 0006 refuses a database whose users are one login, naming them and what to do; then applies once fixed', async () => {
    const old = await createTestDatabase({ migrated: false });
    try {
      // roster as it was before 0006.
      await old.pool.query(sql.unsafe`create table roster_migrations (version integer primary key, name text not null, checksum text not null, applied_at timestamptz not null default now())`);
      for (const migration of bundledMigrations().filter((m) => m.version < 6)) {
        await old.pool.query(trustedScript(migration.sql));
        await old.pool.query(sql.unsafe`insert into roster_migrations (version, name, checksum) values (${migration.version}, ${migration.name}, ${migration.checksum})`);
      }
      await old.pool.query(sql.unsafe`insert into organizations (key, name) values ('zeta', 'Zeta')`);
      await old.pool.query(sql.unsafe`insert into companies (organization_id, key, name) select id, 'hq', 'HQ' from organizations`);
      await insertUser('zeta', 'ren\u00e9@zeta.com', { target: old });
      await insertUser('zeta', 'rene\u0301@zeta.com', { target: old });

      const refused = await spawnRoster(['migrate'], { env: { DATABASE_URL: old.url } });
      expectClear(refused);
      expect(refused.code).toBe(1);
      expect(refused.stderr).toMatch(/migration 6 \(identity_and_predefined_roles\) cannot be applied, nothing was changed/);
      expect(refused.stderr).toContain('organization zeta');
      expect(refused.stderr).toContain('ren\u00e9@zeta.com (id');
      expect(refused.stderr).toContain('rene\u0301@zeta.com (id');
      expect(refused.stderr).toMatch(/change the email of all but one user in each group/);
      expect(await old.pool.oneFirst(sql.unsafe`select max(version) from roster_migrations`)).toBe(5);

      await old.pool.query(sql.unsafe`update users set email = 'rene.2@zeta.com' where email = ${'rene\u0301@zeta.com'}`);
      const migrated = await runRoster(['migrate'], { env: { DATABASE_URL: old.url } });
      expect(migrated.code).toBe(0);
      expect(await old.pool.oneFirst(sql.unsafe`select max(version) >= 6 from roster_migrations`)).toBe(true);
    } finally {
      await old.drop();
    }
  });
});

describe('predefined roles are compared with the database', () => {
  it('the schema refuses changing a predefined role by hand', async () => {
    const key = 'eta';
    await applied(config(key, []));
    const org = sql.unsafe`(select id from organizations where key = ${key})`;
    await expect(db.pool.query(sql.unsafe`delete from role_permissions p using roles r where p.role_id = r.id and r.organization_id = ${org} and r.key = 'admin'`)).rejects.toThrow(/predefined/);
    await expect(db.pool.query(sql.unsafe`delete from roles where organization_id = ${org} and key = 'editor'`)).rejects.toThrow(/predefined/);
    await expect(db.pool.query(sql.unsafe`update roles set predefined = false where organization_id = ${org} and key = 'viewer'`)).rejects.toThrow(/predefined/);
    await expect(db.pool.query(sql.unsafe`insert into role_permissions (role_id, permission) select id, 'manage_users' from roles where organization_id = ${org} and key = 'viewer'`)).rejects.toThrow(
      /predefined/,
    );
  });

  it('an admin role stripped by hand is a plan problem and drift, until restored as roster says', async () => {
    const key = 'theta';
    const dir = await applied(config(key, [user('ann@theta.com')]));
    await behindTheGuard(sql.unsafe`
      delete from role_permissions p using roles r, organizations o
       where p.role_id = r.id and r.organization_id = o.id and o.key = ${key} and r.key = 'admin' and p.permission = 'manage_users'`);
    const before = await snapshot(key);

    const plan = await runRoster(['plan', dir], { env: env() });
    expectClear(plan);
    expect(plan.code).toBe(1);
    expect(plan.stdout).not.toContain('No changes');
    expect(plan.stdout).toContain('the predefined role admin was changed in the database: it lacks manage_users');
    expect(plan.stdout).toContain(`select roster_restore_predefined_roles('${key}')`);
    const json = conforming<{ problems: { kind: string; key: string }[] }>('plan', (await runRoster(['plan', dir, '--format', 'json'], { env: env() })).stdout);
    expect(json.problems).toContainEqual(expect.objectContaining({ kind: 'predefined-role-changed', key: 'admin' }));

    const drift = await driftItems(dir);
    expect(drift.code).toBe(2);
    expect(drift.items).toContainEqual(expect.objectContaining({ kind: 'invalid', type: 'role', key: 'admin', afterLastApply: true }));

    const apply = await runRoster(['apply', dir, '--yes'], { env: env() });
    expectClear(apply);
    expect(apply.code).toBe(1);
    expect(await snapshot(key)).toEqual(before);

    await db.pool.query(sql.unsafe`select roster_restore_predefined_roles(${key})`);
    const after = await runRoster(['plan', dir, '--detailed-exitcode'], { env: env() });
    expect(after.code).toBe(0);
  });

  it('a deleted editor role is a clear problem, not a null role_id', async () => {
    const key = 'iota';
    const dir = await applied(config(key, []));
    await behindTheGuard(sql.unsafe`delete from roles where key = 'editor' and organization_id = (select id from organizations where key = ${key})`);
    await writeConfig({ 'org.yaml': config(key, [user('ed@iota.com', { role: 'editor' })]) }, dir);
    const before = await snapshot(key);
    const apply = await spawnRoster(['apply', dir, '--yes'], { env: env() });
    expectClear(apply);
    expect(apply.code).toBe(1);
    expect(apply.stderr).toContain('the predefined role editor is missing from the database');
    expect(apply.stderr).toContain(`roster_restore_predefined_roles('${key}')`);
    expect(await snapshot(key)).toEqual(before);
  });

  it('a viewer role whose predefined flag was cleared is a problem, never a custom role to delete', async () => {
    const key = 'kappa';
    const dir = await applied(config(key, []));
    await behindTheGuard(sql.unsafe`update roles set predefined = false where key = 'viewer' and organization_id = (select id from organizations where key = ${key})`);
    const plan = await runRoster(['plan', dir, '--format', 'json'], { env: env() });
    expectClear(plan);
    expect(plan.code).toBe(1);
    const parsed = conforming<{ changes: { type: string; key: string }[]; problems: { kind: string; key: string; message: string }[] }>('plan', plan.stdout);
    expect(parsed.changes.filter((c) => c.type === 'role')).toEqual([]);
    expect(parsed.problems).toContainEqual(expect.objectContaining({ kind: 'predefined-role-changed', key: 'viewer' }));
    expect(parsed.problems.find((p) => p.key === 'viewer')!.message).toContain('no longer marked predefined');
  });
});

describe('rows that do not fit the model', () => {
  it('a NULL first name (NOT NULL dropped by hand) is named in plan, drift and export, never a crash', async () => {
    const key = 'lambda';
    const dir = await applied(config(key, [user('nils@lambda.com')]));
    await db.pool.query(sql.unsafe`alter table users alter column first_name drop not null`);
    await db.pool.query(sql.unsafe`update users set first_name = null where email = 'nils@lambda.com'`);
    const id = await db.pool.oneFirst(sql.unsafe`select id from users where email = 'nils@lambda.com'`);
    const before = await snapshot(key);

    const plan = await spawnRoster(['plan', dir], { env: env() });
    expectClear(plan);
    expect(plan.code).toBe(1);
    expect(plan.stdout).toContain(`user 'nils@lambda.com' (users id ${id}) in the database cannot be read: first_name is NULL`);
    expect(plan.stdout).toContain(`update users set … where id = ${id}`);
    expect(plan.stdout).not.toMatch(/\+ nils@lambda\.com/); // not created a second time

    const apply = await runRoster(['apply', dir, '--yes'], { env: env() });
    expectClear(apply);
    expect(apply.code).toBe(1);
    expect(await snapshot(key)).toEqual(before);

    const drift = await driftItems(dir);
    expect(drift.code).toBe(2);
    expect(drift.items).toContainEqual(expect.objectContaining({ kind: 'invalid', type: 'user', key: 'nils@lambda.com' }));
    const files = await readFile(join(dir, 'org.yaml'), 'utf8');
    const accept = await runRoster(['drift', dir, '--write'], { env: env() });
    expectClear(accept);
    expect(accept.code).toBe(1);
    expect(accept.stderr).toMatch(/1 drift item cannot be accepted into the files.*nothing was written/);
    expect(accept.stderr).toContain('first_name is NULL');
    expect(await readFile(join(dir, 'org.yaml'), 'utf8')).toBe(files);

    const out = await tempDir();
    const exported = await runRoster(['export', '--out', out, '--organization', key], { env: env() });
    expectClear(exported);
    expect(exported.code).toBe(0);
    expect(exported.stderr).toContain("user 'nils@lambda.com'");
    expect(exported.stderr).toContain('first_name is NULL');
    expect((await runRoster(['validate', out], { env: {} })).code).toBe(0);
  });
});

describe('export writes only what validate accepts', () => {
  it('leaves out a stored email the configuration cannot hold, says why, and the files validate and plan to nothing', async () => {
    const key = 'mu';
    await applied(config(key, [user('zoe@mu.com')]));
    await insertUser(key, 'jürgen@mu.com');
    const out = await tempDir();
    const exported = await runRoster(['export', '--out', out, '--organization', key], { env: env() });
    expectClear(exported);
    expect(exported.code).toBe(0);
    expect(exported.stderr).toContain("user 'jürgen@mu.com'");
    expect(exported.stderr).toMatch(/not a valid email address/);
    const validate = await runRoster(['validate', out], { env: {} });
    expect(validate.code).toBe(0);
    // The left-out user is left alone, not deactivated, by the exported files.
    const plan = await runRoster(['plan', out, '--format', 'json'], { env: env() });
    const parsed = JSON.parse(plan.stdout) as { changes: unknown[]; ignoredUsers: string[] };
    expect(parsed.changes).toEqual([]);
    expect(parsed.ignoredUsers).toContain('jürgen@mu.com');
  });
});

describe('a hand UPDATE racing an apply', () => {
  it('ends in a plain refusal: nothing applied, plan again', async () => {
    const key = 'nu';
    const dir = await applied(config(key, [user('rita@nu.com')]));
    await writeConfig({ 'org.yaml': config(key, [user('rita@nu.com', { active: false })]) }, dir);
    const audits = await db.pool.oneFirst(sql.unsafe`select count(*)::int from audit_applies a join organizations o on o.id = a.organization_id where o.key = ${key}`);
    const result = await db.pool.connect(async (hand) => {
      await hand.query(sql.unsafe`begin`);
      await hand.query(sql.unsafe`update users set active = false, deactivated_at = now() where email = 'rita@nu.com'`);
      let settled: RunResult | null = null;
      const applying = runRoster(['apply', dir, '--yes'], { env: env() }).then((r) => (settled = r));
      // Wait until roster's apply waits for the hand-made transaction's row lock, then commit it.
      for (;;) {
        const waiting = await db.pool.oneFirst(sql.unsafe`
          select count(*)::int from pg_stat_activity where datname = ${db.name} and wait_event_type = 'Lock'`);
        if (waiting > 0) break;
        if (settled !== null) throw new Error(`roster ended without waiting for the row lock: ${JSON.stringify(settled)}`);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      await hand.query(sql.unsafe`commit`);
      return applying;
    });
    expectClear(result);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('the database changed while roster was applying');
    expect(result.stderr).toContain('Nothing was applied');
    expect(await db.pool.oneFirst(sql.unsafe`select count(*)::int from audit_applies a join organizations o on o.id = a.organization_id where o.key = ${key}`)).toBe(audits);
    expect((await runRoster(['plan', dir, '--detailed-exitcode'], { env: env() })).code).toBe(0);
  });
});
