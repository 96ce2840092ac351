/**
 * The whole loop against a real PostgreSQL: each action is shown through `plan` (what it says) and through
 * `apply` (what the database then holds), and the next plan is empty.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import type { OrgState } from '../../src/model/state.ts';
import { verifyPassword } from '../../src/secrets/password.ts';
import { sql } from '../../src/db/sql.ts';
import { company, org, role, user } from '../support/builders.ts';
import { toConfigObject } from '../support/builders.ts';
import { runRoster, writeConfig, type RunResult } from '../support/cli.ts';
import { useTestDatabase, type TestDatabase } from '../support/database.ts';
import { addHistory, historyOf, snapshot, userRow } from '../support/inspect.ts';

const database = useTestDatabase();
let db: TestDatabase;
beforeAll(() => {
  db = database();
});

async function roster(args: string[], state: OrgState, env: Record<string, string> = {}): Promise<RunResult> {
  const dir = await writeConfig({ 'org.yaml': toConfigObject(state) });
  return runRoster([...args, dir], { env: { DATABASE_URL: db.url, ...env } });
}

async function planJson(state: OrgState, flags: string[] = []) {
  const result = await roster(['plan', '--format', 'json', ...flags], state);
  expect(result.stderr).toBe('');
  expect(result.code).toBe(0);
  return JSON.parse(result.stdout) as { changes: { type: string; action: string; key: string; fields: Record<string, unknown> }[] };
}

/** Plans, applies, and checks that a second plan finds nothing: returns the first plan's outline. */
async function converge(state: OrgState, env: Record<string, string> = {}, flags: string[] = []): Promise<string[]> {
  const planned = await planJson(state, flags);
  const applied = await roster(['apply', '--yes', ...flags], state, env);
  expect(applied.stderr).toContain('Applied to organization');
  expect(applied.code).toBe(0);
  const again = await roster(['plan', '--detailed-exitcode'], state);
  expect(again.stdout).toContain('No changes.');
  expect(again.code).toBe(0);
  return planned.changes.map((c) => `${c.type} ${c.action} ${c.key}`);
}

const base = org({
  companies: [company('hq', 'Headquarters'), company('eu', 'Europe')],
  roles: [role('analyst', ['view_dashboards', 'run_workflows'], { description: 'Reads and runs' })],
  users: [
    user('jane.doe@acme.com', { role: 'admin', initialPassword: { kind: 'env', name: 'JANE_PASSWORD' } }),
    user('bob.smith@acme.com', { role: 'analyst' }),
    user('carol.jones@acme.com', { company: 'eu' }),
  ],
});

describe('the organization lifecycle', () => {
  it('creates an organization with companies, roles, permissions and users', async () => {
    expect(await converge(base, { JANE_PASSWORD: 'correct horse battery staple' })).toEqual([
      'organization create acme',
      'company create eu',
      'company create hq',
      'role create analyst',
      'user create bob.smith@acme.com',
      'user create carol.jones@acme.com',
      'user create jane.doe@acme.com',
    ]);
    const jane = await userRow(db.pool, 'acme', 'jane.doe@acme.com');
    expect(jane).toMatchObject({ role: 'admin', company: 'hq', active: true, deactivated_at: null });
    expect(await verifyPassword('correct horse battery staple', jane!.password_hash!)).toBe(true);
    expect(await verifyPassword('wrong', jane!.password_hash!)).toBe(false);
    expect((await userRow(db.pool, 'acme', 'bob.smith@acme.com'))!.password_hash).toBeNull();
    const permissions = await db.pool.anyFirst(sql.unsafe`
      select p.permission from role_permissions p join roles r on r.id = p.role_id where r.key = 'analyst' order by 1`);
    expect(permissions).toEqual(['run_workflows', 'view_dashboards']);
    const predefined = await db.pool.anyFirst(sql.unsafe`select key from roles where predefined order by key`);
    expect(predefined).toEqual(['admin', 'editor', 'viewer']);
  });

  it('updates users, companies, roles and the organization in place', async () => {
    const edited = org({
      name: 'Acme Corporation',
      companies: [company('hq', 'Head Office'), company('eu', 'Europe')],
      roles: [role('analyst', ['view_dashboards', 'run_workflows', 'create_dashboards'], { name: 'Data Analyst' })],
      users: [
        user('jane.doe@acme.com', { role: 'admin', initialPassword: { kind: 'env', name: 'NOT_SET_AND_NOT_NEEDED' } }),
        user('bob.smith@acme.com', { role: 'viewer', company: 'eu', lastName: 'Smith-Jones' }),
        user('carol.jones@acme.com', { company: 'eu' }),
      ],
    });
    const before = await userRow(db.pool, 'acme', 'bob.smith@acme.com');
    const hashBefore = (await userRow(db.pool, 'acme', 'jane.doe@acme.com'))!.password_hash;
    expect(await converge(edited)).toEqual([
      'organization update acme',
      'company update hq',
      'role update analyst',
      'user update bob.smith@acme.com',
    ]);
    const bob = await userRow(db.pool, 'acme', 'bob.smith@acme.com');
    expect(bob).toMatchObject({ id: before!.id, role: 'viewer', company: 'eu', last_name: 'Smith-Jones' });
    expect((await userRow(db.pool, 'acme', 'jane.doe@acme.com'))!.password_hash).toBe(hashBefore);
    const analyst = await db.pool.one(sql.unsafe`select name, description from roles where key = 'analyst'`);
    expect(analyst).toEqual({ name: 'Data Analyst', description: null });
    await converge(base);
  });

  it('deactivates a user missing from the config, keeping the row and its history', async () => {
    await addHistory(db.pool, 'acme', 'carol.jones@acme.com');
    const carol = (await userRow(db.pool, 'acme', 'carol.jones@acme.com'))!;
    const withoutCarol = org({ ...base, users: base.users.filter((u) => u.email !== 'carol.jones@acme.com') });
    const planned = await planJson(withoutCarol);
    expect(planned.changes).toEqual([
      { type: 'user', action: 'deactivate', key: 'carol.jones@acme.com', fields: {}, reason: 'not in the configuration' },
    ]);
    await converge(withoutCarol);
    const after = (await userRow(db.pool, 'acme', 'carol.jones@acme.com'))!;
    expect(after).toMatchObject({ id: carol.id, active: false });
    expect(after.deactivated_at).not.toBeNull();
    expect(await historyOf(db.pool, carol.id)).toEqual({ dashboards: 1, runs: 1 });
  });

  it('reactivates the same row when the user returns to the config', async () => {
    const carol = (await userRow(db.pool, 'acme', 'carol.jones@acme.com'))!;
    expect(await converge(base)).toEqual(['user reactivate carol.jones@acme.com']);
    const after = (await userRow(db.pool, 'acme', 'carol.jones@acme.com'))!;
    expect(after).toMatchObject({ id: carol.id, active: true, deactivated_at: null });
    expect(await historyOf(db.pool, carol.id)).toEqual({ dashboards: 1, runs: 1 });
  });

  it('deactivates a user marked active: false and keeps them in the config', async () => {
    const paused = org({ ...base, users: base.users.map((u) => (u.email === 'carol.jones@acme.com' ? { ...u, active: false } : u)) });
    expect(await converge(paused)).toEqual(['user deactivate carol.jones@acme.com']);
    expect(await userRow(db.pool, 'acme', 'carol.jones@acme.com')).toMatchObject({ active: false });
    expect(await converge(base)).toEqual(['user reactivate carol.jones@acme.com']);
  });

  it('renames a user through formerEmails: the same row, history and password kept', async () => {
    const carol = (await userRow(db.pool, 'acme', 'carol.jones@acme.com'))!;
    const renamed = org({
      ...base,
      users: base.users.map((u) =>
        u.email === 'carol.jones@acme.com' ? { ...u, email: 'carol.smith@acme.com', formerEmails: ['carol.jones@acme.com'] } : u,
      ),
    });
    const planned = await planJson(renamed);
    expect(planned.changes).toEqual([
      { type: 'user', action: 'update', key: 'carol.smith@acme.com', fields: { email: { before: 'carol.jones@acme.com', after: 'carol.smith@acme.com' } } },
    ]);
    await converge(renamed);
    expect(await userRow(db.pool, 'acme', 'carol.jones@acme.com')).toBeNull();
    expect(await userRow(db.pool, 'acme', 'carol.smith@acme.com')).toMatchObject({ id: carol.id, active: true });
    expect(await historyOf(db.pool, carol.id)).toEqual({ dashboards: 1, runs: 1 });
  });

  it('matches an email the app stored in another case as the same user', async () => {
    await db.pool.query(sql.unsafe`update users set email = 'Bob.Smith@ACME.com' where lower(email) = 'bob.smith@acme.com'`);
    const current = org({ ...base, users: base.users.map((u) => (u.email === 'carol.jones@acme.com' ? { ...u, email: 'carol.smith@acme.com', formerEmails: ['carol.jones@acme.com'] } : u)) });
    const planned = await planJson(current);
    expect(planned.changes).toEqual([]);
  });

  it('deletes a company and a role nobody references any more', async () => {
    const extra = org({ ...base, companies: [...base.companies, company('tmp')], roles: [...base.roles, role('temp')] });
    await converge(extra);
    const removed = await converge(base);
    expect(removed).toEqual(['role delete temp', 'company delete tmp']);
    expect(await db.pool.anyFirst(sql.unsafe`select key from companies order by key`)).toEqual(['eu', 'hq']);
    expect(await db.pool.anyFirst(sql.unsafe`select key from roles where not predefined`)).toEqual(['analyst']);
  });

  it('refuses to delete a company a deactivated user still belongs to, through plan and apply, changing nothing', async () => {
    const withDan = org({ ...base, companies: [...base.companies, company('old')], users: [...base.users, user('dan@acme.com', { company: 'old' })] });
    await converge(withDan);
    const before = await snapshot(db.pool, 'acme');
    const planned = await roster(['plan'], base);
    expect(planned.code).toBe(1);
    expect(planned.stdout).toContain("cannot delete company 'old': 1 user not in the configuration still belongs to it (dan@acme.com)");
    const applied = await roster(['apply', '--yes'], base);
    expect(applied.code).toBe(1);
    expect(applied.stderr).toContain('nothing was applied');
    expect(await snapshot(db.pool, 'acme')).toBe(before);
    // Moving Dan to another company (kept deactivated) makes the deletion possible.
    const moved = org({ ...base, users: [...base.users, user('dan@acme.com', { company: 'hq', active: false })] });
    expect(await converge(moved)).toEqual(['user deactivate dan@acme.com', 'company delete old']);
  });

  it('writes an audit trail of every apply without passwords or hashes', async () => {
    const withEve = org({ ...base, users: [...base.users, user('eve@acme.com', { initialPassword: { kind: 'env', name: 'EVE_PASSWORD' } })] });
    const result = await roster(['apply', '--yes', '--actor', 'ci@acme.com', '--git-commit', 'abc123'], withEve, { EVE_PASSWORD: 'eve-secret-password' });
    expect(result.code).toBe(0);
    const audit = await db.pool.one(sql.unsafe`
      select a.actor, a.git_commit, a.summary, a.roster_version, a.config_hash, a.changes
        from audit_applies a where a.id = (select max(id) from audit_applies)`);
    expect(audit).toMatchObject({ actor: 'ci@acme.com', git_commit: 'abc123', summary: { create: 1, update: 0, deactivate: 0, reactivate: 0, delete: 0 } });
    expect((audit as { config_hash: string }).config_hash).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect((audit as { changes: unknown[] }).changes).toEqual([
      {
        type: 'user',
        action: 'create',
        key: 'eve@acme.com',
        after: { firstName: 'eve', lastName: 'Doe', role: 'viewer', company: 'hq', active: true, initialPassword: 'set' },
      },
    ]);
    const everything = await db.pool.oneFirst(sql.unsafe`select (select json_agg(a) from audit_applies a)::text`);
    expect(everything).not.toContain('eve-secret-password');
    expect(everything).not.toContain('$scrypt$');
    expect(result.stdout + result.stderr).not.toContain('eve-secret-password');
  });

  it('keeps a second organization in the same database untouched', async () => {
    const before = await snapshot(db.pool, 'acme');
    const globex = org({
      key: 'globex',
      name: 'Globex',
      companies: [company('hq')],
      // An administrator who can log in: without a password the lockout guard refuses the new organization.
      users: [user('jane.doe@acme.com', { role: 'editor' }), user('hank@globex.com', { role: 'admin', initialPassword: { kind: 'env', name: 'HANK_PASSWORD' } })],
    });
    expect(await converge(globex, { HANK_PASSWORD: 'hank-long-secret-1' })).toEqual(['organization create globex', 'company create hq', 'user create hank@globex.com', 'user create jane.doe@acme.com']);
    expect(await snapshot(db.pool, 'acme')).toBe(before);
    // Removing every user of globex deactivates only globex's users.
    await converge(org({ key: 'globex', name: 'Globex', companies: [company('hq')], users: [] }), {}, ['--min-admins', '0']);
    expect(await snapshot(db.pool, 'acme')).toBe(before);
    expect(await userRow(db.pool, 'globex', 'jane.doe@acme.com')).toMatchObject({ active: false });
    expect(await userRow(db.pool, 'acme', 'jane.doe@acme.com')).toMatchObject({ active: true });
  });
});

describe('apply refuses safely', () => {
  it('requires --yes without a terminal, and writes nothing', async () => {
    const before = await snapshot(db.pool, 'acme');
    const changed = org({ ...base, name: 'Renamed Without Asking' });
    const result = await roster(['apply'], changed);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('pass --yes');
    expect(await snapshot(db.pool, 'acme')).toBe(before);
  });

  it('asks on a terminal, and only "yes" applies', async () => {
    const changed = org({ ...base, name: 'Acme Asked' });
    const dir = await writeConfig({ 'org.yaml': toConfigObject(changed) });
    const declined = await runRoster(['apply', dir], { env: { DATABASE_URL: db.url }, typed: 'y\n' });
    expect(declined.code).toBe(1);
    expect(declined.stderr).toContain('Type "yes" to confirm');
    expect(declined.stderr).toContain('Apply cancelled; nothing was changed.');
    expect(await db.pool.oneFirst(sql.unsafe`select name from organizations where key = 'acme'`)).not.toBe('Acme Asked');
    const accepted = await runRoster(['apply', dir], { env: { DATABASE_URL: db.url }, typed: 'yes\n' });
    expect(accepted.code).toBe(0);
    expect(await db.pool.oneFirst(sql.unsafe`select name from organizations where key = 'acme'`)).toBe('Acme Asked');
  });

  it('names a missing password variable with its position, before writing anything', async () => {
    const before = await snapshot(db.pool, 'acme');
    const withFrank = org({ ...base, users: [...base.users, user('frank@acme.com', { initialPassword: { kind: 'env', name: 'FRANK_PASSWORD' } })] });
    const result = await roster(['apply', '--yes'], withFrank);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/org\.yaml:\d+:\d+: environment variable FRANK_PASSWORD \(password of frank@acme\.com\) is not set; set it for apply\n/);
    expect(await snapshot(db.pool, 'acme')).toBe(before);
  });

  it('exits 2 from plan --detailed-exitcode when there are changes', async () => {
    const result = await roster(['plan', '--detailed-exitcode'], org({ ...base, name: 'Something Else' }));
    expect(result.code).toBe(2);
    expect(result.stdout).toContain('Plan: 0 to create, 1 to update');
  });
});
