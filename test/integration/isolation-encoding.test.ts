/**
 * Two promises that cut across commands: another organization's rows never change, whatever roster does to this
 * one; and every string, however hostile, is stored, shown and exported exactly as written.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse } from 'yaml';
import { beforeAll, describe, expect, it } from 'vitest';
import { sql } from '../../src/db/sql.ts';
import { company, org, role, toConfigObject, user } from '../support/builders.ts';
import { runRoster, tempDir, writeConfig } from '../support/cli.ts';
import { useTestDatabase, type TestDatabase } from '../support/database.ts';
import { snapshot, userRow } from '../support/inspect.ts';

const database = useTestDatabase();
let db: TestDatabase;
beforeAll(() => {
  db = database();
});
const env = () => ({ DATABASE_URL: db.url });

/** Strings that break naive SQL, shells, YAML, JSON or terminals, and Unicode that normalisation could mangle. */
const HOSTILE = [
  "O'Brien; DROP TABLE users; --",
  'Robert"); DELETE FROM roles; --',
  'back\\slash \\\\ and \\n not a newline',
  '$1 $$ dollar-quoted $$',
  '%s %d {0} ${HOME} `whoami`',
  'Zoë Ærøskøbing',
  'e\u0301 (combining acute)',
  '\u202eright-to-left override',
  'emoji 🎉👩‍💻',
  '李小龙 محمد',
  'tab\there',
  '# not a comment',
  'key: value',
  'null',
  'yes',
];

describe('hostile strings', () => {
  it('are stored, planned, exported and re-planned exactly', async () => {
    const state = org({
      key: 'hostile',
      name: HOSTILE[0]!,
      companies: HOSTILE.slice(0, 5).map((name, i) => company(`c${i}`, name)),
      roles: [role('r', ['view_dashboards'], { name: HOSTILE[1]!, description: HOSTILE[2]! })],
      users: [
        user('boss@hostile.example', { role: 'admin', company: 'c0' }),
        ...HOSTILE.map((name, i) => user(`u${i}@hostile.example`, { firstName: name, lastName: HOSTILE[(i + 3) % HOSTILE.length]!, company: `c${i % 5}`, role: 'r' })),
      ],
    });
    const dir = await writeConfig({ 'org.yaml': toConfigObject(state) });
    const applied = await runRoster(['apply', dir, '--yes', '--min-admins', '0'], { env: env() }); // the administrator has no password
    expect(applied.code, applied.stderr).toBe(0);
    for (const [i, name] of HOSTILE.entries()) {
      const row = await userRow(db.pool, 'hostile', `u${i}@hostile.example`);
      // Stored exactly as normalised: NFC, trimmed, nothing else.
      expect(row!.first_name).toBe(name.normalize('NFC').trim());
    }
    expect(await db.pool.oneFirst(sql.unsafe`select name from organizations where key = 'hostile'`)).toBe(HOSTILE[0]);
    expect(await db.pool.oneFirst(sql.unsafe`select description from roles where key = 'r'`)).toBe(HOSTILE[2]);
    // Shown exactly: the JSON plan of a rename carries the strings unchanged.
    const renamed = await writeConfig({ 'org.yaml': toConfigObject({ ...state, organization: { key: 'hostile', name: HOSTILE[8]! } }) });
    const json = JSON.parse((await runRoster(['plan', renamed, '--format', 'json'], { env: env() })).stdout);
    expect(json.changes).toEqual([{ type: 'organization', action: 'update', key: 'hostile', fields: { name: { before: HOSTILE[0], after: HOSTILE[8] } } }]);
    // Exported exactly, and the export plans to nothing.
    const out = await tempDir();
    expect((await runRoster(['export', '--out', out, '--organization', 'hostile'], { env: env() })).code).toBe(0);
    const exported = parse(await readFile(join(out, 'users.yaml'), 'utf8')) as { users: { email: string; firstName: string }[] };
    expect(exported.users.find((u) => u.email === 'u0@hostile.example')!.firstName).toBe(HOSTILE[0]);
    const replanned = await runRoster(['plan', out, '--detailed-exitcode'], { env: env() });
    expect(replanned.code, replanned.stdout).toBe(0);
    expect(await db.pool.oneFirst(sql.unsafe`select count(*)::int from pg_tables where tablename in ('users', 'roles')`)).toBe(2);
  });
});

describe('tenant isolation', () => {
  it('leaves another organization byte-identical through every command', async () => {
    const other = org({ key: 'bystander', companies: [company('hq')], roles: [role('analyst')], users: [user('boss@bystander.example', { role: 'admin' }), user('ann@bystander.example', { role: 'analyst' })] });
    expect((await runRoster(['apply', await writeConfig({ 'org.yaml': toConfigObject(other) }), '--yes', '--min-admins', '0'], { env: env() })).code).toBe(0);
    const before = await snapshot(db.pool, 'bystander');

    // The same keys, emails and role names in another organization, through every command.
    const mine = org({ key: 'actor', companies: [company('hq')], roles: [role('analyst', ['run_workflows'])], users: [user('boss@bystander.example', { role: 'admin' }), user('ann@bystander.example')] });
    const dir = await writeConfig({ 'org.yaml': toConfigObject(mine) });
    const steps: string[][] = [
      ['validate', dir],
      // --min-admins 0: boss@ is an administrator without a password, which the lockout guard refuses for a new organization.
      ['plan', dir, '--min-admins', '0'],
      ['apply', dir, '--yes', '--min-admins', '0'],
      ['plan', dir, '--out', join(dir, 'plan.json')],
      ['drift', dir],
      ['export', '--out', await tempDir(), '--organization', 'actor'],
      ['migrate'],
    ];
    for (const argv of steps) {
      const result = await runRoster(argv, { env: env() });
      expect([0, 2], `${argv.join(' ')}: ${result.stderr}`).toContain(result.code);
    }
    // Edits in this organization outside roster, then drift --write and a saved plan of removals.
    await db.pool.query(sql.unsafe`update users u set first_name = 'Changed' from organizations o where o.id = u.organization_id and o.key = 'actor' and u.email = 'ann@bystander.example'`);
    expect((await runRoster(['drift', dir, '--write'], { env: env() })).code).toBe(0);
    const removal = await writeConfig({ 'org.yaml': toConfigObject({ ...mine, users: mine.users.slice(0, 1), roles: [] }) });
    const saved = join(removal, 'plan.json');
    expect((await runRoster(['plan', removal, '--out', saved], { env: env() })).code).toBe(0);
    // Planned from a directory outside the working directory: apply names it, as the plan file alone may not choose.
    expect((await runRoster(['apply', saved, removal, '--yes'], { env: env() })).code).toBe(0);
    expect(await userRow(db.pool, 'actor', 'ann@bystander.example')).toMatchObject({ active: false });
    expect(await snapshot(db.pool, 'bystander')).toBe(before);
  });
});
