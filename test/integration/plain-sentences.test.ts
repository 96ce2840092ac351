/**
 * Mistakes and accidents of the surroundings end in one plain sentence, never an internal error or a library's dump,
 * through the real executable: an output path that is no directory, a symbolic link in the output folder, an sslmode
 * the driver does not know, an absurd lock timeout, a full disk or a read-only `.roster` when the embedded database
 * starts.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { lstat, mkdir, readFile, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { company, org, toConfigObject, user } from '../support/builders.ts';
import { runRoster, spawnRoster, tempDir, writeConfig, type RunResult } from '../support/cli.ts';
import { useTestDatabase, type TestDatabase } from '../support/database.ts';

const database = useTestDatabase();
let db: TestDatabase;
beforeAll(async () => {
  db = database();
  const dir = await writeConfig({ 'org.yaml': toConfigObject(org({ key: 'plain', companies: [company('hq')], users: [user('ann@plain.com')] })) });
  const applied = await runRoster(['apply', '.', '--yes', '--min-admins', '0'], { cwd: dir, env: { DATABASE_URL: db.url } });
  expect(applied.code, applied.stderr).toBe(0);
});

const asRoot = process.getuid?.() === 0;
const SLOW = 300_000;

/** Exit 1 with exactly one line on stderr, `error: …`, and nothing of a crash. */
function expectOneSentence(result: RunResult, pattern: RegExp): void {
  expect(result.code, result.stderr).toBe(1);
  expect(result.stderr).not.toMatch(/internal error|\n\s+at |node_modules|"code":|invalid_enum_value/);
  const errors = result.stderr.split('\n').filter((line) => line.startsWith('error: '));
  expect(errors, result.stderr).toHaveLength(1);
  expect(errors[0]).toMatch(pattern);
}

/** Mounts a small tmpfs at `path` for `work` (root only), unmounted afterwards. */
async function withTmpfs<T>(path: string, options: string, work: () => Promise<T>): Promise<T> {
  await mkdir(path, { recursive: true });
  execFileSync('mount', ['-t', 'tmpfs', '-o', options, 'tmpfs', path]);
  try {
    return await work();
  } finally {
    execFileSync('umount', [path]);
  }
}

/** Whether this process may mount file systems (root in a container may not). */
function canMount(): boolean {
  if (!asRoot) return false;
  try {
    const probe = mkdtempSync(join(tmpdir(), 'roster-mount-probe-'));
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', probe], { stdio: 'pipe' });
    execFileSync('umount', [probe]);
    rmSync(probe, { recursive: true });
    return true;
  } catch {
    return false;
  }
}

describe('plain sentences', () => {
  it('export --out /dev/null: not a directory', async () => {
    const result = await spawnRoster(['export', '--out', '/dev/null', '--database-url', db.url]);
    expectOneSentence(result, /^error: --out \/dev\/null is not a directory; name a directory/);
  }, SLOW);

  it('export --force never writes through a symbolic link in the output folder', async () => {
    const dir = await tempDir('roster-export-links-');
    const outside = join(dir, 'outside.txt');
    await writeFile(outside, 'precious\n');
    const out = join(dir, 'out');
    await mkdir(out);
    await symlink(outside, join(out, 'organization.yaml'));
    const result = await spawnRoster(['export', '--out', 'out', '--force', '--database-url', db.url], { cwd: dir });
    expect(result.code, result.stderr).toBe(0);
    expect(await readFile(outside, 'utf8')).toBe('precious\n');
    expect((await lstat(join(out, 'organization.yaml'))).isSymbolicLink()).toBe(false);
    expect(await readFile(join(out, 'organization.yaml'), 'utf8')).toContain('key: plain');

    // A folder on the way that is a link is refused, and nothing is written where it points.
    const elsewhere = join(dir, 'elsewhere');
    await mkdir(elsewhere);
    await symlink(elsewhere, join(out, 'users'));
    const refused = await spawnRoster(['export', '--out', 'out', '--force', '--users-by-company', '--database-url', db.url], { cwd: dir });
    expectOneSentence(refused, /^error: out\/users is a symbolic link; roster never writes through links/);
    expect(execFileSync('ls', ['-A', elsewhere]).toString()).toBe('');
  }, SLOW);

  it('sslmode=verify-full against a server without TLS: the server does not support it, not a schema dump', async () => {
    const url = new URL(db.url);
    url.searchParams.set('sslmode', 'verify-full');
    const result = await spawnRoster(['plan', '--database-url', url.toString()], { cwd: await writeConfig({ 'org.yaml': toConfigObject(org({ key: 'plain' })) }) });
    expectOneSentence(result, /^error: cannot connect to the database at .*: The server does not support SSL connections\./);
    url.searchParams.set('sslmode', 'prefer');
    const prefer = await spawnRoster(['plan', '--database-url', url.toString()], { cwd: await writeConfig({ 'org.yaml': toConfigObject(org({ key: 'plain' })) }) });
    expectOneSentence(prefer, /^error: sslmode=prefer in the connection string is not supported; roster never falls back to an unencrypted connection/);
  }, SLOW);

  it('--lock-timeout 99999999999999999999', async () => {
    const dir = await writeConfig({ 'org.yaml': toConfigObject(org({ key: 'plain' })) });
    const result = await spawnRoster(['apply', '.', '--yes', '--lock-timeout', '99999999999999999999', '--database-url', db.url], { cwd: dir });
    expectOneSentence(result, /^error: --lock-timeout /);
  }, SLOW);

  const mounting = canMount();

  it.runIf(mounting)('a full disk when the embedded database is created', async () => {
    const dir = await writeConfig({ 'org.yaml': toConfigObject(org({ key: 'plain' })) });
    const result = await withTmpfs(join(dir, '.roster'), 'size=2m', () => spawnRoster(['plan', '.'], { cwd: dir, env: { HOME: dir } }));
    expectOneSentence(result, /^error: cannot start the embedded database in .*: the disk is full \(ENOSPC\); free some space, or set DATABASE_URL/);
  }, SLOW);

  it.runIf(mounting)('a read-only .roster when the embedded database starts', async () => {
    const dir = await writeConfig({ 'org.yaml': toConfigObject(org({ key: 'plain' })) });
    const result = await withTmpfs(join(dir, '.roster'), 'ro,size=1m', () => spawnRoster(['plan', '.'], { cwd: dir, env: { HOME: dir } }));
    expectOneSentence(result, /^error: cannot start the embedded database in .*: the file system is read-only \(EROFS\)/);
  }, SLOW);
});
