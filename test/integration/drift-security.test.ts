/**
 * Drift as a security signal, through the real executable against a real PostgreSQL: access granted behind Git's
 * back (an administrator inserted by hand, a role given manage_users, a user reactivated) is reported first in every
 * format with the user's role, company and active state, exits 3, and `drift --write` leaves privilege gains out of
 * the files unless told otherwise.
 */
import { Ajv } from 'ajv';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { sql } from '../../src/db/sql.ts';
import { runRoster, spawnRoster, writeConfig } from '../support/cli.ts';
import { useTestDatabase, type TestDatabase } from '../support/database.ts';

const require = createRequire(import.meta.url);
const validateDrift = new Ajv({ strict: true, allowUnionTypes: true }).compile(require('../../schema/drift.schema.json'));

const database = useTestDatabase();
let db: TestDatabase;
beforeAll(() => {
  db = database();
});
const env = () => ({ DATABASE_URL: db.url });

/** A commented, hand-written organization `key`: an owner, two people, a custom role, someone on leave. */
const files = (key: string) => `# ${key}: owned by the platform team
organization:
  key: ${key}
  name: ${key} Inc.

companies:
  - key: hq
    name: Headquarters
  - key: labs
    name: Labs

roles:
  - key: ops
    name: Operations   # runs the workflows
    permissions: [run_workflows]

users:
  - email: owner@${key}.example
    firstName: Olive
    lastName: Owner
    role: admin
    company: hq
  - email: ann@${key}.example
    firstName: Ann
    lastName: Lee
    role: ops
    company: hq
  - email: bob@${key}.example
    firstName: Bob
    lastName: Roe
    role: viewer
    company: labs
  - email: old@${key}.example
    firstName: Old
    lastName: Timer
    role: admin
    company: hq
    active: false   # retired
`;

/** Applies the organization `key` and returns the directory of its files. */
async function applied(key: string): Promise<string> {
  const dir = await writeConfig({ [`${key}.yaml`]: files(key) });
  // --min-admins 0: the owner has no password here, which the lockout guard would refuse for a new organization.
  const result = await runRoster(['apply', dir, '--yes', '--min-admins', '0'], { env: env() });
  expect(result.stderr).not.toMatch(/error/);
  expect(result.code).toBe(0);
  return dir;
}

/** An administrator inserted by hand in SQL, as an attacker with database access would. */
async function insertBackdoor(key: string, email = 'backdoor@evil.example'): Promise<void> {
  await db.pool.query(sql.unsafe`
    insert into users (organization_id, email, first_name, last_name, role_id, company_id)
    select o.id, ${email}, 'Back', 'Door', r.id, c.id
      from organizations o
      join roles r on r.organization_id = o.id and r.key = 'admin'
      join companies c on c.organization_id = o.id and c.key = 'hq'
     where o.key = ${key}`);
}

interface DriftJson {
  sensitive: { kind: string; type: string; key: string; permissions: string[]; database?: { role: string; company: string; active: boolean }; message: string }[];
  items: { kind: string; type: string; key: string; database?: { role: string; company: string; active: boolean } }[];
  summary: Record<string, number>;
}

async function driftJson(dir: string): Promise<{ code: number; report: DriftJson }> {
  const result = await runRoster(['drift', dir, '--format', 'json'], { env: env() });
  const report = JSON.parse(result.stdout) as DriftJson;
  expect(validateDrift(report), JSON.stringify(validateDrift.errors)).toBe(true);
  return { code: result.code, report };
}

describe('a backdoor administrator inserted by SQL', () => {
  it('is reported first, with role, company and active state, in text, JSON and Markdown, and drift exits 3', async () => {
    const dir = await applied('alpha');
    await db.pool.query(sql.unsafe`update users set last_name = 'Lee-Smith' where email = 'ann@alpha.example'`);
    await insertBackdoor('alpha');

    const text = await spawnRoster(['drift', dir], { env: env() });
    expect(text.stderr).toBe('');
    expect(text.code).toBe(3);
    const lines = text.stdout.split('\n');
    // The header, the last apply, a blank line: then the sensitive section, the backdoor at its top.
    expect(lines[3]).toBe('SENSITIVE: access gained outside the files (1)');
    expect(lines[4]).toMatch(/^ {2}!! user backdoor@evil\.example: role admin, company hq, active \(changed .*, after the last apply\)$/);
    expect(lines[5]).toBe('      backdoor@evil.example holds manage_users, manage_roles, manage_companies through role admin, and no file lists them');
    // Among the other drift too, with the same facts, and the edit with the editor's role.
    expect(text.stdout).toMatch(/In the database but in no file \(1\)\n {2}! user backdoor@evil\.example: role admin, company hq, active \(/);
    expect(text.stdout).toContain('  ! user ann@alpha.example: role ops, company hq, active (');
    expect(text.stdout).toContain('Drift: 1 sensitive; 1 edited, 0 deactivated, 0 reactivated, 1 unmanaged, 0 missing.');

    const { code, report } = await driftJson(dir);
    expect(code).toBe(3);
    expect(Object.keys(report).indexOf('sensitive')).toBeLessThan(Object.keys(report).indexOf('items'));
    expect(report.sensitive).toEqual([
      {
        kind: 'privileged-user',
        type: 'user',
        key: 'backdoor@evil.example',
        permissions: ['manage_users', 'manage_roles', 'manage_companies'],
        database: { role: 'admin', company: 'hq', active: true },
        changedAt: expect.any(String),
        afterLastApply: true,
        message: 'backdoor@evil.example holds manage_users, manage_roles, manage_companies through role admin, and no file lists them',
      },
    ]);
    expect(report.items.find((i) => i.key === 'backdoor@evil.example')).toMatchObject({ kind: 'unmanaged', database: { role: 'admin', company: 'hq', active: true } });
    expect(report.summary.sensitive).toBe(1);

    const markdown = await spawnRoster(['drift', dir, '--format', 'markdown'], { env: env() });
    expect(markdown.code).toBe(3);
    const sections = markdown.stdout.split('\n').filter((l) => l.startsWith('### '));
    expect(sections[0]).toBe('### SENSITIVE: access gained outside the files (1)');
    expect(markdown.stdout.indexOf('### SENSITIVE')).toBeLessThan(markdown.stdout.indexOf('| Drift | Count |'));
    expect(markdown.stdout).toMatch(/\n\| user \| `backdoor@evil\.example` \| role `admin`, company `hq`, active \| backdoor@evil\.example holds manage\\_users/);
  });

  it('drift --write leaves it out (the file keeps every byte for it) and says how to accept it; --accept-privileged writes it', async () => {
    const dir = await applied('beta');
    const path = join(dir, 'beta.yaml');
    await db.pool.query(sql.unsafe`update users set last_name = 'Lee-Smith' where email = 'ann@beta.example'`);
    await insertBackdoor('beta');

    const written = await spawnRoster(['drift', dir, '--write'], { env: env() });
    expect(written.code).toBe(3);
    // Only the harmless edit was written.
    expect(await readFile(path, 'utf8')).toBe(files('beta').replace('    lastName: Lee\n', '    lastName: Lee-Smith\n'));
    expect(written.stdout).toContain('+    lastName: Lee-Smith');
    expect(written.stdout).not.toContain('backdoor');
    expect(written.stderr).toContain('Left out 1 privilege gain: --write never writes a manage_* permission the files do not give without --accept-privileged.');
    expect(written.stderr).toContain('  backdoor@evil.example (unmanaged): role admin, company hq, active\n');
    expect(written.stderr).toContain('After review, accept it with --write --accept-privileged --only backdoor@evil.example; or undo it in the database with roster apply.');
    expect(written.stderr).toContain('Accepted 1 drift item into 1 file.');

    // Still drift, still sensitive.
    const again = await driftJson(dir);
    expect(again.code).toBe(3);
    expect(again.report.items.map((i) => `${i.kind} ${i.key}`)).toEqual(['unmanaged backdoor@evil.example']);

    const accepted = await spawnRoster(['drift', dir, '--write', '--accept-privileged'], { env: env() });
    expect(accepted.stderr).toContain('Accepted 1 drift item into 1 file.');
    expect(accepted.code).toBe(0);
    const users = (parse(await readFile(path, 'utf8')) as { users: Record<string, unknown>[] }).users;
    expect(users.at(-1)).toEqual({ email: 'backdoor@evil.example', firstName: 'Back', lastName: 'Door', role: 'admin', company: 'hq' });
    const clean = await runRoster(['drift', dir], { env: env() });
    expect(clean.stdout).toContain('No drift.');
    expect(clean.code).toBe(0);
  });

  it('nothing else to write: drift --write writes nothing, names the item and exits 3', async () => {
    const dir = await applied('gamma');
    await insertBackdoor('gamma', 'mallory@gamma.example');
    const result = await runRoster(['drift', dir, '--write'], { env: env() });
    expect(result.code).toBe(3);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain('  mallory@gamma.example (unmanaged): role admin, company hq, active\n');
    expect(result.stderr).toContain('Nothing was written.');
    expect(await readFile(join(dir, 'gamma.yaml'), 'utf8')).toBe(files('gamma'));
  });
});

describe('drift --write --only', () => {
  it('writes exactly the chosen items, keys as drift prints them', async () => {
    const dir = await applied('delta');
    await db.pool.query(sql.unsafe`update users set last_name = 'Lee-Smith' where email = 'ann@delta.example'`);
    await db.pool.query(sql.unsafe`update users set first_name = 'Robert' where email = 'bob@delta.example'`);
    await db.pool.query(sql.unsafe`update companies set name = 'Research Labs' where key = 'labs' and organization_id = (select id from organizations where key = 'delta')`);
    await db.pool.query(sql.unsafe`update roles set name = 'Ops' where key = 'ops' and organization_id = (select id from organizations where key = 'delta')`);

    const result = await spawnRoster(['drift', dir, '--write', '--only', 'ANN@delta.example,company:labs'], { env: env() });
    expect(result.stderr).toContain('Accepted 2 drift items into 1 file.');
    expect(result.code).toBe(0);
    expect(await readFile(join(dir, 'delta.yaml'), 'utf8')).toBe(
      files('delta').replace('    lastName: Lee\n', '    lastName: Lee-Smith\n').replace('    name: Labs\n', '    name: Research Labs\n'),
    );
    const left = await driftJson(dir);
    expect(left.code).toBe(2);
    expect(left.report.items.map((i) => `${i.kind} ${i.type} ${i.key}`)).toEqual(['edited role ops', 'edited user bob@delta.example']);

    const role = await runRoster(['drift', dir, '--write', '--only', 'role:ops'], { env: env() });
    expect(role.code).toBe(0);
    expect(await readFile(join(dir, 'delta.yaml'), 'utf8')).toContain('    name: Ops   # runs the workflows\n');
    expect((await driftJson(dir)).report.items.map((i) => i.key)).toEqual(['bob@delta.example']);
  });

  it('refuses a key that is not drift, or --only without --write, and writes nothing', async () => {
    const dir = await applied('epsilon');
    await db.pool.query(sql.unsafe`update users set first_name = 'Robert' where email = 'bob@epsilon.example'`);
    const unknown = await runRoster(['drift', dir, '--write', '--only', 'bob@epsilon.example,role:nobody'], { env: env() });
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toBe("error: --only names something that is not drift: role:nobody; nothing was written. The drift's items are: bob@epsilon.example\n");
    const bare = await runRoster(['drift', dir, '--write', '--only', 'ops'], { env: env() });
    expect(bare.code).toBe(1);
    expect(bare.stderr).toBe("error: --only takes emails, role:KEY, company:KEY or organization:KEY, not 'ops'\n");
    const withoutWrite = await runRoster(['drift', dir, '--only', 'bob@epsilon.example'], { env: env() });
    expect(withoutWrite.code).toBe(1);
    expect(withoutWrite.stderr).toContain('error: --only chooses what --write accepts into the files; add --write');
    expect(await readFile(join(dir, 'epsilon.yaml'), 'utf8')).toBe(files('epsilon'));
  });

  it('a chosen privilege gain still needs --accept-privileged', async () => {
    const dir = await applied('zeta');
    await db.pool.query(sql.unsafe`update users set role_id = (select r.id from roles r join organizations o on o.id = r.organization_id where o.key = 'zeta' and r.key = 'admin') where email = 'bob@zeta.example'`);
    const held = await runRoster(['drift', dir, '--write', '--only', 'bob@zeta.example'], { env: env() });
    expect(held.code).toBe(3);
    expect(held.stderr).toContain('  bob@zeta.example (edited): role admin, company labs, active\n');
    expect(held.stderr).toContain('bob@zeta.example holds manage_users, manage_roles, manage_companies through role admin, and the files give them role viewer');
    expect(await readFile(join(dir, 'zeta.yaml'), 'utf8')).toBe(files('zeta'));
    const accepted = await runRoster(['drift', dir, '--write', '--only', 'bob@zeta.example', '--accept-privileged'], { env: env() });
    expect(accepted.code).toBe(0);
    expect(await readFile(join(dir, 'zeta.yaml'), 'utf8')).toBe(files('zeta').replace('    role: viewer\n', '    role: admin\n'));
  });
});

describe('other access gained outside Git', () => {
  it('a custom role given manage_users by SQL is in the sensitive section, with its holder; --write leaves it out', async () => {
    const dir = await applied('eta');
    await db.pool.query(sql.unsafe`insert into role_permissions (role_id, permission)
      select r.id, 'manage_users' from roles r join organizations o on o.id = r.organization_id where o.key = 'eta' and r.key = 'ops'`);
    const { code, report } = await driftJson(dir);
    expect(code).toBe(3);
    expect(report.sensitive.map((s) => `${s.kind} ${s.key} [${s.permissions.join(' ')}]`)).toEqual([
      'privileged-user ann@eta.example [manage_users]',
      'privileged-role ops [manage_users]',
    ]);
    expect(report.sensitive[1]!.message).toBe('role ops grants manage_users, which the files do not give it (1 active user holds it)');
    const text = await spawnRoster(['drift', dir], { env: env() });
    expect(text.code).toBe(3);
    expect(text.stdout).toMatch(/^SENSITIVE: access gained outside the files \(2\)\n {2}!! user ann@eta\.example: role ops, company hq, active \(.*\)\n {6}ann@eta\.example holds manage_users through role ops, which the role gained outside the files\n {2}!! role ops \(/m);

    const written = await runRoster(['drift', dir, '--write'], { env: env() });
    expect(written.code).toBe(3);
    expect(written.stderr).toContain('  role:ops (edited)\n      role ops grants manage_users');
    expect(written.stderr).toContain('--only role:ops');
    expect(await readFile(join(dir, 'eta.yaml'), 'utf8')).toBe(files('eta'));
  });

  it('a reactivation by SQL is in the sensitive section, and so is every user of a predefined role changed by hand, which stays invalid', async () => {
    const dir = await applied('theta');
    await db.pool.query(sql.unsafe`update users set active = false, deactivated_at = now() where email = 'owner@theta.example'`);
    await db.pool.query(sql.unsafe`update users set role_id = (select r.id from roles r join organizations o on o.id = r.organization_id where o.key = 'theta' and r.key = 'viewer') where email = 'old@theta.example'`);
    await db.pool.query(sql.unsafe`update users set active = true, deactivated_at = null where email = 'old@theta.example'`);
    const reactivated = await driftJson(dir);
    expect(reactivated.code).toBe(3);
    expect(reactivated.report.sensitive).toEqual([
      expect.objectContaining({
        kind: 'reactivation',
        key: 'old@theta.example',
        permissions: [],
        database: { role: 'viewer', company: 'hq', active: true },
        message: 'old@theta.example is active in the database, and the files keep them inactive',
      }),
    ]);
    const text = await runRoster(['drift', dir], { env: env() });
    expect(text.stdout).toContain('SENSITIVE: access gained outside the files (1)\n  !! user old@theta.example: role viewer, company hq, active (');
    expect(text.stdout).toContain('  ! user owner@theta.example: role admin, company hq, inactive (');

    // The schema refuses this (migration 0006) unless its escape hatch is set on purpose, as here.
    await db.pool.transaction(async (tx) => {
      await tx.query(sql.unsafe`select set_config('roster.predefined_roles', 'writable', true)`);
      await tx.query(sql.unsafe`insert into role_permissions (role_id, permission)
        select r.id, 'manage_users' from roles r join organizations o on o.id = r.organization_id where o.key = 'theta' and r.key = 'viewer'`);
    });
    const predefined = await driftJson(dir);
    expect(predefined.code).toBe(3);
    expect(predefined.report.items).toContainEqual(expect.objectContaining({ kind: 'invalid', type: 'role', key: 'viewer' }));
    expect(predefined.report.sensitive.map((s) => `${s.kind} ${s.key} [${s.permissions.join(' ')}]`)).toEqual([
      'privileged-user bob@theta.example [manage_users]',
      'privileged-user old@theta.example [manage_users]',
    ]);
  });

  it('drift that grants nothing still exits 2', async () => {
    const dir = await applied('iota');
    await db.pool.query(sql.unsafe`update users set first_name = 'Robert' where email = 'bob@iota.example'`);
    const { code, report } = await driftJson(dir);
    expect(report.sensitive).toEqual([]);
    expect(report.summary.sensitive).toBe(0);
    expect(code).toBe(2);
  });
});
