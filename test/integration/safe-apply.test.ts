/**
 * Safe apply against a real PostgreSQL: saved plans applied exactly as reviewed, stale ones refused, guard rails
 * refusing and then passing with their overrides, applies serialised across processes, rotations, ownership modes.
 * (Plan files as an attacker meets them: plan-files-hostile.test.ts; the terminal's confirmation: apply-confirm.test.ts.)
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createPool } from 'slonik';
import { beforeAll, describe, expect, it } from 'vitest';
import { organizationLockKey } from '../../src/apply/apply.ts';
import { sql } from '../../src/db/sql.ts';
import { hashPassword } from '../../src/secrets/password.ts';
import type { OrgState } from '../../src/model/state.ts';
import { company, org, role, toConfigObject, user } from '../support/builders.ts';
import { runRoster, spawnRoster, writeConfig, type RunResult } from '../support/cli.ts';
import { createTestDatabase, useTestDatabase, type TestDatabase } from '../support/database.ts';
import { snapshot, userRow } from '../support/inspect.ts';

const database = useTestDatabase();
let db: TestDatabase;
beforeAll(() => {
  db = database();
});

const env = () => ({ DATABASE_URL: db.url });
/** The key the plan and apply jobs share, for plans applied without their files. */
const KEY = 'safe-apply-test-plan-key-0123456789abcdef';

/** The administrator's password hash: the lockout guard counts only administrators who can log in. */
const BOSS_HASH = await hashPassword('boss-password-for-tests');
const BOSS_PASSWORD = { kind: 'hash', hash: BOSS_HASH, file: '', pointer: [] } as const;

/** An organization with an administrator, `n` staff, and a key of its own. */
function team(key: string, n: number, extra: Parameters<typeof org>[0] = {}): OrgState {
  return org({
    key,
    companies: [company('hq')],
    roles: [role('analyst', ['view_dashboards'])],
    users: [
      user(`boss@${key}.com`, { role: 'admin', initialPassword: BOSS_PASSWORD }),
      ...Array.from({ length: n }, (_, i) => user(`staff${i}@${key}.com`, { role: 'analyst' })),
    ],
    ...extra,
  });
}

async function apply(state: OrgState, flags: string[] = [], extraEnv: Record<string, string> = {}): Promise<RunResult> {
  const dir = await writeConfig({ 'org.yaml': toConfigObject(state) });
  return runRoster(['apply', dir, '--yes', ...flags], { env: { ...env(), ...extraEnv } });
}

/**
 * Writes the configuration and, from its directory as a CI job would, a plan file for it (plan.json). Returns the
 * directory, the plan file's path, and `run` to run roster in that directory.
 */
async function savePlan(
  state: OrgState,
  flags: string[] = [],
  extraEnv: Record<string, string> = {},
): Promise<{ dir: string; planFile: string; result: RunResult; run: (argv: string[], env?: Record<string, string>) => Promise<RunResult> }> {
  const dir = await writeConfig({ 'org.yaml': toConfigObject(state) });
  const run = (argv: string[], runEnv: Record<string, string> = env()) => runRoster(argv, { cwd: dir, env: runEnv });
  const result = await run(['plan', '.', '--out', 'plan.json', ...flags], { ...env(), ...extraEnv });
  return { dir, planFile: join(dir, 'plan.json'), result, run };
}

describe('saved plans', () => {
  it('applies exactly the saved plan with its files, without asking; with a key and --ignore-files, without them', async () => {
    await apply(team('saved', 2));
    const { dir, result, run } = await savePlan(team('saved', 3, { name: 'Saved Inc.' }), [], { ROSTER_PLAN_KEY: KEY });
    expect(result.code).toBe(0);
    expect(result.stderr).toContain('Saved the plan to plan.json');
    // The configuration changes after the plan was made: the authenticated plan, not the files, is applied.
    await writeFile(join(dir, 'org.yaml'), 'this: is not even a roster file\n');
    const withFiles = await run(['apply', 'plan.json'], { ...env(), ROSTER_PLAN_KEY: KEY });
    expect(withFiles.code).toBe(1);
    expect(withFiles.stderr).toContain('  changed: org.yaml');
    const applied = await run(['apply', 'plan.json', '--ignore-files'], { ...env(), ROSTER_PLAN_KEY: KEY });
    expect(applied.stderr).toContain('Applied to organization saved. Changes: 1 to create, 1 to update');
    expect(applied.code).toBe(0);
    expect(await userRow(db.pool, 'saved', 'staff2@saved.com')).toMatchObject({ active: true });
    expect(await db.pool.oneFirst(sql.unsafe`select name from organizations where key = 'saved'`)).toBe('Saved Inc.');
    const again = await run(['apply', '--plan', 'plan.json', '--ignore-files'], { ...env(), ROSTER_PLAN_KEY: KEY });
    expect(again.stderr).toContain('is already applied');
    expect(again.code).toBe(0);
  });

  it('refuses a plan whose rows changed since, naming them, and writes nothing', async () => {
    await apply(team('stale', 3));
    const { run } = await savePlan(
      team('stale', 3, { users: [user('boss@stale.com', { role: 'admin', initialPassword: BOSS_PASSWORD }), user('staff0@stale.com', { role: 'viewer' })] }),
      [],
      { ROSTER_PLAN_KEY: KEY },
    );
    // Someone edits two users the plan touches in the app's UI.
    await db.pool.query(sql.unsafe`update users set first_name = 'Edited' where email in ('staff0@stale.com', 'staff2@stale.com')`);
    const before = await snapshot(db.pool, 'stale');
    // An authenticated plan's versions are its own: the rows that moved are named.
    const result = await run(['apply', 'plan.json', '--yes'], { ...env(), ROSTER_PLAN_KEY: KEY });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('is stale: 2 rows it changes moved since it was made');
    expect(result.stderr).toContain('  user:staff0@stale.com (changed since the plan was made)');
    expect(result.stderr).toContain('  user:staff2@stale.com (changed since the plan was made)');
    expect(result.stderr).not.toContain('staff1@stale.com (changed');
    expect(await snapshot(db.pool, 'stale')).toBe(before);
    // Without a key the file's versions prove nothing: the difference from what the files plan now is shown.
    const plain = await savePlan(team('stale', 3, { name: 'Stale Inc.' }));
    await db.pool.query(sql.unsafe`update organizations set name = 'Edited in the app' where key = 'stale'`);
    const unkeyed = await plain.run(['apply', 'plan.json']);
    expect(unkeyed.code).toBe(1);
    expect(unkeyed.stderr).toContain('does not match what its files plan against the database now');
    expect(unkeyed.stderr).toContain('  ~ organization:stale: name differs');
    expect(await snapshot(db.pool, 'stale')).not.toContain('Stale Inc.');
  });

  it('with its files, refuses when rows it does not touch changed (the files now plan more); without them, applies', async () => {
    await apply(team('untouched', 3));
    const { run } = await savePlan(team('untouched', 3, { users: [...team('untouched', 3).users.slice(0, 3), user('new@untouched.com')] }), [], {
      ROSTER_PLAN_KEY: KEY,
    });
    await db.pool.query(sql.unsafe`update users set first_name = 'Edited in the app' where email = 'boss@untouched.com'`);
    await db.pool.query(sql.unsafe`update companies set name = 'Renamed in the app' where key = 'hq'`);
    const withFiles = await run(['apply', 'plan.json'], { ...env(), ROSTER_PLAN_KEY: KEY });
    expect(withFiles.code).toBe(1);
    expect(withFiles.stderr).toContain('  + company:hq: update planned now, not in the plan file');
    expect(withFiles.stderr).toContain('  + user:boss@untouched.com: update planned now, not in the plan file');
    const result = await run(['apply', 'plan.json', '--ignore-files'], { ...env(), ROSTER_PLAN_KEY: KEY });
    expect(result.stderr).toContain('Changes: 1 to create, 0 to update, 1 to deactivate');
    expect(result.code).toBe(0);
    expect(await userRow(db.pool, 'untouched', 'boss@untouched.com')).toMatchObject({ first_name: 'Edited in the app' });
  });

  it('refuses a plan that creates a user someone created meanwhile', async () => {
    await apply(team('race', 1));
    const { run } = await savePlan(team('race', 2), [], { ROSTER_PLAN_KEY: KEY });
    await db.pool.query(sql.unsafe`
      insert into users (organization_id, email, first_name, last_name, role_id, company_id)
      select organization_id, 'STAFF1@race.com', 'Made', 'InApp', role_id, company_id from users where email = 'boss@race.com'`);
    const result = await run(['apply', 'plan.json', '--yes'], { ...env(), ROSTER_PLAN_KEY: KEY });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('user:staff1@race.com (created since the plan was made)');
  });

  it('refuses a plan file made against another database', async () => {
    await apply(team('elsewhere', 1));
    const { run } = await savePlan(team('elsewhere', 2));
    const other = await createTestDatabase();
    try {
      const result = await run(['apply', 'plan.json', '--yes', '--database-url', other.url], {});
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(/was made against another database \([0-9a-f-]{36}\), not .+; nothing was applied/);
    } finally {
      await other.drop();
    }
  });

  it.each([
    ['edited', (text: string) => text.replace('"staff1@corrupt.com"', '"mallory@corrupt.com"'), 'was modified or corrupted after it was made'],
    ['truncated', (text: string) => text.slice(0, text.length / 2), 'is not a roster plan file (it is not valid JSON)'],
    ['from a newer roster', (text: string) => text.replace('"formatVersion": 1', '"formatVersion": 2'), 'was made by a newer roster (plan format 2'],
    ['not a plan', () => '{"hello": "world"}', 'is not an intact roster plan file'],
  ])('refuses a plan file that is %s', async (_name, mangle, message) => {
    await apply(team('corrupt', 1));
    const { planFile, run } = await savePlan(team('corrupt', 2));
    await writeFile(planFile, mangle(await readFile(planFile, 'utf8')));
    const before = await snapshot(db.pool, 'corrupt');
    const result = await run(['apply', 'plan.json', '--yes']);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(message);
    expect(result.stderr).not.toMatch(/\n\s+at /);
    expect(await snapshot(db.pool, 'corrupt')).toBe(before);
  });
});

describe('guard rails', () => {
  it('refuses mass deactivation through plan and apply, then passes with --max-deactivations', async () => {
    await apply(team('mass', 9));
    const shrunk = team('mass', 2);
    const before = await snapshot(db.pool, 'mass');
    const dir = await writeConfig({ 'org.yaml': toConfigObject(shrunk) });
    const planned = await runRoster(['plan', dir], { env: env() });
    expect(planned.code).toBe(1);
    expect(planned.stdout).toContain('the plan deactivates 7 users: 7 of 10 active users (70.0%) lose access');
    expect(planned.stdout).toContain('staff2@mass.com, staff3@mass.com');
    const refused = await runRoster(['apply', dir, '--yes'], { env: env() });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('the plan cannot be applied; nothing was applied');
    expect(await snapshot(db.pool, 'mass')).toBe(before);
    const tooLow = await runRoster(['apply', dir, '--yes', '--max-deactivations', '6'], { env: env() });
    expect(tooLow.code).toBe(1);
    const allowed = await runRoster(['apply', dir, '--yes', '--max-deactivations', '7'], { env: env() });
    expect(allowed.code).toBe(0);
    expect(await db.pool.oneFirst(sql.unsafe`select count(*)::int from users u join organizations o on o.id = u.organization_id where o.key = 'mass' and u.active`)).toBe(3);
  });

  it('accepts a percentage limit', async () => {
    await apply(team('percent', 9));
    const dir = await writeConfig({ 'org.yaml': toConfigObject(team('percent', 2)) });
    expect((await runRoster(['apply', dir, '--yes', '--max-deactivations', '69%'], { env: env() })).code).toBe(1);
    expect((await runRoster(['apply', dir, '--yes', '--max-deactivations', '70%'], { env: env() })).code).toBe(0);
  });

  it('refuses to leave nobody able to manage users, then passes with --min-admins 0', async () => {
    // staff0 can log in: the guard counts only administrators who can.
    const seeded = team('lockout', 2);
    await apply({ ...seeded, users: seeded.users.map((u) => (u.email === 'staff0@lockout.com' ? { ...u, initialPassword: BOSS_PASSWORD } : u)) });
    const demoted = team('lockout', 2, { users: [user('boss@lockout.com', { role: 'viewer' }), user('staff0@lockout.com'), user('staff1@lockout.com')] });
    const before = await snapshot(db.pool, 'lockout');
    const refused = await apply(demoted);
    expect(refused.code).toBe(1);
    expect(refused.stdout).toContain('after this plan no active user who can log in holds manage_users (at least 1 required)');
    expect(refused.stdout).toContain('it takes manage_users from boss@lockout.com');
    expect(await snapshot(db.pool, 'lockout')).toBe(before);
    // A custom role with manage_users keeps the organization manageable.
    const delegated = team('lockout', 0, {
      roles: [role('people-ops', ['manage_users'])],
      users: [user('boss@lockout.com', { role: 'viewer' }), user('staff0@lockout.com', { role: 'people-ops' }), user('staff1@lockout.com')],
    });
    const planned = await runRoster(['plan', await writeConfig({ 'org.yaml': toConfigObject(delegated) })], { env: env() });
    expect(planned.stdout).toContain('staff0@lockout.com moves to role people-ops, which grants manage_users');
    expect(planned.code).toBe(0);
    const overridden = await apply(demoted, ['--min-admins', '0']);
    expect(overridden.code).toBe(0);
  });

  it('judges a saved plan again at apply time, with the limits given then', async () => {
    await apply(team('later', 9));
    const { result, run } = await savePlan(team('later', 2), ['--max-deactivations', '7']);
    expect(result.code).toBe(0);
    expect((await run(['apply', 'plan.json', '--yes'])).code).toBe(1);
    expect((await run(['apply', 'plan.json', '--yes', '--max-deactivations', '7'])).code).toBe(0);
  });
});

describe('sensitive changes', () => {
  it('calls out grants, reactivations and email changes first, in text and JSON', async () => {
    await apply(team('sensitive', 2, { users: [user('boss@sensitive.com', { role: 'admin', initialPassword: BOSS_PASSWORD }), user('staff0@sensitive.com'), user('gone@sensitive.com', { active: false })] }));
    const next = team('sensitive', 0, {
      roles: [role('analyst', ['view_dashboards', 'manage_roles'])],
      users: [
        user('boss@sensitive.com', { role: 'admin', initialPassword: BOSS_PASSWORD }),
        user('staff0.new@sensitive.com', { formerEmails: ['staff0@sensitive.com'], firstName: 'staff0', role: 'analyst' }),
        user('gone@sensitive.com'),
      ],
    });
    const dir = await writeConfig({ 'org.yaml': toConfigObject(next) });
    const text = await runRoster(['plan', dir], { env: env() });
    const sensitive = text.stdout.slice(text.stdout.indexOf('Sensitive changes'), text.stdout.indexOf('\n\n', text.stdout.indexOf('Sensitive changes')));
    expect(sensitive.split('\n')).toEqual([
      'Sensitive changes (4): review these',
      '  ! staff0.new@sensitive.com moves to role analyst, which grants manage_roles',
      '  ! role analyst gains manage_roles (1 active user holds it)',
      '  ! gone@sensitive.com regains access (role viewer)',
      '  ! login changes from staff0@sensitive.com to staff0.new@sensitive.com',
    ]);
    expect(text.stdout.indexOf('Sensitive changes')).toBeLessThan(text.stdout.indexOf('Roles'));
    const json = JSON.parse((await runRoster(['plan', dir, '--format', 'json'], { env: env() })).stdout);
    expect(json.sensitive.map((s: { kind: string; key: string }) => `${s.kind} ${s.key}`)).toEqual([
      'privileged-user staff0.new@sensitive.com',
      'privileged-role analyst',
      'reactivation gone@sensitive.com',
      'email-change staff0.new@sensitive.com',
    ]);
  });
});

describe('concurrency', () => {
  it('waits for the lock held by another apply, up to --lock-timeout, then fails clearly naming the holder and writing nothing', async () => {
    await apply(team('busy', 1));
    const holderUrl = new URL(db.url);
    holderUrl.searchParams.set('application_name', 'nightly import job');
    const holder = await createPool(holderUrl.toString(), { maximumPoolSize: 1 });
    try {
      let release!: () => void;
      const held = new Promise<void>((r) => (release = r));
      let locked!: () => void;
      let holderPid = 0;
      const isLocked = new Promise<void>((r) => (locked = r));
      const holding = holder.transaction(async (tx) => {
        await tx.query(sql.unsafe`select pg_advisory_xact_lock(${organizationLockKey('busy').toString()}::bigint)`);
        holderPid = Number(await tx.oneFirst(sql.unsafe`select pg_backend_pid()`));
        locked();
        await held;
      });
      await isLocked;
      const before = await snapshot(db.pool, 'busy');
      const dir = await writeConfig({ 'org.yaml': toConfigObject(team('busy', 2)) });
      const timedOut = await runRoster(['apply', dir, '--yes', '--lock-timeout', '1'], { env: env() });
      expect(timedOut.code).toBe(1);
      expect(timedOut.stderr).toContain('another roster apply to organization busy has held its lock for more than 1s (held by "nightly import job"');
      expect(timedOut.stderr).toContain(`server process ${holderPid}`);
      expect(timedOut.stderr).toMatch(/, since \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\); nothing was applied/);
      expect(await snapshot(db.pool, 'busy')).toBe(before);
      // Another organization is not blocked by it.
      expect((await apply(team('free', 1), ['--lock-timeout', '1'])).code).toBe(0);
      // Released while a second apply waits: it proceeds.
      const waiting = runRoster(['apply', dir, '--yes', '--lock-timeout', '30'], { env: env() });
      setTimeout(release, 500);
      await holding;
      expect((await waiting).code).toBe(0);
    } finally {
      await holder.end();
    }
  });

  it('serialises two applies from separate processes: the result is the same as one after the other', async () => {
    await apply(team('twice', 4));
    const a = team('twice', 4, { name: 'Version A', users: [...team('twice', 4).users, user('a@twice.com')] });
    const b = team('twice', 4, { name: 'Version B', users: [...team('twice', 4).users, user('b@twice.com')] });
    const [dirA, dirB] = await Promise.all([writeConfig({ 'org.yaml': toConfigObject(a) }), writeConfig({ 'org.yaml': toConfigObject(b) })]);
    const [ra, rb] = await Promise.all([
      spawnRoster(['apply', dirA, '--yes'], { env: env() }),
      spawnRoster(['apply', dirB, '--yes'], { env: env() }),
    ]);
    expect([ra.code, rb.code]).toEqual([0, 0]);
    const name = await db.pool.oneFirst(sql.unsafe`select name from organizations where key = 'twice'`);
    const [first, last] = name === 'Version B' ? [a, b] : [b, a];
    // The last apply planned against the first one's result: it created its own user and deactivated the other's.
    const lastKey = last === a ? 'a@twice.com' : 'b@twice.com';
    const firstKey = first === a ? 'a@twice.com' : 'b@twice.com';
    expect(await userRow(db.pool, 'twice', lastKey)).toMatchObject({ active: true });
    expect(await userRow(db.pool, 'twice', firstKey)).toMatchObject({ active: false });
    const audits = (await db.pool.any(sql.unsafe`
      select a.summary from audit_applies a join organizations o on o.id = a.organization_id where o.key = 'twice' order by a.id`)) as { summary: Record<string, number> }[];
    expect(audits.slice(-2).map((r) => r.summary)).toEqual([
      { create: 1, update: 1, deactivate: 0, reactivate: 0, delete: 0 },
      { create: 1, update: 1, deactivate: 1, reactivate: 0, delete: 0 },
    ]);
    const replan = await runRoster(['plan', last === a ? dirA : dirB, '--detailed-exitcode'], { env: env() });
    expect(replan.code).toBe(0);
  });
});

describe('ownership', () => {
  it('with unmanagedUsers: ignore, reports users missing from the files and leaves them active', async () => {
    await apply(team('adopt', 3));
    const partial = toConfigObject(team('adopt', 0));
    (partial.organization as Record<string, unknown>).unmanagedUsers = 'ignore';
    const dir = await writeConfig({ 'org.yaml': partial });
    const planned = await runRoster(['plan', dir, '--format', 'json'], { env: env() });
    const json = JSON.parse(planned.stdout);
    expect(json.unmanagedUsers).toBe('ignore');
    expect(json.ignoredUsers).toEqual(['staff0@adopt.com', 'staff1@adopt.com', 'staff2@adopt.com']);
    expect(json.changes).toEqual([]);
    const text = await runRoster(['plan', dir], { env: env() });
    expect(text.stdout).toContain('Users in the database but in no file are ignored (unmanagedUsers: ignore).');
    expect(text.stdout).toContain('Not in the configuration, left as they are (3)');
    expect((await runRoster(['apply', dir, '--yes'], { env: env() })).code).toBe(0);
    expect(await userRow(db.pool, 'adopt', 'staff1@adopt.com')).toMatchObject({ active: true });
  });
});
