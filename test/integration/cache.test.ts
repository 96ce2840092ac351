/**
 * The caches: a configuration seen before is not parsed again, and a plan is reused only while the files, the code
 * and the organization's rows are unchanged. They are never a source of truth: an entry edited by hand is a miss,
 * `apply` never reads them, a cache committed to Git is ignored, and no password hash is stored in them.
 *
 * Whether a cache answered is told by what it answers: an entry rewritten through roster's own cache writer (as a
 * hit would return it) shows in the output only when the cache was used.
 */
import { execFileSync, spawn } from 'node:child_process';
import { cp, mkdir, readFile, readdir, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { cacheDirectory, configKey, readCache, writeCache } from '../../src/config/cache.ts';
import { sql } from '../../src/db/sql.ts';
import { hashPassword } from '../../src/secrets/password.ts';
import { company, org, toConfigObject, user } from '../support/builders.ts';
import { REPO_ROOT, runRoster, spawnRoster, tempDir, writeConfig } from '../support/cli.ts';
import { userRow } from '../support/inspect.ts';
import { useTestDatabase, type TestDatabase } from '../support/database.ts';

const database = useTestDatabase();
let db: TestDatabase;
beforeAll(() => {
  db = database();
});

const stateOf = (key: string) =>
  org({ key, companies: [company('hq')], users: [user(`boss@${key}.com`, { role: 'admin' }), user(`ann@${key}.com`)] });

const plan = (dir: string, args: string[] = [], env: Record<string, string> = {}) =>
  runRoster(['plan', '.', ...args], { cwd: dir, env: { DATABASE_URL: db.url, ...env } });

/** Applies with the guard rails off (the users here have no passwords). */
const apply = (dir: string) => runRoster(['apply', '.', '--yes', '--min-admins', '0'], { cwd: dir, env: { DATABASE_URL: db.url } });

/** The names of the cache's entries of one kind, as [key, file name]. */
async function entries(dir: string, kind: string): Promise<string[]> {
  const names = await readdir(cacheDirectory(dir)).catch(() => [] as string[]);
  return names.filter((n) => n.startsWith(`${kind}-`) && n.endsWith('.json')).map((n) => n.slice(kind.length + 1, -'.json'.length));
}

/**
 * Rewrites the newest entry of `kind` the way roster's cache writer does, with `edit` applied to its JSON text. A
 * configuration entry's plans go, so that the next plan is computed from it.
 */
async function rewriteEntry(dir: string, kind: string, edit: (json: string) => string): Promise<void> {
  const keys = await entries(dir, kind);
  const dated = await Promise.all(keys.map(async (key) => ({ key, t: (await stat(join(cacheDirectory(dir), `${kind}-${key}.json`))).mtimeMs })));
  const key = dated.sort((a, b) => b.t - a.t)[0]!.key;
  const value = await readCache<unknown>(dir, kind, key);
  expect(value).not.toBeNull();
  await writeCache(dir, kind, key, JSON.parse(edit(JSON.stringify(value))));
  if (kind === 'config') for (const plan of await entries(dir, 'plan')) await rm(join(cacheDirectory(dir), `plan-${plan}.json`));
}

/** Edits the only entry of `kind` by hand, in place, without binding it again; the plans computed from it go. */
async function editEntryByHand(dir: string, kind: string, edit: (text: string) => string): Promise<void> {
  const [key] = await entries(dir, kind);
  const path = join(cacheDirectory(dir), `${kind}-${key}.json`);
  await writeFile(path, edit(await readFile(path, 'utf8')));
  for (const plan of await entries(dir, 'plan')) await rm(join(cacheDirectory(dir), `plan-${plan}.json`));
}

/** The configuration entry with one more user, an admin no file mentions. */
function addIntruder(key: string) {
  return (json: string) => {
    const value = JSON.parse(json) as { state: { users: unknown[] } };
    value.state.users.push({ ...user(`intruder@${key}.com`, { role: 'admin' }) });
    return JSON.stringify(value);
  };
}

describe('caches', () => {
  it('reuse an unchanged plan, and see a change made in the database', async () => {
    const state = stateOf('cached');
    const dir = await writeConfig({ 'org.yaml': toConfigObject(state) });
    expect((await apply(dir)).code).toBe(0);
    await writeFile(join(dir, 'org.yaml'), (await import('yaml')).stringify(toConfigObject({ ...state, organization: { key: 'cached', name: 'Renamed' } })));
    const first = await plan(dir);
    expect(first.stdout).toContain('name: "Acme Inc." → "Renamed"');
    expect(await entries(dir, 'plan')).toHaveLength(1);

    // A hit answers with the entry: rewritten through the cache writer, its content shows.
    await rewriteEntry(dir, 'plan', (json) => json.replace('"Renamed"', '"From the cache"'));
    expect((await plan(dir)).stdout).toContain('name: "Acme Inc." → "From the cache"');

    await db.pool.query(sql.unsafe`update users set last_name = 'Edited in the app' where email = 'ann@cached.com'`);
    const afterEdit = await plan(dir);
    expect(afterEdit.stdout).toContain('name: "Acme Inc." → "Renamed"');
    expect(afterEdit.stdout).toContain('lastName: "Edited in the app" → "Doe"');

    await db.pool.query(sql.unsafe`
      insert into users (organization_id, email, first_name, last_name, role_id, company_id)
      select organization_id, 'new@cached.com', 'New', 'User', role_id, company_id from users where email = 'ann@cached.com'`);
    expect((await plan(dir)).stdout).toContain('- new@cached.com (deactivate: not in the configuration)');
  });

  it('see a change to the files, and can be turned off or deleted', async () => {
    const state = stateOf('cached-files');
    const dir = await writeConfig({ 'org.yaml': toConfigObject(state) });
    await plan(dir);
    await rewriteEntry(dir, 'plan', (json) => json.replace('"Acme Inc."', '"From the cache"'));
    await writeFile(join(dir, 'org.yaml'), (await import('yaml')).stringify(toConfigObject({ ...state, organization: { key: 'cached-files', name: 'Renamed' } })));
    const changed = await plan(dir);
    expect(changed.stdout).toContain('+ cached-files');
    expect(changed.stdout).toContain('"Renamed"');
    expect(changed.stdout).not.toContain('From the cache');

    await rewriteEntry(dir, 'config', (json) => json.replace('"Renamed"', '"From the config cache"'));
    expect((await plan(dir)).stdout).toContain('From the config cache');
    expect((await plan(dir, [], { ROSTER_CACHE: 'off' })).stdout).toBe(changed.stdout);
    await rm(join(dir, '.roster'), { recursive: true });
    expect((await plan(dir)).stdout).toBe(changed.stdout);
  });

  it('are keyed by the paths and contents of the files', async () => {
    const a = await configKey([{ shown: 'a.yaml', content: Buffer.from('x') }]);
    expect(await configKey([{ shown: 'a.yaml', content: Buffer.from('x') }])).toBe(a);
    expect(await configKey([{ shown: 'b.yaml', content: Buffer.from('x') }])).not.toBe(a);
    expect(await configKey([{ shown: 'a.yaml', content: Buffer.from('y') }])).not.toBe(a);
  });

  it('are keyed by the code: editing any source file makes every entry a miss', async () => {
    const root = await tempDir('roster-cache-code-');
    const pkg = join(root, 'pkg');
    await mkdir(pkg);
    for (const part of ['src', 'schema', 'package.json']) await cp(join(REPO_ROOT, part), join(pkg, part), { recursive: true });
    await symlink(join(REPO_ROOT, 'node_modules'), join(pkg, 'node_modules'));
    const work = await writeConfig({ 'org.yaml': toConfigObject(stateOf('cached-code')) }, join(root, 'work'));
    // Run from the copy's sources, so the running code is the copy's src/.
    const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
    const run = async () => {
      const child = spawn(process.execPath, ['--import', tsx, join(pkg, 'src', 'cli', 'bin.ts'), 'validate', '.'], { cwd: work, env: { PATH: process.env.PATH }, stdio: 'ignore' });
      return new Promise<number>((resolve) => child.on('close', (code) => resolve(code ?? -1)));
    };
    expect(await run()).toBe(0);
    expect(await run()).toBe(0);
    expect(await entries(work, 'config')).toHaveLength(1);
    const planner = join(pkg, 'src', 'plan', 'planner.ts');
    await writeFile(planner, `${await readFile(planner, 'utf8')}\n// an edit\n`);
    expect(await run()).toBe(0);
    expect(await entries(work, 'config')).toHaveLength(2);
  });

  it('never keep a saved plan from a cache: a plan file is always computed in full', async () => {
    const dir = await writeConfig({ 'org.yaml': toConfigObject(stateOf('cached-out')) });
    await plan(dir);
    await rewriteEntry(dir, 'plan', (json) => json.replace('"Acme Inc."', '"From the cache"'));
    const result = await plan(dir, ['--out', 'plan.json', '--min-admins', '0']);
    expect(result.code).toBe(0);
    expect(result.stdout).not.toContain('From the cache');
    expect(await readFile(join(dir, 'plan.json'), 'utf8')).not.toContain('From the cache');
  });

  it('ignore an entry edited by hand: an admin added to a cached configuration is neither planned nor applied', async () => {
    const key = 'cached-edit';
    const dir = await writeConfig({ 'org.yaml': toConfigObject(stateOf(key)) });
    expect((await plan(dir)).stdout).toContain(`+ boss@${key}.com`);
    await editEntryByHand(dir, 'config', (text) => {
      const [header, json] = [text.slice(0, text.indexOf('\n')), text.slice(text.indexOf('\n') + 1)];
      return `${header}\n${addIntruder(key)(json)}`;
    });
    const planned = await plan(dir);
    expect(planned.stdout).not.toContain('intruder');
    expect(planned.stdout).toContain('Plan: 4 to create');
    const applied = await apply(dir);
    expect(applied.code).toBe(0);
    expect(applied.stdout).not.toContain('intruder');
    expect(await userRow(db.pool, key, `intruder@${key}.com`)).toBeNull();
  });

  it('ignore an entry of the wrong shape, even one bound to its key', async () => {
    const key = 'cached-shape';
    const dir = await writeConfig({ 'org.yaml': toConfigObject(stateOf(key)) });
    const first = await plan(dir);
    await rewriteEntry(dir, 'config', (json) => JSON.stringify({ ...JSON.parse(json), state: { ...JSON.parse(json).state, users: 'everyone' } }));
    const again = await plan(dir);
    expect(again.stderr).not.toMatch(/internal error/);
    expect(again.stdout).toBe(first.stdout);
  });

  it('are never read by apply: a cached configuration bound again as roster would write it changes nothing applied', async () => {
    const key = 'cached-forged';
    const dir = await writeConfig({ 'org.yaml': toConfigObject(stateOf(key)) });
    await plan(dir);
    await rewriteEntry(dir, 'config', addIntruder(key));
    // The forged entry is well formed: validate, plan and drift may use it (they show, they never write) ...
    expect((await plan(dir)).stdout).toContain(`intruder@${key}.com`);
    // ... but apply parses the files.
    const applied = await apply(dir);
    expect(applied.code).toBe(0);
    expect(applied.stdout).not.toContain('intruder');
    expect(await userRow(db.pool, key, `intruder@${key}.com`)).toBeNull();
    expect(await userRow(db.pool, key, `boss@${key}.com`)).not.toBeNull();
  });

  it('ignore a cache directory that Git tracks (committed by a pull request)', async () => {
    const key = 'cached-git';
    const dir = await writeConfig({ 'org.yaml': toConfigObject(stateOf(key)) });
    const git = (...args: string[]) => execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@t', ...args], { cwd: dir, stdio: 'pipe' });
    git('init', '-q');
    git('add', 'org.yaml');
    git('commit', '-qm', 'config');
    const env = { DATABASE_URL: db.url };
    await spawnRoster(['plan', '.'], { cwd: dir, env });
    await rewriteEntry(dir, 'config', addIntruder(key));
    // Not tracked: a fresh process uses the entry.
    expect((await spawnRoster(['plan', '.'], { cwd: dir, env })).stdout).toContain(`intruder@${key}.com`);
    git('add', '-f', '.roster/cache');
    git('commit', '-qm', 'a cache, from a pull request');
    const planned = await spawnRoster(['plan', '.', '--min-admins', '0'], { cwd: dir, env });
    expect(planned.code).toBe(0);
    expect(planned.stdout).not.toContain('intruder');
    expect(planned.stdout).toContain(`+ boss@${key}.com`);
    // Nor written: the tracked directory stays as committed.
    expect(git('status', '--porcelain').toString()).toBe('');
  });

  it('never hold a password hash: a supplied hash is found again in the file on a hit', async () => {
    const key = 'cached-hash';
    const hash = await hashPassword('Cached-Secret-Password-1!');
    const state = stateOf(key);
    const withHash = { ...state, users: state.users.map((u, i) => (i === 0 ? { ...u, initialPassword: { kind: 'hash' as const, hash, file: 'org.yaml', pointer: [] } } : u)) };
    const dir = await writeConfig({ 'org.yaml': toConfigObject(withHash) });
    const first = await plan(dir, ['--format', 'json'], { ROSTER_CACHE: 'off' });
    expect(first.stdout).toContain('"source": "hash"');
    await plan(dir);
    for (const name of await readdir(cacheDirectory(dir))) {
      const text = await readFile(join(cacheDirectory(dir), name), 'utf8');
      expect(text.includes(hash), `${name} holds the hash`).toBe(false);
      expect(text.includes(hash.split('$').at(-1)!), `${name} holds the key part of the hash`).toBe(false);
    }
    // A hit rebuilds the same plan, the hash's digest included (the ann user renamed to show the hit).
    await rewriteEntry(dir, 'config', (json) => json.replace('"ann"', '"Annette"'));
    const hit = await plan(dir, ['--format', 'json']);
    expect(hit.stdout).toBe(first.stdout.replace('"ann"', '"Annette"'));
    expect(hit.stdout).not.toBe(first.stdout);
  });
});
