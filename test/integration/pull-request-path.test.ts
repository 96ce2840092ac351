/**
 * The pull-request path must never mislead a reviewer (issue 10 items 1, 3, 4; issue 16 guard holes), through the
 * real executable and a real PostgreSQL: which database, what the plan says about it, and the guard rails.
 */
import { existsSync } from 'node:fs';
import { cp } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT, runRoster, spawnRoster, tempDir, writeConfig } from '../support/cli.ts';
import { useTestDatabase } from '../support/database.ts';
import { sql } from '../../src/db/sql.ts';

const database = useTestDatabase();

/** An organization with its administrator and some users; `users` replaces the users list. */
function configuration(key: string, users?: Record<string, unknown>[]) {
  return {
    'org.yaml': {
      organization: { key, name: `Org ${key}` },
      companies: [{ key: 'hq', name: 'HQ' }],
      users: users ?? [
        { email: `boss@${key}.test`, firstName: 'Bo', lastName: 'Ss', role: 'admin', company: 'hq', initialPassword: { env: 'BOSS_PASSWORD' } },
        ...Array.from({ length: 3 }, (_, i) => ({ email: `u${i}@${key}.test`, firstName: 'U', lastName: `${i}`, role: 'viewer', company: 'hq' })),
      ],
    },
  };
}

async function userCount(key: string): Promise<number> {
  return Number(
    await database().pool.oneFirst(sql.unsafe`select count(*) from users u join organizations o on o.id = u.organization_id where o.key = ${key}`),
  );
}

describe('which database: never the embedded one by accident', () => {
  it('refuses an empty DATABASE_URL in CI, naming the variable, and writes nothing', async () => {
    const dir = await writeConfig(configuration('empty-url'));
    const result = await spawnRoster(['apply', '.', '--yes'], { cwd: dir, env: { DATABASE_URL: '', CI: 'true', BOSS_PASSWORD: 'a long secret 1' } });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('error: DATABASE_URL is set but empty: is the secret available to this workflow?');
    expect(result.stderr).not.toContain('embedded PostgreSQL in');
    expect(result.stdout).toBe('');
    expect(existsSync(join(dir, '.roster'))).toBe(false);
  });

  it('refuses a blank DATABASE_URL and an empty --database-url outside CI too', async () => {
    const dir = await writeConfig(configuration('blank-url'));
    const blank = await spawnRoster(['plan', '.'], { cwd: dir, env: { DATABASE_URL: '  ' } });
    expect(blank.code).toBe(1);
    expect(blank.stderr).toContain('DATABASE_URL is set but empty');
    const flag = await runRoster(['plan', '.', '--database-url', ''], { cwd: dir });
    expect(flag.code).toBe(1);
    expect(flag.stderr).toContain('error: --database-url is empty');
    expect(existsSync(join(dir, '.roster'))).toBe(false);
  });

  it('refuses the embedded database when CI is set and nothing names a database', async () => {
    const dir = await writeConfig(configuration('no-url'));
    const result = await spawnRoster(['plan', '.'], { cwd: dir, env: { CI: '1' } });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('error: no database given (--database-url or DATABASE_URL), and CI is set');
    expect(result.stderr).toContain('--embedded');
    expect(existsSync(join(dir, '.roster'))).toBe(false);
  });

  it('refuses --embedded together with a connection string', async () => {
    const dir = await writeConfig(configuration('both'));
    const result = await runRoster(['plan', '.', '--embedded', '--database-url', database().url], { cwd: dir });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('--embedded uses the embedded database, but --database-url names another');
  });

  it('uses the embedded database in CI when --embedded asks for it, and the plan says so', async () => {
    const dir = await tempDir('roster-embedded-ci-');
    await cp(join(REPO_ROOT, 'examples'), join(dir, 'examples'), { recursive: true });
    const result = await spawnRoster(['plan', 'examples/acme', '--embedded'], { cwd: dir, env: { CI: 'true', HOME: dir }, timeoutMs: 300_000 });
    expect(result.stderr).toContain('Using the embedded PostgreSQL');
    expect(result.stdout).toContain('Database: embedded (.roster/pgdata).');
    expect(result.code, result.stderr).toBe(0);
  }, 300_000);
});

describe('every plan says which database it was made against, never a password', () => {
  it('in text, JSON and Markdown', async () => {
    const dir = await writeConfig(configuration('target'));
    const db = database();
    const url = new URL(db.url);
    url.password = 'Sup3r-S3cret-Pw'; // trust authentication accepts it; it must not be shown
    const expected = `${url.hostname}:${url.port || '5432'}/${db.name}`;
    const text = await runRoster(['plan', '.', '--database-url', url.toString()], { cwd: dir });
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toContain(`Database: ${expected}.`);
    const json = await runRoster(['plan', '.', '--format', 'json', '--database-url', url.toString()], { cwd: dir });
    expect(JSON.parse(json.stdout).databaseTarget).toBe(expected);
    const markdown = await runRoster(['plan', '.', '--format', 'markdown', '--database-url', url.toString()], { cwd: dir });
    expect(markdown.stdout).toContain(`Database: \`${expected}\``);
    expect(markdown.stdout).toContain('Guard rails: max deactivations default');
    // apply prints the same plan before it applies: it names the database too.
    const applied = await runRoster(['apply', '.', '--yes', '--database-url', url.toString()], { cwd: dir, env: { BOSS_PASSWORD: 'boss-password-for-tests' } });
    expect(applied.code, applied.stderr).toBe(0);
    expect(applied.stdout).toContain(`Database: ${expected}.`);
    for (const output of [text, json, markdown, applied]) expect(output.stdout + output.stderr).not.toContain('Sup3r-S3cret-Pw');
  });
});

describe('guard rails through the real executable', () => {
  it('refuses a plan whose only administrator left cannot log in (no password), and says so', async () => {
    const key = 'lockout';
    const db = database();
    const first = configuration(key, [
      { email: `boss@${key}.test`, firstName: 'Bo', lastName: 'Ss', role: 'admin', company: 'hq', initialPassword: { env: 'BOSS_PASSWORD' } },
      { email: `nopass@${key}.test`, firstName: 'No', lastName: 'Pass', role: 'admin', company: 'hq' },
    ]);
    const dir = await writeConfig(first);
    const applied = await runRoster(['apply', '.', '--yes', '--database-url', db.url], { cwd: dir, env: { BOSS_PASSWORD: 'a long secret 1' } });
    expect(applied.code, applied.stderr).toBe(0);
    // boss@ is removed from the files: the remaining administrator has no password hash stored.
    const next = await writeConfig(configuration(key, [(first['org.yaml'].users as Record<string, unknown>[])[1]!]));
    const planned = await runRoster(['plan', '.', '--database-url', db.url], { cwd: next });
    expect(planned.code).toBe(1);
    expect(planned.stdout).toContain('no active user who can log in holds manage_users');
    expect(planned.stdout).toContain(`nopass@${key}.test holds it but has no password (give initialPassword)`);
    const refused = await runRoster(['apply', '.', '--yes', '--database-url', db.url], { cwd: next });
    expect(refused.code).toBe(1);
    expect(await userCount(key)).toBe(2);
  });

  it('refuses taking a permission from the holders of a role like deactivating them', async () => {
    const key = 'perm-loss';
    const db = database();
    const users = (role: string) => [
      { email: `boss@${key}.test`, firstName: 'Bo', lastName: 'Ss', role: 'admin', company: 'hq', initialPassword: { env: 'BOSS_PASSWORD' } },
      ...Array.from({ length: 8 }, (_, i) => ({ email: `op${i}@${key}.test`, firstName: 'Op', lastName: `${i}`, role, company: 'hq' })),
    ];
    const withRole = (permissions: string[]) => ({
      'org.yaml': {
        organization: { key, name: 'Perm' },
        companies: [{ key: 'hq', name: 'HQ' }],
        roles: [{ key: 'ops', name: 'Ops', permissions }],
        users: users('ops'),
      },
    });
    const dir = await writeConfig(withRole(['run_workflows', 'view_dashboards']));
    expect((await runRoster(['apply', '.', '--yes', '--database-url', db.url], { cwd: dir, env: { BOSS_PASSWORD: 'a long secret 1' } })).code).toBe(0);
    const stripped = await writeConfig(withRole(['view_dashboards']));
    const planned = await runRoster(['plan', '.', '--format', 'json', '--database-url', db.url], { cwd: stripped });
    expect(planned.code).toBe(1);
    const violation = JSON.parse(planned.stdout).guards.violations[0];
    expect(violation.guard).toBe('mass-deactivation');
    expect(violation.message).toContain('takes run_workflows from the 8 active holders of role ops');
    expect((await runRoster(['plan', '.', '--max-deactivations', '8', '--database-url', db.url], { cwd: stripped })).code).toBe(0);
  });

  it('turns guard-rail violations into GitHub annotations, and configuration problems into annotations relative to the workspace', async () => {
    const key = 'annotated';
    const db = database();
    const dir = await writeConfig(configuration(key));
    expect((await runRoster(['apply', '.', '--yes', '--database-url', db.url], { cwd: dir, env: { BOSS_PASSWORD: 'a long secret 1' } })).code).toBe(0);
    const empty = await writeConfig(configuration(key, []));
    const planned = await runRoster(['plan', '.', '--format', 'json', '--database-url', db.url], { cwd: empty, env: { GITHUB_ACTIONS: 'true' } });
    expect(planned.code).toBe(1);
    expect(JSON.parse(planned.stdout).guards.violations.length).toBeGreaterThan(0); // stdout stays JSON
    expect(planned.stderr).toMatch(/^::error title=roster guard rail%3A lockout::after this plan no active user who can log in/m);

    const workspace = await tempDir('roster-workspace-');
    await writeConfig({ 'teams/org/org.yaml': 'organization: { key: x, name: X }\nusers:\n  - email: not-an-email\n' }, workspace);
    const invalid = await runRoster(['validate', 'org'], { cwd: join(workspace, 'teams'), env: { GITHUB_ACTIONS: 'true', GITHUB_WORKSPACE: workspace } });
    expect(invalid.code).toBe(1);
    expect(invalid.stdout).toMatch(/^::error file=teams\/org\/org\.yaml,line=\d+,col=\d+,title=roster::/m);
  });
});
