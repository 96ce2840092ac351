/**
 * Saved plans as an attacker meets them (issue 10, items 2 and 7): a plan file is data someone else could have
 * written. Each test edits a real plan file the way the attacks did, recomputing its checksum with roster's
 * own function as an attacker reading the source would, and applies it through the real command line against a
 * real PostgreSQL: it must be refused and write nothing.
 */
import { createHash } from 'node:crypto';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { sql } from '../../src/db/sql.ts';
import type { OrgState } from '../../src/model/state.ts';
import { toSavedPlan } from '../../src/plan/saved-plan.ts';
import type { Plan, SavedPlan } from '../../src/plan/types.ts';
import { hashPassword, verifyPassword } from '../../src/secrets/password.ts';
import { company, org, role, toConfigObject, user } from '../support/builders.ts';
import { runRoster, spawnRoster, tempDir, writeConfig, type RunResult } from '../support/cli.ts';
import { useTestDatabase, type TestDatabase } from '../support/database.ts';
import { snapshot, userRow } from '../support/inspect.ts';

const database = useTestDatabase();
let db: TestDatabase;
beforeAll(() => {
  db = database();
});

const KEY = 'plan-key-shared-by-the-plan-and-apply-jobs-0123456789';
const OTHER_KEY = 'a-different-key-that-the-attacker-chose-9876543210';

/** The administrator's password hash: an administrator who can log in keeps the lockout guard satisfied. */
const BOSS_HASH = await hashPassword('boss-password-for-tests');

/** An organization with an administrator, a few staff, and a key of its own. */
function team(key: string, extra: Parameters<typeof org>[0] = {}): OrgState {
  return org({
    key,
    companies: [company('hq')],
    roles: [role('analyst', ['view_dashboards'])],
    users: [
      user(`boss@${key}.com`, { role: 'admin', initialPassword: { kind: 'hash', hash: BOSS_HASH, file: '', pointer: [] } }),
      user(`staff0@${key}.com`, { role: 'analyst' }),
      user(`staff1@${key}.com`, { role: 'analyst' }),
    ],
    ...extra,
  });
}

/** A checkout: a directory holding org/org.yaml. Returns the directory, which commands run in. */
async function checkout(state: OrgState, dir?: string): Promise<string> {
  return writeConfig({ 'org/org.yaml': toConfigObject(state) }, dir ?? (await tempDir()));
}

/** Runs roster in `dir` (in-process) with the test database and any extra environment. */
function roster(dir: string, argv: string[], env: Record<string, string> = {}): Promise<RunResult> {
  return runRoster(argv, { cwd: dir, env: { DATABASE_URL: db.url, ...env } });
}

/** Applies `state` from a fresh checkout. */
async function seed(state: OrgState): Promise<void> {
  const result = await roster(await checkout(state), ['apply', 'org', '--yes']);
  expect(result.code, result.stderr).toBe(0);
}

/** Plans `state` in a checkout with `--out plan.json`; returns the checkout. */
async function savePlan(state: OrgState, env: Record<string, string> = {}): Promise<string> {
  const dir = await checkout(state);
  const result = await roster(dir, ['plan', 'org', '--out', 'plan.json'], env);
  expect(result.code, result.stderr).toBe(0);
  return dir;
}

/**
 * Edits a plan file and seals it again as an attacker can: with roster's own checksum function and no key (or a
 * key of the attacker's own).
 */
async function forge(dir: string, edit: (plan: Record<string, any>) => void, key: string | null = null): Promise<void> {
  const path = join(dir, 'plan.json');
  const { checksum: _checksum, ...body } = JSON.parse(await readFile(path, 'utf8')) as SavedPlan;
  edit(body as Record<string, any>);
  const sealed = (toSavedPlan as (plan: Plan, meta: object, key: Buffer | null) => SavedPlan)(body as unknown as Plan, {}, key === null ? null : Buffer.from(key));
  await writeFile(path, JSON.stringify(sealed, null, 2) + '\n');
}

/** Makes `staff0@<key>.com` an admin in a plan file (updating the change if there is one, else adding it), with no sensitive change listed. */
function escalate(key: string, version?: string) {
  return (plan: Record<string, any>) => {
    const email = `staff0@${key}.com`;
    plan.changes = plan.changes.filter((c: { key: string }) => c.key !== email);
    plan.changes.push({
      type: 'user',
      action: 'update',
      key: email,
      fields: { role: { before: 'analyst', after: 'admin' } },
      ...(version === undefined ? {} : { version }),
    });
    plan.sensitive = [];
    plan.summary = { ...plan.summary, update: plan.summary.update + 1 };
  };
}

describe('a saved plan is bound to its configuration files', () => {
  it('refuses a plan made on a branch that removes a user, applied in a checkout that still lists her, naming the file', async () => {
    const listed = team('branch', { users: [...team('branch').users, user('carol@branch.com')] });
    await seed(listed);
    // The branch removes Carol; its plan deactivates her.
    const dir = await savePlan(team('branch'));
    // The apply job runs in a checkout that still lists her.
    await checkout(listed, dir);
    const before = await snapshot(db.pool, 'branch');
    const result = await spawnRoster(['apply', 'plan.json', '--yes'], { cwd: dir, env: { DATABASE_URL: db.url } });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('error: the configuration files here differ from those plan.json was made from (org): 1 file; nothing was applied');
    expect(result.stderr).toContain('  changed: org/org.yaml');
    expect(result.stderr).not.toMatch(/\n\s+at /);
    expect(await snapshot(db.pool, 'branch')).toBe(before);
    expect(await userRow(db.pool, 'branch', 'carol@branch.com')).toMatchObject({ active: true });
  });

  it('refuses a plan file edited to point at unreviewed files elsewhere (no key), and binds to the paths named after it', async () => {
    await seed(team('redirect'));
    const reviewed = await savePlan(team('redirect'));
    // The attacker plans their own files (an admin nobody reviewed) somewhere else: the artifact's directory, /tmp…
    const evil = await checkout(team('redirect', { users: [...team('redirect').users, user('mallory@evil.com', { role: 'admin' })] }));
    expect((await roster(evil, ['plan', 'org', '--out', 'plan.json'])).code).toBe(0);
    await writeFile(join(reviewed, 'plan.json'), await readFile(join(evil, 'plan.json')));
    await forge(reviewed, (plan) => {
      plan.configPaths = [join(evil, 'org')];
      plan.configFiles = plan.configFiles.map((f: { path: string; sha256: string }) => ({ ...f, path: join(evil, f.path) }));
    });
    const before = await snapshot(db.pool, 'redirect');
    const outside = await spawnRoster(['apply', 'plan.json', '--yes'], { cwd: reviewed, env: { DATABASE_URL: db.url } });
    expect(outside.code).toBe(1);
    expect(outside.stderr).toContain('names configuration paths outside this directory');
    expect(outside.stderr).toContain('nothing was applied');
    // Named on the command line (as the GitHub Action does), the paths must be exactly the recorded ones.
    const named = await roster(reviewed, ['apply', 'plan.json', 'org']);
    expect(named.code).toBe(1);
    expect(named.stderr).toContain(`was made from the configuration paths '${join(evil, 'org')}', not 'org'`);
    expect(await snapshot(db.pool, 'redirect')).toBe(before);
    expect(await userRow(db.pool, 'redirect', 'mallory@evil.com')).toBeNull();
    // The reviewed plan, applied with the paths it was planned from, applies.
    const honest = await savePlan(team('redirect', { name: 'Redirect Inc.' }));
    const applied = await roster(honest, ['apply', 'plan.json', 'org']);
    expect(applied.code, applied.stderr).toBe(0);
    expect(await db.pool.oneFirst(sql.unsafe`select name from organizations where key = 'redirect'`)).toBe('Redirect Inc.');
  });

  it('names files added and removed since the plan was made', async () => {
    await seed(team('moved'));
    const dir = await savePlan(team('moved', { name: 'Moved Inc.' }));
    await writeConfig({ 'org/extra.yaml': 'companies:\n  - key: labs\n    name: Labs\n' }, dir);
    const added = await roster(dir, ['apply', 'plan.json']);
    expect(added.code).toBe(1);
    expect(added.stderr).toContain('  added: org/extra.yaml');
    await rm(join(dir, 'org'), { recursive: true });
    const removed = await roster(dir, ['apply', 'plan.json']);
    expect(removed.code).toBe(1);
    expect(removed.stderr).toContain('  removed: org/org.yaml');
  });

  it('says "already applied" and exits 0 when every change of the plan is in effect', async () => {
    await seed(team('twice'));
    const dir = await savePlan(team('twice', { name: 'Twice Inc.', users: [...team('twice').users.slice(0, 2), user('new@twice.com')] }));
    const first = await spawnRoster(['apply', 'plan.json'], { cwd: dir, env: { DATABASE_URL: db.url } });
    expect(first.code, first.stderr).toBe(0);
    expect(first.stderr).toContain('Applied to organization twice. Changes: 1 to create, 1 to update, 1 to deactivate');
    const after = await snapshot(db.pool, 'twice');
    const again = await spawnRoster(['apply', 'plan.json'], { cwd: dir, env: { DATABASE_URL: db.url } });
    expect(again.stderr).toContain('plan.json is already applied: every change in it is in effect in organization twice; nothing to do.');
    expect(again.stderr).not.toContain('stale');
    expect(again.code).toBe(0);
    expect(await snapshot(db.pool, 'twice')).toBe(after);
  });
});

describe('a plan file cannot carry what the files do not say', () => {
  it('refuses a plan edited to make a user admin with its sensitive list emptied and its checksum recomputed (no key)', async () => {
    await seed(team('escalate'));
    const dir = await savePlan(team('escalate', { name: 'Escalate Inc.' }));
    await forge(dir, escalate('escalate'));
    const before = await snapshot(db.pool, 'escalate');
    const result = await spawnRoster(['apply', 'plan.json', '--yes'], { cwd: dir, env: { DATABASE_URL: db.url } });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('plan.json does not match what its files plan against the database now');
    expect(result.stderr).toContain('  - user:staff0@escalate.com: update in the plan file, not planned now');
    expect(await snapshot(db.pool, 'escalate')).toBe(before);
    expect(await userRow(db.pool, 'escalate', 'staff0@escalate.com')).toMatchObject({ role: 'analyst' });
  });

  it('with ROSTER_PLAN_KEY, refuses the same edit because its MAC fails, whatever the attacker seals it with', async () => {
    await seed(team('mac'));
    const dir = await savePlan(team('mac', { name: 'Mac Inc.' }), { ROSTER_PLAN_KEY: KEY });
    expect(JSON.parse(await readFile(join(dir, 'plan.json'), 'utf8')).checksum).toMatch(/^hmac-sha256:[0-9a-f]{64}$/);
    const original = await readFile(join(dir, 'plan.json'), 'utf8');
    const before = await snapshot(db.pool, 'mac');

    await forge(dir, escalate('mac'), OTHER_KEY);
    const otherKey = await roster(dir, ['apply', 'plan.json', '--ignore-files'], { ROSTER_PLAN_KEY: KEY });
    expect(otherKey.code).toBe(1);
    expect(otherKey.stderr).toContain('error: plan.json does not carry a valid MAC for ROSTER_PLAN_KEY: it was modified after it was made, or made with another key');

    await writeFile(join(dir, 'plan.json'), original);
    await forge(dir, escalate('mac'), null);
    const noKey = await roster(dir, ['apply', 'plan.json', '--ignore-files'], { ROSTER_PLAN_KEY: KEY });
    expect(noKey.code).toBe(1);
    expect(noKey.stderr).toContain('error: plan.json was made without ROSTER_PLAN_KEY, but ROSTER_PLAN_KEY is set here, so it cannot be authenticated');
    expect(await snapshot(db.pool, 'mac')).toBe(before);
  });

  it("refuses another organization's plan edited to name this organization", async () => {
    await seed(team('victim'));
    await seed(team('evil'));
    // The attacker's own organization, planned in the attacker's own checkout: an admin they control.
    const evil = await savePlan(team('evil', { users: [...team('evil').users, user('mallory@evil.com', { role: 'admin' })] }));
    const victim = await checkout(team('victim'));
    const before = await snapshot(db.pool, 'victim');

    await forge(evil, (plan) => (plan.organization = 'victim'));
    await writeFile(join(victim, 'plan.json'), await readFile(join(evil, 'plan.json')));
    const asMade = await roster(victim, ['apply', 'plan.json', '--yes']);
    expect(asMade.code).toBe(1);
    expect(asMade.stderr).toContain('the configuration files here differ from those plan.json was made from');

    // Also claiming the victim's files (their digests are public in the repository).
    const victimFiles = JSON.parse(await readFile(join(await savePlan(team('victim')), 'plan.json'), 'utf8')).configFiles;
    await forge(evil, (plan) => (plan.configFiles = victimFiles));
    await writeFile(join(victim, 'plan.json'), await readFile(join(evil, 'plan.json')));
    const withFiles = await spawnRoster(['apply', 'plan.json', '--yes'], { cwd: victim, env: { DATABASE_URL: db.url } });
    expect(withFiles.code).toBe(1);
    expect(withFiles.stderr).toContain('plan.json does not match what its files plan against the database now');
    expect(withFiles.stderr).toContain('  - user:mallory@evil.com: create in the plan file, not planned now');

    // With a key, the organization is inside what is authenticated.
    const keyed = await savePlan(team('evil', { users: [...team('evil').users, user('mallory@evil.com', { role: 'admin' })] }), { ROSTER_PLAN_KEY: KEY });
    const text = await readFile(join(keyed, 'plan.json'), 'utf8');
    await writeFile(join(victim, 'plan.json'), text.replace('"organization": "evil"', '"organization": "victim"'));
    const authenticated = await roster(victim, ['apply', 'plan.json', '--ignore-files'], { ROSTER_PLAN_KEY: KEY });
    expect(authenticated.code).toBe(1);
    expect(authenticated.stderr).toContain('does not carry a valid MAC for ROSTER_PLAN_KEY');

    expect(await snapshot(db.pool, 'victim')).toBe(before);
    expect(await userRow(db.pool, 'victim', 'mallory@evil.com')).toBeNull();
  });

  it('refuses a password hash source that points into the plan file itself', async () => {
    await seed(team('hashy'));
    const dir = await savePlan(team('hashy', { name: 'Hashy Inc.' }));
    const password = 'attacker-knows-this-password';
    const hash = await hashPassword(password);
    await forge(dir, (plan) => {
      const index = plan.changes.length;
      plan.changes.push({
        type: 'user',
        action: 'create',
        key: 'mallory@hashy.com',
        // JSON is YAML: the hash sits in the plan file, at a place the source points to.
        fields: {
          email: { before: null, after: 'mallory@hashy.com' },
          firstName: { before: null, after: 'Mallory' },
          lastName: { before: null, after: hash },
          role: { before: null, after: 'admin' },
          company: { before: null, after: 'hq' },
        },
        active: true,
        initialPassword: {
          source: 'hash',
          file: 'plan.json',
          pointer: ['changes', index, 'fields', 'lastName', 'after'],
          digest: createHash('sha256').update(hash).digest('hex'),
        },
      });
      plan.summary = { ...plan.summary, create: plan.summary.create + 1 };
    });
    const result = await spawnRoster(['apply', 'plan.json', '--yes'], { cwd: dir, env: { DATABASE_URL: db.url } });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('the password hash of mallory@hashy.com is said to be in plan.json, which is not one of the configuration files the plan was made from');
    const row = await userRow(db.pool, 'hashy', 'mallory@hashy.com');
    expect(row === null || !(row.password_hash && (await verifyPassword(password, row.password_hash)))).toBe(true);
    expect(row).toBeNull();
  });

  it('gives a guessed row version exactly the same answer as a wrong one', async () => {
    await seed(team('oracle'));
    const dir = await savePlan(team('oracle', { name: 'Oracle Inc.' }));
    const original = await readFile(join(dir, 'plan.json'), 'utf8');
    // The attacker's best guess is the right one: read here from the database itself.
    const xmin = String(
      await db.pool.oneFirst(sql.unsafe`
        select u.xmin::text from users u join organizations o on o.id = u.organization_id where o.key = 'oracle' and u.email = 'staff0@oracle.com'`),
    );
    const before = await snapshot(db.pool, 'oracle');
    const answers: RunResult[] = [];
    for (const version of [xmin, String(Number(xmin) + 1), '1']) {
      await writeFile(join(dir, 'plan.json'), original);
      await forge(dir, escalate('oracle', version));
      answers.push(await roster(dir, ['apply', 'plan.json', '--yes']));
    }
    expect(answers.map((a) => a.code)).toEqual([1, 1, 1]);
    expect(answers[0]!.stderr).toContain('does not match what its files plan against the database now');
    expect(answers[1]!.stderr).toBe(answers[0]!.stderr);
    expect(answers[2]!.stderr).toBe(answers[0]!.stderr);
    expect(await snapshot(db.pool, 'oracle')).toBe(before);
  });

  it('with a key, stamps row versions as opaque MACs, not as the row versions themselves', async () => {
    await seed(team('opaque'));
    const dir = await savePlan(team('opaque', { users: team('opaque').users.map((u) => ({ ...u, lastName: 'Renamed' })) }), { ROSTER_PLAN_KEY: KEY });
    const saved = JSON.parse(await readFile(join(dir, 'plan.json'), 'utf8')) as SavedPlan;
    const versions = saved.changes.map((c) => c.version);
    expect(versions.length).toBeGreaterThan(0);
    for (const version of versions) expect(version).toMatch(/^hmac:[0-9a-f]{32}$/);
    const applied = await roster(dir, ['apply', 'plan.json'], { ROSTER_PLAN_KEY: KEY });
    expect(applied.code, applied.stderr).toBe(0);
  });
});

describe('keys', () => {
  it('says clearly when a plan made with a key is applied without one, and the other way round', async () => {
    await seed(team('keys'));
    const keyed = await savePlan(team('keys', { name: 'Keys Inc.' }), { ROSTER_PLAN_KEY: KEY });
    const withoutKey = await roster(keyed, ['apply', 'plan.json']);
    expect(withoutKey.code).toBe(1);
    expect(withoutKey.stderr).toContain('error: plan.json was authenticated with ROSTER_PLAN_KEY, which is not set here; nothing was applied');
    const plain = await savePlan(team('keys', { name: 'Keys Inc.' }));
    const withKey = await roster(plain, ['apply', 'plan.json'], { ROSTER_PLAN_KEY: KEY });
    expect(withKey.code).toBe(1);
    expect(withKey.stderr).toContain('error: plan.json was made without ROSTER_PLAN_KEY, but ROSTER_PLAN_KEY is set here');
    const empty = await roster(plain, ['apply', 'plan.json'], { ROSTER_PLAN_KEY: '' });
    expect(empty.stderr).toContain('error: ROSTER_PLAN_KEY is set but empty');
    expect(empty.code).toBe(1);
  });

  it('refuses --ignore-files without a key, and applies an authenticated plan without its files with one', async () => {
    await seed(team('ignore'));
    const plain = await savePlan(team('ignore', { name: 'Ignored Inc.' }));
    const refused = await roster(plain, ['apply', 'plan.json', '--ignore-files']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('error: --ignore-files needs ROSTER_PLAN_KEY: without a key a plan file is trusted only together with the files it was made from');

    const keyed = await savePlan(team('ignore', { name: 'Ignored Inc.' }), { ROSTER_PLAN_KEY: KEY });
    await writeFile(join(keyed, 'org', 'org.yaml'), 'this: is not even a roster file\n');
    const applied = await roster(keyed, ['apply', 'plan.json', '--ignore-files'], { ROSTER_PLAN_KEY: KEY });
    expect(applied.stderr).toContain('Applied to organization ignore. Changes: 0 to create, 1 to update');
    expect(applied.code).toBe(0);
    expect(await db.pool.oneFirst(sql.unsafe`select name from organizations where key = 'ignore'`)).toBe('Ignored Inc.');
  });
});

describe('roster show', () => {
  it('verifies and renders a saved plan in every format, saying whether the files here are those it was made from', async () => {
    await seed(team('shown'));
    const dir = await savePlan(team('shown', { users: [...team('shown').users, user('dana@shown.com', { role: 'admin' })] }), { ROSTER_PLAN_KEY: KEY });
    const text = await spawnRoster(['show', 'plan.json'], { cwd: dir, env: { ROSTER_PLAN_KEY: KEY } });
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toContain('dana@shown.com');
    expect(text.stdout).toContain('Sensitive changes');
    expect(text.stderr).toContain('plan.json: a plan for organization shown in database');
    expect(text.stderr).toContain('authenticated with ROSTER_PLAN_KEY');
    expect(text.stderr).toContain('the configuration files here (1) are those it was made from');
    const json = await roster(dir, ['show', 'plan.json', '--format', 'json'], { ROSTER_PLAN_KEY: KEY });
    expect(JSON.parse(json.stdout)).toMatchObject({ organization: 'shown', configPaths: ['org'] });
    const markdown = await roster(dir, ['show', 'plan.json', '--format', 'markdown'], { ROSTER_PLAN_KEY: KEY });
    expect(markdown.stdout).toContain('dana@shown.com');

    await writeFile(join(dir, 'org', 'org.yaml'), '# edited\n' + (await readFile(join(dir, 'org', 'org.yaml'), 'utf8')));
    const edited = await roster(dir, ['show', 'plan.json'], { ROSTER_PLAN_KEY: KEY });
    expect(edited.stderr).toContain('the configuration files here differ from those it was made from (changed: 1, added: 0, removed: 0)');

    const plan = join(dir, 'plan.json');
    await writeFile(plan, (await readFile(plan, 'utf8')).replace('dana@shown.com', 'eve@shown.com'));
    const tampered = await roster(dir, ['show', 'plan.json'], { ROSTER_PLAN_KEY: KEY });
    expect(tampered.code).toBe(1);
    expect(tampered.stderr).toContain('does not carry a valid MAC');
    expect(tampered.stdout).toBe('');
  });
});
