/**
 * The caches: a configuration seen before is not parsed again, and a plan is reused only while both the files and
 * the organization's rows are unchanged. Every change, from any side, is seen.
 */
import { readdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { configKey } from '../../src/config/cache.ts';
import { sql } from '../../src/db/sql.ts';
import { company, org, toConfigObject, user } from '../support/builders.ts';
import { runRoster, writeConfig } from '../support/cli.ts';
import { useTestDatabase, type TestDatabase } from '../support/database.ts';

const database = useTestDatabase();
let db: TestDatabase;
beforeAll(() => {
  db = database();
});

const state = org({ key: 'cached', companies: [company('hq')], users: [user('boss@cached.com', { role: 'admin' }), user('ann@cached.com')] });

/** Runs plan in `dir` with timings: which phases ran tells whether a cache answered. */
async function plan(dir: string, env: Record<string, string> = {}) {
  const result = await runRoster(['plan', '.'], { cwd: dir, env: { DATABASE_URL: db.url, ROSTER_TIMINGS: '1', ...env } });
  const timings = JSON.parse(result.stderr.split('\n').find((l) => l.startsWith('ROSTER_TIMINGS '))!.slice(15)) as Record<string, number>;
  return { ...result, timings };
}

describe('caches', () => {
  it('reuse an unchanged plan, and see a change made in the database', async () => {
    const dir = await writeConfig({ 'org.yaml': toConfigObject(state) });
    expect((await runRoster(['apply', '.', '--yes'], { cwd: dir, env: { DATABASE_URL: db.url } })).code).toBe(0);
    const first = await plan(dir);
    expect(first.timings.read).toBeGreaterThanOrEqual(0);
    const second = await plan(dir);
    expect(second.timings.read).toBeUndefined();
    expect(second.stdout).toBe(first.stdout);
    expect((await readdir(join(dir, '.roster', 'cache'))).some((f) => f.startsWith('config-'))).toBe(true);

    await db.pool.query(sql.unsafe`update users set last_name = 'Edited in the app' where email = 'ann@cached.com'`);
    const afterEdit = await plan(dir);
    expect(afterEdit.timings.read).toBeGreaterThanOrEqual(0);
    expect(afterEdit.stdout).toContain('lastName: "Edited in the app" → "Doe"');

    await db.pool.query(sql.unsafe`
      insert into users (organization_id, email, first_name, last_name, role_id, company_id)
      select organization_id, 'new@cached.com', 'New', 'User', role_id, company_id from users where email = 'ann@cached.com'`);
    expect((await plan(dir)).stdout).toContain('- new@cached.com (deactivate: not in the configuration)');
  });

  it('see a change to the files, and can be turned off or deleted', async () => {
    const dir = await writeConfig({ 'org.yaml': toConfigObject(state) });
    await plan(dir);
    await writeFile(join(dir, 'org.yaml'), (await import('yaml')).stringify(toConfigObject({ ...state, organization: { key: 'cached', name: 'Renamed' } })));
    const changed = await plan(dir);
    expect(changed.timings.read).toBeGreaterThanOrEqual(0);
    expect(changed.stdout).toContain('name: "Acme Inc." → "Renamed"');
    const off = await plan(dir, { ROSTER_CACHE: 'off' });
    expect(off.timings.read).toBeGreaterThanOrEqual(0);
    await rm(join(dir, '.roster'), { recursive: true });
    expect((await plan(dir)).stdout).toBe(changed.stdout);
  });

  it('are keyed by the paths and contents of the files', async () => {
    const a = await configKey([{ shown: 'a.yaml', content: Buffer.from('x') }]);
    expect(await configKey([{ shown: 'a.yaml', content: Buffer.from('x') }])).toBe(a);
    expect(await configKey([{ shown: 'b.yaml', content: Buffer.from('x') }])).not.toBe(a);
    expect(await configKey([{ shown: 'a.yaml', content: Buffer.from('y') }])).not.toBe(a);
  });

  it('never keep a saved plan from a cache: a plan file is always read in full', async () => {
    const dir = await writeConfig({ 'org.yaml': toConfigObject(state) });
    await plan(dir);
    const result = await runRoster(['plan', '.', '--out', 'plan.json'], { cwd: dir, env: { DATABASE_URL: db.url, ROSTER_TIMINGS: '1' } });
    expect(result.stderr).toMatch(/ROSTER_TIMINGS .*"read"/);
  });
});
