/**
 * Supplied password hashes (`initialPassword: { hash: … }`): weak or broken ones are refused at validation with their
 * position; OWASP's own configurations are accepted; and every accepted hash verifies after apply — an argon2id hash
 * made by the reference implementation logs in with verifyPassword, through the real executable.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { verifyPassword } from '../../src/secrets/password.ts';
import { spawnRoster, writeConfig } from '../support/cli.ts';
import { useTestDatabase, type TestDatabase } from '../support/database.ts';
import { userRow } from '../support/inspect.ts';

const database = useTestDatabase();
let db: TestDatabase;
beforeAll(() => {
  db = database();
});

const SALT16 = 'cm9zdGVyLXNhbHQtMTZieQ';
const KEY32 = 'lMBVtyCiqey0FUfwYFAQakxtpvEGk1+TM+ciC6qLleg';

/** A configuration with one user per hash; user i's hash is on line 5 + i. */
function configWith(hashes: readonly string[]): string {
  return [
    'organization: { key: hashes, name: Hashes }',
    'companies: [{ key: hq, name: HQ }]',
    'users:',
    '  - { email: boss@hashes.example, firstName: Boss, lastName: Admin, role: admin, company: hq, initialPassword: { env: BOSS_PASSWORD } }',
    ...hashes.map((hash, i) => `  - { email: u${i}@hashes.example, firstName: U, lastName: "${i}", role: viewer, company: hq, initialPassword: { hash: "${hash}" } }`),
    '',
  ].join('\n');
}

describe('supplied password hashes', () => {
  it('refuses weak or broken hashes at validation, each with its position, and accepts OWASP configurations', async () => {
    const weak = [
      '$scrypt$ln=17,r=8,p=1$A$A',
      `$scrypt$ln=99,r=8,p=1$${SALT16}$${KEY32}`,
      `$argon2id$v=19$m=19456,t=2,p=1$YWJj$${KEY32}`,
      `$argon2id$v=19$m=19456,t=2,p=99$${SALT16}$${KEY32}`,
      `$argon2id$v=19$m=8,t=4864,p=1$${SALT16}$${KEY32}`,
      `$argon2id$v=19$m=1,t=38912,p=1$${SALT16}$${KEY32}`,
    ];
    const strong = [`$argon2id$v=19$m=7168,t=5,p=1$${SALT16}$${KEY32}`, `$argon2id$v=19$m=47104,t=1,p=1$${SALT16}$${KEY32}`];
    const dir = await writeConfig({ 'org.yaml': configWith([...weak, ...strong]) });
    const result = await spawnRoster(['validate', dir], { cwd: dir });
    expect(result.code, result.stderr).toBe(1);
    for (const [i] of weak.entries()) expect(result.stderr).toMatch(new RegExp(`org\\.yaml:${5 + i}:\\d+: users\\[${i + 1}\\]\\.initialPassword\\.hash: `));
    expect(result.stderr).toMatch(/^6 problems found; nothing was changed\.$/m);
    for (const hash of [...weak, ...strong]) expect(result.stderr).not.toContain(hash);
  }, 120_000);

  it('stores an argon2id hash from the reference implementation, which then verifies', async () => {
    // echo -n 'correct horse battery staple' | argon2 roster-salt-16by -id -t 2 -k 19456 -p 1 -l 32 -e
    const hash = `$argon2id$v=19$m=19456,t=2,p=1$${SALT16}$${KEY32}`;
    const dir = await writeConfig({ 'org.yaml': configWith([hash]) });
    const applied = await spawnRoster(['apply', dir, '--yes'], { cwd: dir, env: { DATABASE_URL: db.url, BOSS_PASSWORD: 'Boss-Password-1!' } });
    expect(applied.code, applied.stderr).toBe(0);
    const row = await userRow(db.pool, 'hashes', 'u0@hashes.example');
    expect(row!.password_hash).toBe(hash);
    expect(await verifyPassword('correct horse battery staple', row!.password_hash!)).toBe(true);
    expect(await verifyPassword('correct horse battery stapler', row!.password_hash!)).toBe(false);
  }, 120_000);
});
