/**
 * A password in the connection string never reaches any output of the real executable: connection errors for a
 * server that cannot be reached, migrate's messages, plans, drift reports, and the header of exported YAML files.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { spawnRoster, tempDir, writeConfig, type RunResult } from '../support/cli.ts';
import { useTestDatabase, type TestDatabase } from '../support/database.ts';
import { testSize } from '../support/scale.ts';

const database = useTestDatabase();
let db: TestDatabase;
beforeAll(() => {
  db = database();
});

/** Passwords with every character that breaks naive URL handling, and random Unicode ones. */
const FIXED = ['p ss#w@rd', 'Sek/rit?x=1&y#z', 'пароль✓ 秘密@#'];
const RANDOM = fc.sample(
  fc
    .array(fc.oneof(fc.constantFrom('@', '#', ':', '/', '?', '%', ' ', '&', 'é', '秘'), fc.string({ unit: 'grapheme', minLength: 1, maxLength: 2 })), { minLength: 8, maxLength: 16 })
    .map((parts) => parts.join(''))
    .filter((p) => p.trim() === p && !/[\s]{2}/.test(p) && !'postgres://root@127.0.0.1:1/app nohost.invalid'.includes(p)),
  { seed: 16, numRuns: testSize('ROSTER_REDACT_SPAWNS', 3) },
);

/** Connection strings to nowhere (a refused port, an unknown host), each carrying the password in another form. */
const UNREACHABLE: readonly ((p: string) => string)[] = [
  (p) => `postgres://root:${p}@127.0.0.1:1/app`,
  (p) => `postgres://root:${encodeURIComponent(p)}@nohost.invalid/app`,
  (p) => `postgres://root@127.0.0.1:1/app?sslmode=disable&password=${encodeURIComponent(p)}`,
  (p) => `postgres://root@127.0.0.1:1/app?sslpassword=${p}`,
  (p) => `host=127.0.0.1 port=1 password='${p.replace(/[\\']/g, (c) => `\\${c}`)}'`,
  (p) => `${p}`,
];

function expectNoSecret(results: readonly { what: string; text: string }[], secret: string): void {
  for (const { what, text } of results) {
    for (const form of new Set([secret, encodeURIComponent(secret)])) expect(text.includes(form), `${what} shows the password ${JSON.stringify(form)}`).toBe(false);
  }
}

describe('a password in the connection string', () => {
  it('never appears when the database cannot be reached, whatever its form', async () => {
    const dir = await writeConfig({ 'org.yaml': 'organization: { key: acme, name: Acme }\n' });
    // Each password in the next form, so every form is tried with fixed and random passwords (each run is a process).
    const cases = [...FIXED, ...RANDOM].map((secret, i) => ({ secret, url: UNREACHABLE[i % UNREACHABLE.length]!(secret) }));
    for (const { secret, url } of cases) {
      const result = await spawnRoster(['plan', dir, '--database-url', url], { cwd: dir, timeoutMs: 60_000 });
      expect(result.code, result.stderr).toBe(1);
      expect(result.stderr).toMatch(/^error: (cannot connect to the database at|the connection string is not a valid URL)/);
      expectNoSecret([{ what: `plan stderr for ${url}`, text: result.stderr + result.stdout }], secret);
    }
  }, 600_000);

  it('never appears in migrate, plan, drift or export output, nor in exported files', async () => {
    const secret = 'Url-Secret p@ss#1/?%';
    const url = `${db.url}?sslmode=disable&password=${encodeURIComponent(secret)}`;
    const env = { DATABASE_URL: url };
    const dir = await writeConfig({
      'org.yaml': 'organization: { key: leaky, name: Leaky }\ncompanies: [{ key: hq, name: HQ }]\nusers:\n  - { email: a@leaky.com, firstName: A, lastName: B, role: admin, company: hq }\n',
    });
    const outputs: { what: string; text: string }[] = [];
    const record = (what: string, result: RunResult) => {
      outputs.push({ what: `${what} stdout`, text: result.stdout }, { what: `${what} stderr`, text: result.stderr });
      return result;
    };
    const migrated = record('migrate', await spawnRoster(['migrate'], { cwd: dir, env }));
    expect(migrated.code, migrated.stderr).toBe(0);
    record('plan', await spawnRoster(['plan', dir], { cwd: dir, env }));
    const applied = record('apply', await spawnRoster(['apply', dir, '--yes', '--min-admins', '0'], { cwd: dir, env }));
    expect(applied.code, applied.stderr).toBe(0);
    record('drift', await spawnRoster(['drift', dir, '--format', 'markdown'], { cwd: dir, env }));
    const out = join(await tempDir(), 'exported');
    const exported = record('export', await spawnRoster(['export', '--out', out, '--organization', 'leaky'], { cwd: dir, env }));
    expect(exported.code, exported.stderr).toBe(0);
    for (const name of await readdir(out, { recursive: true })) {
      if (name.endsWith('.yaml')) outputs.push({ what: `exported ${name}`, text: await readFile(join(out, name), 'utf8') });
    }
    expect(outputs.some((o) => o.what.startsWith('exported') && o.text.includes('password=***'))).toBe(true);
    expectNoSecret(outputs, secret);
  }, 300_000);
});
