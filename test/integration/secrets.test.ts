/**
 * Passwords never leak: the whole flow runs with known passwords, and every output, plan file, audit row and
 * error message is scanned for them. Stored hashes verify with verifyPassword.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from '../../src/db/sql.ts';
import { hashPassword, verifyPassword } from '../../src/secrets/password.ts';
import { runRoster, writeConfig, type RunResult } from '../support/cli.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { userRow } from '../support/inspect.ts';

const ENV_PASSWORD = 'Env-Secret-Password-1!';
const FILE_PASSWORD = 'File-Secret-Password-2!';
const HASHED_PASSWORD = 'Hashed-Secret-Password-3!';
const ROTATED_PASSWORD = 'Rotated-Secret-Password-4!';

let db: TestDatabase;
let suppliedHash: string;
beforeAll(async () => {
  db = await createTestDatabase();
  suppliedHash = await hashPassword(HASHED_PASSWORD);
});
afterAll(async () => {
  await db?.drop();
});

function config(extra: { organization?: string; resetPassword?: string } = {}) {
  return `# yaml-language-server: $schema=../schema/roster.schema.json
organization: { key: ${extra.organization ?? 'vault'}, name: Vault Inc. }
companies:
  - { key: hq, name: HQ }
users:
  - email: env@vault.com
    firstName: Env
    lastName: User
    role: admin
    company: hq
    initialPassword: { env: VAULT_ENV_PASSWORD }
${extra.resetPassword ? `    resetPassword: "${extra.resetPassword}"\n` : ''}  - email: file@vault.com
    firstName: File
    lastName: User
    role: viewer
    company: hq
    initialPassword: { file: secrets/file-user.txt }
  - email: hash@vault.com
    firstName: Hash
    lastName: User
    role: viewer
    company: hq
    initialPassword: { hash: "${suppliedHash}" }
`;
}

/** What one test saw: every output, plan file and audit row it produced, to be scanned for secrets. */
class Seen {
  readonly outputs: { what: string; text: string }[] = [];
  record(what: string, result: RunResult): RunResult {
    this.outputs.push({ what: `${what} stdout`, text: result.stdout }, { what: `${what} stderr`, text: result.stderr });
    return result;
  }
  /** Fails when any output, the audit trail of `organization` or a stored hash shows a password or a hash. */
  async expectNoSecrets(organization: string): Promise<void> {
    const audit = String(
      await db.pool.oneFirst(sql.unsafe`
        select coalesce(json_agg(a), '[]')::text from audit_applies a join organizations o on o.id = a.organization_id where o.key = ${organization}`),
    );
    const hashes = ((await db.pool.anyFirst(sql.unsafe`
      select u.password_hash from users u join organizations o on o.id = u.organization_id
       where o.key = ${organization} and u.password_hash is not null`)) as string[]).concat(suppliedHash);
    for (const { what, text } of [...this.outputs, { what: 'audit trail', text: audit }]) {
      for (const secret of [ENV_PASSWORD, FILE_PASSWORD, HASHED_PASSWORD, ROTATED_PASSWORD, ...hashes]) {
        expect(text.includes(secret), `${what} contains a secret`).toBe(false);
      }
    }
  }
}

describe('passwords and secrets', () => {
  it('runs the whole flow with known passwords and never shows them, in any output, plan file or audit row', async () => {
    const seen = new Seen();
    const record = seen.record.bind(seen);
    const dir = await writeConfig({ 'org.yaml': config(), 'secrets/file-user.txt': `${FILE_PASSWORD}\n` });
    const baseEnv = { DATABASE_URL: db.url };
    const withSecret = { ...baseEnv, VAULT_ENV_PASSWORD: ENV_PASSWORD };

    expect(record('validate', await runRoster(['validate', dir], { env: withSecret })).code).toBe(0);
    // Without the variable: refused before anything is written, naming the reference, not a value.
    const missing = record('apply without variable', await runRoster(['apply', dir, '--yes'], { env: baseEnv }));
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/org\.yaml:11:22: environment variable VAULT_ENV_PASSWORD \(password of env@vault\.com\) is not set/);
    expect(await db.pool.oneFirst(sql.unsafe`select count(*)::int from organizations where key = 'vault'`)).toBe(0);

    record('plan text', await runRoster(['plan', dir], { env: baseEnv }));
    record('plan json', await runRoster(['plan', dir, '--format', 'json'], { env: baseEnv }));
    const planFile = join(dir, 'plan.json');
    record('plan --out', await runRoster(['plan', dir, '--out', planFile], { env: baseEnv }));
    seen.outputs.push({ what: 'plan file', text: await readFile(planFile, 'utf8') });
    const applied = record('apply plan file', await runRoster(['apply', planFile, dir, '--yes'], { env: withSecret }));
    expect(applied.code).toBe(0);
    record('plan after', await runRoster(['plan', dir, '--detailed-exitcode'], { env: baseEnv }));

    const env = await userRow(db.pool, 'vault', 'env@vault.com');
    const file = await userRow(db.pool, 'vault', 'file@vault.com');
    const hash = await userRow(db.pool, 'vault', 'hash@vault.com');
    expect(await verifyPassword(ENV_PASSWORD, env!.password_hash!)).toBe(true);
    expect(await verifyPassword(FILE_PASSWORD, file!.password_hash!)).toBe(true);
    expect(hash!.password_hash).toBe(suppliedHash);
    expect(await verifyPassword(HASHED_PASSWORD, hash!.password_hash!)).toBe(true);
    expect(seen.outputs.length).toBeGreaterThan(10);
    await seen.expectNoSecrets('vault');
  });

  it('rotates a password once per resetPassword id, as a reviewed change', async () => {
    const seen = new Seen();
    const record = seen.record.bind(seen);
    const organization = 'vault-rotation';
    const dir = await writeConfig({ 'org.yaml': config({ organization }), 'secrets/file-user.txt': FILE_PASSWORD });
    const first = record('first apply', await runRoster(['apply', dir, '--yes'], { env: { DATABASE_URL: db.url, VAULT_ENV_PASSWORD: ENV_PASSWORD } }));
    expect(first.code, first.stderr).toBe(0);
    await writeFile(join(dir, 'org.yaml'), config({ organization, resetPassword: '2026-11-27' }));
    const env = { DATABASE_URL: db.url, VAULT_ENV_PASSWORD: ROTATED_PASSWORD };
    const planned = record('rotation plan', await runRoster(['plan', dir], { env }));
    expect(planned.stdout).toContain('  ~ env@vault.com\n      password: (sensitive, reset from $VAULT_ENV_PASSWORD; rotation (none) → "2026-11-27")');
    expect(planned.stdout).toContain('env@vault.com gets a new password (rotation 2026-11-27)');
    const applied = record('rotation apply', await runRoster(['apply', dir, '--yes'], { env }));
    expect(applied.code).toBe(0);
    const row = await userRow(db.pool, organization, 'env@vault.com');
    expect(await verifyPassword(ROTATED_PASSWORD, row!.password_hash!)).toBe(true);
    expect(await verifyPassword(ENV_PASSWORD, row!.password_hash!)).toBe(false);
    // Applied once: the same id plans nothing, even with another password in the variable.
    const again = record('rotation again', await runRoster(['plan', dir, '--detailed-exitcode'], { env: { ...env, VAULT_ENV_PASSWORD: 'something else' } }));
    expect(again.code).toBe(0);
    // Editing the reference alone does not reset anything either.
    await writeFile(join(dir, 'org.yaml'), config({ organization, resetPassword: '2026-11-27' }).replace('VAULT_ENV_PASSWORD', 'OTHER_VARIABLE'));
    expect((await runRoster(['plan', dir, '--detailed-exitcode'], { env })).code).toBe(0);
    // A new id resets again.
    await writeFile(join(dir, 'org.yaml'), config({ organization, resetPassword: '2026-12-01' }));
    const next = record('rotation next', await runRoster(['plan', dir, '--detailed-exitcode'], { env }));
    expect(next.code).toBe(2);
    await seen.expectNoSecrets(organization);
  });

  it('refuses a missing password file, naming where it is referenced', async () => {
    const seen = new Seen();
    const dir = await writeConfig({ 'org.yaml': config({ organization: 'vault-missing' }) });
    const result = seen.record('missing file', await runRoster(['apply', dir, '--yes'], { env: { DATABASE_URL: db.url, VAULT_ENV_PASSWORD: ENV_PASSWORD } }));
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/org\.yaml:17:22: password file .*secrets\/file-user\.txt \(password of file@vault\.com\) cannot be read \(ENOENT\)/);
    await seen.expectNoSecrets('vault-missing');
  });
});
