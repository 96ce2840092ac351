/**
 * `initialPassword: { file: … }` is confined to the configuration's directory tree and to regular files: absolute
 * paths, `..` leaving the tree, symbolic links out of it, FIFOs and directories are refused at validation with their
 * position; `--password-files-from DIR` allows a directory elsewhere. At apply time a password file is read without
 * blocking, and only when it is a small regular file of UTF-8 text.
 */
import { execFileSync } from 'node:child_process';
import { mkdir, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { sql } from '../../src/db/sql.ts';
import { PASSWORD_FILE_MAX_BYTES, readPasswordFile } from '../../src/secrets/resolve.ts';
import { spawnRoster, tempDir, writeConfig } from '../support/cli.ts';
import { useTestDatabase, type TestDatabase } from '../support/database.ts';

const database = useTestDatabase();
let db: TestDatabase;
beforeAll(() => {
  db = database();
});

/** A configuration whose users' passwords come from `files`, in order; line 5 + 2 × index holds each reference. */
function configWith(files: readonly string[]): string {
  return [
    'organization: { key: files, name: Files }',
    'companies: [{ key: hq, name: HQ }]',
    'users:',
    '  - { email: boss@files.example, firstName: Boss, lastName: Admin, role: admin, company: hq, initialPassword: { env: BOSS_PASSWORD } }',
    ...files.flatMap((file, i) => [`  - { email: u${i}@files.example, firstName: U, lastName: "${i}", role: viewer, company: hq,`, `      initialPassword: { file: ${JSON.stringify(file)} } }`]),
    '',
  ].join('\n');
}

describe('password files', () => {
  it('are refused at validation when outside the configuration or not regular files, each with its position', async () => {
    const outside = await tempDir();
    await writeFile(join(outside, 'secret.txt'), 'Outside-Secret-1\n');
    const dir = await writeConfig({ 'secrets/ok.txt': 'Inside-Secret-1\n' });
    await symlink(join(outside, 'secret.txt'), join(dir, 'secrets', 'link-out.txt'));
    await symlink(join(dir, 'secrets', 'ok.txt'), join(dir, 'secrets', 'link-in.txt'));
    execFileSync('mkfifo', [join(dir, 'secrets', 'pipe')]);
    await mkdir(join(dir, 'secrets', 'folder'));
    const references = ['/etc/passwd', '../../etc/shadow', 'secrets/link-out.txt', 'secrets/pipe', 'secrets/folder', '/proc/self/environ', 'secrets/ok.txt', 'secrets/link-in.txt', 'secrets/not-yet-there.txt'];
    await writeFile(join(dir, 'org.yaml'), configWith(references));

    const result = await spawnRoster(['validate', dir], { cwd: dir });
    expect(result.code, result.stderr).toBe(1);
    const line = (i: number) => 6 + 2 * i;
    expect(result.stderr).toMatch(new RegExp(`org\\.yaml:${line(0)}:\\d+: initialPassword\\.file of u0@files\\.example: '/etc/passwd' is an absolute path; password files must be inside the configuration's directory`));
    expect(result.stderr).toMatch(new RegExp(`org\\.yaml:${line(1)}:\\d+: .*'\\.\\./\\.\\./etc/shadow' leaves the configuration's directory`));
    expect(result.stderr).toMatch(new RegExp(`org\\.yaml:${line(2)}:\\d+: .*link-out\\.txt' is a symbolic link to a file outside the configuration's directory`));
    expect(result.stderr).toMatch(new RegExp(`org\\.yaml:${line(3)}:\\d+: .*pipe' is a FIFO \\(named pipe\\), not a regular file`));
    expect(result.stderr).toMatch(new RegExp(`org\\.yaml:${line(4)}:\\d+: .*folder' is a directory, not a regular file`));
    expect(result.stderr).toMatch(new RegExp(`org\\.yaml:${line(5)}:\\d+: .*'/proc/self/environ' is an absolute path`));
    // Regular files inside, links inside, and files not written yet are fine.
    expect(result.stderr).not.toMatch(/u[678]@files\.example/);
    expect(result.stderr).toMatch(/^6 problems found; nothing was changed\.$/m);
    expect(result.stderr).not.toContain('Outside-Secret-1');
    // The same from another working directory, where the files are shown by absolute paths.
    const elsewhere = await spawnRoster(['validate', dir], { cwd: outside });
    expect(elsewhere.stderr).toMatch(/^6 problems found; nothing was changed\.$/m);
    expect(elsewhere.stderr).not.toMatch(/u[678]@files\.example/);
  }, 120_000);

  it('may live in a directory named with --password-files-from', async () => {
    const vault = await tempDir();
    await writeFile(join(vault, 'u0.txt'), 'Vault-Secret-1\n');
    const dir = await writeConfig({ 'org.yaml': configWith([join(vault, 'u0.txt')]) });
    expect((await spawnRoster(['validate', dir], { cwd: dir })).code).toBe(1);
    const allowed = await spawnRoster(['validate', dir, '--password-files-from', vault], { cwd: dir });
    expect(allowed.code, allowed.stderr).toBe(0);
    const byEnvironment = await spawnRoster(['validate', dir], { cwd: dir, env: { ROSTER_PASSWORD_FILES_FROM: vault } });
    expect(byEnvironment.code, byEnvironment.stderr).toBe(0);
  }, 120_000);

  it('are read at apply only when small, regular, UTF-8 text, and never block', async () => {
    const dir = await tempDir();
    execFileSync('mkfifo', [join(dir, 'pipe')]);
    // No writer: a blocking open would never return.
    expect(await readPasswordFile(join(dir, 'pipe'))).toEqual({ problem: expect.stringMatching(/^is a FIFO \(named pipe\), not a regular file/) });
    await writeFile(join(dir, 'big'), 'x'.repeat(PASSWORD_FILE_MAX_BYTES + 1));
    expect(await readPasswordFile(join(dir, 'big'))).toEqual({ problem: expect.stringMatching(/larger than 4096 bytes/) });
    await writeFile(join(dir, 'binary'), Buffer.from([0x41, 0x00, 0x42]));
    expect(await readPasswordFile(join(dir, 'binary'))).toEqual({ problem: expect.stringMatching(/NUL/) });
    await writeFile(join(dir, 'latin1'), Buffer.from([0x70, 0xe4, 0x73, 0x73]));
    expect(await readPasswordFile(join(dir, 'latin1'))).toEqual({ problem: expect.stringMatching(/not UTF-8/) });
    await writeFile(join(dir, 'ok'), 'Pässword-1\n');
    expect(await readPasswordFile(join(dir, 'ok'))).toBe('Pässword-1\n');
  });

  it('refuses a binary or oversized file at apply, naming where it is referenced, and writes nothing', async () => {
    const dir = await writeConfig({ 'secrets/big.bin': Buffer.alloc(100_000, 0x41), 'secrets/nul.bin': Buffer.from([0x61, 0, 0x62]) });
    await writeFile(join(dir, 'org.yaml'), configWith(['secrets/big.bin', 'secrets/nul.bin']));
    const result = await spawnRoster(['apply', dir, '--yes'], { cwd: dir, env: { DATABASE_URL: db.url, BOSS_PASSWORD: 'Boss-Password-1!' } });
    expect(result.code, result.stderr).toBe(1);
    expect(result.stderr).toMatch(/org\.yaml:6:\d+: password file secrets\/big\.bin \(password of u0@files\.example\) is larger than 4096 bytes/);
    expect(result.stderr).toMatch(/org\.yaml:8:\d+: password file secrets\/nul\.bin \(password of u1@files\.example\) holds binary data/);
    expect(await db.pool.oneFirst(sql.unsafe`select count(*)::int from organizations where key = 'files'`)).toBe(0);
  }, 120_000);
});
