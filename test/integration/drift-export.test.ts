/**
 * Drift and export against a real PostgreSQL: drift made by editing the database directly, as the app or support
 * staff would; accepting it into commented YAML files; exporting a generated organization and planning on it.
 */
import { readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { sql } from '../../src/db/sql.ts';
import { company, org, role, toConfigObject, user } from '../support/builders.ts';
import { runRoster, tempDir, writeConfig } from '../support/cli.ts';
import { useTestDatabase, type TestDatabase } from '../support/database.ts';

const database = useTestDatabase();
let db: TestDatabase;
beforeAll(() => {
  db = database();
});
const env = () => ({ DATABASE_URL: db.url });

/** A configuration written by hand: comments, blank lines, quoting and flow styles that must survive --write. */
const HANDWRITTEN = `# yaml-language-server: $schema=../schema/roster.schema.json
# Globex: owned by the platform team. Ask #platform before editing.

organization:
  key: globex
  name: "Globex Corporation"   # legal name

companies:
  - key: hq          # the mothership
    name: 'Headquarters'
  - { key: labs, name: Globex Labs }

roles:
  - key: analyst
    name: Analyst
    # Analysts run workflows since Q3.
    permissions: [view_dashboards, run_workflows]

users:
  # --- leadership ---
  - email: hank@globex.com
    firstName: Hank
    lastName: Scorpio   # the boss
    role: admin
    company: hq

  - email: frank@globex.com
    firstName: Frank
    lastName: Grimes
    role: analyst
    company: hq
  - email: homer@globex.com
    firstName: Homer
    lastName: Simpson
    role: viewer
    company: labs
    active: false   # on leave
  - email: lenny@globex.com
    firstName: Lenny
    lastName: Leonard
    role: viewer
    company: labs
  # trailing comment, kept
`;

async function driftJson(dir: string) {
  const result = await runRoster(['drift', dir, '--format', 'json'], { env: env() });
  return { code: result.code, report: JSON.parse(result.stdout) as { items: { kind: string; type: string; key: string; fields: object; afterLastApply: boolean | null }[] } };
}

describe('drift', () => {
  it('reports nothing right after an apply, and exits 0', async () => {
    const dir = await writeConfig({ 'globex.yaml': HANDWRITTEN });
    // --min-admins 0: Hank, the administrator, has no password here, so the lockout guard would refuse the new organization.
    expect((await runRoster(['apply', dir, '--yes', '--min-admins', '0'], { env: env() })).code).toBe(0);
    const result = await runRoster(['drift', dir], { env: env() });
    expect(result.stdout).toContain('No drift. The database matches the configuration.');
    expect(result.code).toBe(0);
  });

  it('classifies changes made directly in the database, each after the last apply, and exits 3 (Homer reactivated and Mindy an administrator: sensitive)', async () => {
    const dir = await writeConfig({ 'globex.yaml': HANDWRITTEN });
    await db.pool.query(sql.unsafe`update users set last_name = 'Grimes Jr.' where email = 'frank@globex.com'`);
    await db.pool.query(sql.unsafe`update users set active = false, deactivated_at = now() where email = 'lenny@globex.com'`);
    await db.pool.query(sql.unsafe`update users set active = true, deactivated_at = null where email = 'homer@globex.com'`);
    await db.pool.query(sql.unsafe`
      insert into users (organization_id, email, first_name, last_name, role_id, company_id)
      select organization_id, 'mindy@globex.com', 'Mindy', 'Simmons', role_id, company_id from users where email = 'hank@globex.com'`);
    await db.pool.query(sql.unsafe`insert into companies (organization_id, key, name) select id, 'cypress', 'Cypress Creek' from organizations where key = 'globex'`);
    await db.pool.query(sql.unsafe`delete from role_permissions where permission = 'run_workflows'
      and role_id = (select r.id from roles r join organizations o on o.id = r.organization_id where o.key = 'globex' and r.key = 'analyst')`);
    await db.pool.query(sql.unsafe`update companies set name = 'Globex Laboratories' where key = 'labs'`);
    const { code, report } = await driftJson(dir);
    expect(code).toBe(3);
    expect(report.items.map((i) => `${i.kind} ${i.type} ${i.key}`)).toEqual([
      'edited company labs',
      'unmanaged company cypress',
      'edited role analyst',
      'edited user frank@globex.com',
      'deactivated user lenny@globex.com',
      'reactivated user homer@globex.com',
      'unmanaged user mindy@globex.com',
    ]);
    expect(report.items.every((i) => i.afterLastApply === true)).toBe(true);
    expect(report.items.find((i) => i.key === 'analyst')!.fields).toEqual({
      permissions: { config: ['run_workflows', 'view_dashboards'], database: ['view_dashboards'] },
    });
    const markdown = await runRoster(['drift', dir, '--format', 'markdown'], { env: env() });
    expect(markdown.stdout).toMatch(/^## roster drift: `globex`/);
    expect(markdown.code).toBe(3);
  });

  it('reports rows in the files that are missing from the database', async () => {
    const missing = HANDWRITTEN.replace('users:\n', 'users:\n  - { email: ghost@globex.com, firstName: Ghost, lastName: Writer, role: viewer, company: hq }\n');
    const dir = await writeConfig({ 'globex.yaml': missing });
    const { report } = await driftJson(dir);
    expect(report.items).toContainEqual(expect.objectContaining({ kind: 'missing', type: 'user', key: 'ghost@globex.com', afterLastApply: null }));
  });

  it('--write accepts the drift, keeping every other byte of a commented file; then drift and plan find nothing', async () => {
    const dir = await writeConfig({ 'globex.yaml': HANDWRITTEN });
    // Mindy is an administrator no file lists: a privilege gain, written only when accepted on purpose.
    const result = await runRoster(['drift', dir, '--write', '--accept-privileged'], { env: env() });
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('--- a/');
    expect(result.stdout).toContain('+    lastName: Grimes Jr.');
    const written = await readFile(join(dir, 'globex.yaml'), 'utf8');
    const expected = HANDWRITTEN.replace("  - { key: labs, name: Globex Labs }\n", "  - { key: labs, name: Globex Laboratories }\n")
      .replace('    permissions: [view_dashboards, run_workflows]\n', '    permissions: [view_dashboards]\n')
      .replace('    lastName: Grimes\n', '    lastName: Grimes Jr.\n')
      .replace('    active: false   # on leave\n', '')
      .replace('    company: labs\n  # trailing comment, kept\n', '    company: labs\n    active: false\n  - email: mindy@globex.com\n    firstName: Mindy\n    lastName: Simmons\n    role: admin\n    company: hq\n  # trailing comment, kept\n')
      .replace("  - { key: labs, name: Globex Laboratories }\n", "  - { key: labs, name: Globex Laboratories }\n  - key: cypress\n    name: Cypress Creek\n");
    expect(written).toBe(expected);
    const drift = await runRoster(['drift', dir], { env: env() });
    expect(drift.stdout).toContain('No drift.');
    expect(drift.code).toBe(0);
    expect((await runRoster(['plan', dir, '--detailed-exitcode'], { env: env() })).code).toBe(0);
  });

  it('appends its Markdown to the GitHub job summary', async () => {
    const dir = await writeConfig({ 'globex.yaml': HANDWRITTEN });
    const summary = join(await tempDir(), 'summary.md');
    await writeFile(summary, '# earlier step\n');
    await runRoster(['drift', dir], { env: { ...env(), GITHUB_ACTIONS: 'true', GITHUB_STEP_SUMMARY: summary } });
    await runRoster(['plan', dir], { env: { ...env(), GITHUB_ACTIONS: 'true', GITHUB_STEP_SUMMARY: summary } });
    const text = await readFile(summary, 'utf8');
    expect(text.startsWith('# earlier step\n## roster drift: `globex`')).toBe(true);
    expect(text).toContain('## roster plan: `globex`');
  });
});

describe('export', () => {
  /** 1,200 users over 12 companies and 6 roles, with the characters real names have. */
  function generated(): ReturnType<typeof org> {
    const companies = Array.from({ length: 12 }, (_, i) => company(`company-${i}`, `Company Nº${i} "Quoted" & Co.`));
    const roles = Array.from({ length: 6 }, (_, i) => role(`role-${i}`, i % 2 ? ['view_dashboards'] : ['run_workflows', 'view_dashboards'], { description: i % 3 ? null : `Role #${i}: does things` }));
    const names = ["O'Brien", 'Zoë', 'José María', 'Nguyễn', 'Ødegaard', 'Smith', '李', 'yes', 'null', '123'];
    const users = Array.from({ length: 1200 }, (_, i) =>
      user(`Person.${i}@Initech.example`, {
        firstName: names[i % names.length]!,
        lastName: names[(i * 7) % names.length]!,
        role: i === 0 ? 'admin' : i % 9 === 0 ? 'editor' : `role-${i % 6}`,
        company: `company-${i % 12}`,
        active: i === 0 || i % 17 !== 0,
      }),
    );
    return org({ key: 'initech', name: 'Initech: "Software"', companies, roles, users });
  }

  it.each([
    ['one file per section', []],
    ['users split by company', ['--users-by-company']],
  ])('round-trips a generated organization of 1,200 users (%s): plan on the export shows no changes', async (_name, flags) => {
    const source = await writeConfig({ 'initech.yaml': toConfigObject(generated()) });
    const applied = await runRoster(['apply', source, '--yes', '--min-admins', '0'], { env: env() }); // its administrator has no password
    expect(applied.stderr).toMatch(/Applied to organization initech|^$/m);
    expect(applied.code, applied.stderr).toBe(0);
    const out = await tempDir();
    const exported = await runRoster(['export', '--out', out, '--organization', 'initech', ...flags], { env: env() });
    expect(exported.stderr).toContain('Exported organization initech (12 companies, 6 custom roles, 1200 users)');
    expect(exported.code).toBe(0);
    const files = (await readdir(out, { recursive: true })).map(String).filter((f) => f.endsWith('.yaml')).sort();
    expect(files).toEqual(flags.length ? ['companies.yaml', 'organization.yaml', 'roles.yaml', ...Array.from({ length: 12 }, (_, i) => `users/company-${i}.yaml`).sort()] : ['companies.yaml', 'organization.yaml', 'roles.yaml', 'users.yaml']);
    for (const file of files) {
      const text = await readFile(join(out, file), 'utf8');
      expect(text).toMatch(/^# yaml-language-server: \$schema=.*schema\/roster\.schema\.json\n/);
      expect(text).not.toContain('$scrypt$');
    }
    expect((await runRoster(['validate', out])).code).toBe(0);
    const planned = await runRoster(['plan', out, '--detailed-exitcode'], { env: env() });
    expect(planned.stdout).toContain('No changes.');
    expect(planned.code).toBe(0);
    expect((await runRoster(['drift', out], { env: env() })).code).toBe(0);
  });

  it('needs --organization when the database holds several, and refuses to overwrite YAML', async () => {
    const out = await tempDir();
    const several = await runRoster(['export', '--out', out], { env: env() });
    expect(several.code).toBe(1);
    expect(several.stderr).toMatch(/holds \d+ organizations \(.*globex.*initech.*\); choose one with --organization/);
    await writeFile(join(out, 'mine.yaml'), 'x: 1\n');
    const refused = await runRoster(['export', '--out', out, '--organization', 'globex'], { env: env() });
    expect(refused.stderr).toContain('already holds YAML files');
  });
});
