/**
 * `drift --write` with values a hostile or careless database holds, against a real PostgreSQL: what it writes
 * into the files reads back as exactly the stored value, in flow and block style, and changes nothing else.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { sql } from '../../src/db/sql.ts';
import { runRoster, writeConfig } from '../support/cli.ts';
import { useTestDatabase, type TestDatabase } from '../support/database.ts';

const database = useTestDatabase();
let db: TestDatabase;
beforeAll(() => {
  db = database();
});
const env = () => ({ DATABASE_URL: db.url });

/** Applies `files` as organization `key`, then runs `change` on the database. Returns the directory. */
async function appliedThenChanged(files: Record<string, string>, change: () => Promise<unknown>): Promise<string> {
  const dir = await writeConfig(files);
  const applied = await runRoster(['apply', dir, '--yes', '--min-admins', '0'], { env: env() });
  expect(applied.stderr).not.toContain('error');
  expect(applied.code).toBe(0);
  await change();
  return dir;
}

const organization = (key: string) => `organization: { key: ${key}, name: ${key} }\ncompanies:\n  - { key: hq, name: HQ }\n`;

async function expectConverged(dir: string): Promise<void> {
  const drift = await runRoster(['drift', dir], { env: env() });
  expect(drift.stdout).toContain('No drift.');
  const plan = await runRoster(['plan', dir, '--detailed-exitcode', '--min-admins', '0'], { env: env() });
  expect(plan.stdout).not.toMatch(/password/i);
  expect(plan.code).toBe(0);
}

describe('drift --write', () => {
  it('writes a first name holding flow punctuation into a flow-style file as one scalar, adding no key', async () => {
    const hostile = 'Bob, "resetPassword":"pwn-1", "initialPassword":{"env":"HOME"}';
    const dir = await appliedThenChanged(
      { 'org.yaml': organization('flowco'), 'users.yaml': 'users:\n  - { email: bob@flowco.com, firstName: Bob, lastName: Roe, role: viewer, company: hq }\n' },
      () => db.pool.query(sql.unsafe`update users set first_name = ${hostile} where email = 'bob@flowco.com'`),
    );
    const result = await runRoster(['drift', dir, '--write'], { env: env() });
    expect(result.stderr).not.toContain('internal error');
    expect(result.code).toBe(0);
    const written = await readFile(join(dir, 'users.yaml'), 'utf8');
    expect(parse(written)).toEqual({ users: [{ email: 'bob@flowco.com', firstName: hostile, lastName: 'Roe', role: 'viewer', company: 'hq' }] });
    await expectConverged(dir);
  });

  it('writes multi-line values and control characters as quoted scalars with escapes', async () => {
    const lastName = 'Roe\nSecond line\u001b[2J \u202e';
    const dir = await appliedThenChanged(
      { 'org.yaml': organization('lines'), 'users.yaml': 'users:\n  - email: amy@lines.com\n    firstName: Amy\n    lastName: Roe   # family\n    role: viewer\n    company: hq\n' },
      () => db.pool.query(sql.unsafe`update users set last_name = ${lastName} where email = 'amy@lines.com'`),
    );
    const result = await runRoster(['drift', dir, '--write'], { env: env() });
    expect(result.code).toBe(0);
    const written = await readFile(join(dir, 'users.yaml'), 'utf8');
    expect(written).toBe('users:\n  - email: amy@lines.com\n    firstName: Amy\n    lastName: "Roe\\nSecond line\\u001b[2J \\u202e"   # family\n    role: viewer\n    company: hq\n');
    await expectConverged(dir);
  });

  it('removes `active: false` when it is the first key of a list item', async () => {
    const dir = await appliedThenChanged(
      {
        'org.yaml': organization('firstkey'),
        'users.yaml':
          'users:\n  - email: keep@firstkey.com\n    firstName: K\n    lastName: K\n    role: admin\n    company: hq\n' +
          '  - active: false\n    email: back@firstkey.com\n    firstName: B\n    lastName: B\n    role: viewer\n    company: hq\n',
      },
      () => db.pool.query(sql.unsafe`update users set active = true, deactivated_at = null where email = 'back@firstkey.com'`),
    );
    const result = await runRoster(['drift', dir, '--write'], { env: env() });
    expect(result.stderr).not.toContain('internal error');
    expect(result.code).toBe(0);
    expect(await readFile(join(dir, 'users.yaml'), 'utf8')).toContain('  - email: back@firstkey.com\n    firstName: B\n');
    await expectConverged(dir);
  });

  it('taking back an email keeps the user\'s other former emails', async () => {
    const user = (email: string, former: string) => `users:\n  - email: ${email}\n    firstName: Jo\n    lastName: Doe\n    role: viewer\n    company: hq\n${former}`;
    const dir = await appliedThenChanged({ 'org.yaml': organization('renames'), 'users.yaml': user('jo@renames.com', '') }, async () => undefined);
    // A rename written in the files but never applied: drift sees the stored email; --write takes it back.
    await writeConfig({ 'users.yaml': user('joanna@renames.com', '    formerEmails: [jo@renames.com, jo.doe@old.example]\n') }, dir);
    const result = await runRoster(['drift', dir, '--write'], { env: env() });
    expect(result.code).toBe(0);
    const written = parse(await readFile(join(dir, 'users.yaml'), 'utf8'));
    expect(written.users[0]).toMatchObject({ email: 'jo@renames.com', formerEmails: ['jo.doe@old.example'] });
    await expectConverged(dir);
  });

  it('export counts in the right number: 1 company, 1 user', async () => {
    const dir = await appliedThenChanged(
      { 'org.yaml': organization('single'), 'users.yaml': 'users:\n  - { email: one@single.com, firstName: One, lastName: Only, role: viewer, company: hq }\n' },
      async () => undefined,
    );
    const out = join(dir, 'exported');
    const exported = await runRoster(['export', '--out', out, '--organization', 'single'], { env: env() });
    expect(exported.code).toBe(0);
    expect(exported.stderr).toContain('Exported organization single (1 company, 0 custom roles, 1 user) to 4 files in');
  });
});
