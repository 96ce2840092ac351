/**
 * The two-command quick start: with no DATABASE_URL, roster runs against an embedded PostgreSQL under ./.roster/,
 * as root and as an ordinary user, through the real executable. One process uses it at a time, by an
 * operating-system lock that ends with its holder: no process id is trusted.
 */
import { execFileSync, spawn } from 'node:child_process';
import { chmod, chown, cp, mkdir, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT, spawnRoster, startRoster, tempDir, type RunResult } from '../support/cli.ts';

const NOBODY = 65534;
const asRoot = process.getuid?.() === 0;
/** Every run here starts PGlite, some of them a new one: seconds each, many on a loaded machine. */
const SLOW = 600_000;

/** A new directory holding a copy of the examples. */
async function withExamples(prefix: string): Promise<string> {
  const dir = await tempDir(prefix);
  await cp(join(REPO_ROOT, 'examples'), join(dir, 'examples'), { recursive: true });
  return dir;
}

/** The environment of a person on a laptop: no DATABASE_URL, not CI (a child gets only PATH and what is given). */
const laptop = (dir: string) => ({ HOME: dir });

/** Waits for the first line a running roster writes on stdout (`db serve`'s connection string). */
function firstLine(child: ReturnType<typeof startRoster>['child']): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    child.stdout!.on('data', (chunk) => {
      text += chunk;
      if (text.includes('\n')) resolve(text.split('\n')[0]!);
    });
    child.on('close', () => reject(new Error(`exited before printing a line: ${text}`)));
  });
}

describe('the embedded database', () => {
  it(
    `creates the example organization and then plans no changes (as ${asRoot ? 'root' : 'this user'}), whatever pid an old lock file names`,
    async () => {
      const dir = await withExamples('roster-embedded-');
      // A lock file of older versions naming a live process (this one: a reused pid) blocked every run.
      await mkdir(join(dir, '.roster'));
      await writeFile(join(dir, '.roster', 'embedded.lock'), String(process.pid));
      const apply = await spawnRoster(['apply', 'examples/acme', '--yes'], { cwd: dir, env: laptop(dir) });
      expect(apply.stderr).toContain('Using the embedded PostgreSQL in');
      expect(apply.stderr).toContain('stopped on exit');
      expect(apply.stdout).toContain('Plan: 40 to create, 0 to update, 0 to deactivate, 0 to reactivate, 0 to delete.');
      expect(apply.stderr).toContain('Applied to organization acme.');
      expect(apply.code).toBe(0);
      await writeFile(join(dir, '.roster', 'embedded.lock'), '1');
      const plan = await spawnRoster(['plan', 'examples/acme', '--detailed-exitcode'], { cwd: dir, env: laptop(dir) });
      expect(plan.stdout).toContain('No changes. The database matches the configuration.');
      expect(plan.code).toBe(0);
    },
    SLOW,
  );

  // Running as another user needs root to switch to it; as an ordinary user the test above already is that case.
  // The checkout may sit where that user cannot go (a fresh mktemp -d is mode 700): roster's code and dependencies
  // are carried (hard-linked, else copied) into a directory it can read.
  it.runIf(asRoot)(
    'works for an ordinary user too, wherever the checkout lives',
    async () => {
      const root = await tempDir('roster-embedded-user-');
      await chmod(root, 0o755);
      const pkg = join(root, 'roster');
      await mkdir(pkg);
      for (const part of ['src', 'schema', 'package.json']) await cp(join(REPO_ROOT, part), join(pkg, part), { recursive: true });
      try {
        execFileSync('cp', ['-al', join(REPO_ROOT, 'node_modules'), join(pkg, 'node_modules')], { stdio: 'pipe' });
      } catch {
        await cp(join(REPO_ROOT, 'node_modules'), join(pkg, 'node_modules'), { recursive: true, verbatimSymlinks: true });
      }
      const work = join(root, 'work');
      await cp(join(REPO_ROOT, 'examples'), join(work, 'examples'), { recursive: true });
      execFileSync('chown', ['-R', `${NOBODY}:${NOBODY}`, work]);
      await chown(work, NOBODY, NOBODY);
      const loader = pathToFileURL(createRequire(join(pkg, 'package.json')).resolve('tsx')).href;
      const run = (argv: string[]) =>
        new Promise<RunResult>((resolve, reject) => {
          const child = spawn(process.execPath, ['--import', loader, join(pkg, 'src', 'cli', 'bin.ts'), ...argv], {
            cwd: work,
            env: { PATH: process.env.PATH, HOME: work },
            uid: NOBODY,
            gid: NOBODY,
            stdio: ['ignore', 'pipe', 'pipe'],
          });
          let stdout = '';
          let stderr = '';
          child.stdout.on('data', (d) => (stdout += d));
          child.stderr.on('data', (d) => (stderr += d));
          child.on('error', reject);
          child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
        });
      const apply = await run(['apply', 'examples/acme', '--yes']);
      expect(apply.stderr).toContain('Applied to organization acme.');
      expect(apply.code).toBe(0);
      const plan = await run(['plan', 'examples/acme', '--detailed-exitcode']);
      expect(plan.stdout).toContain('No changes.');
      expect(plan.code).toBe(0);
    },
    SLOW,
  );

  it(
    'is held by one process at a time: another is refused naming the holder, and a holder killed with SIGKILL frees it',
    async () => {
      const dir = await withExamples('roster-embedded-lock-');
      const serve = startRoster(['db', 'serve'], { cwd: dir, env: laptop(dir), timeoutMs: SLOW });
      const url = await firstLine(serve.child);
      expect(url).toMatch(/^postgres:\/\/postgres@127\.0\.0\.1:\d+\/postgres$/);

      const refused = await spawnRoster(['apply', 'examples/acme', '--yes'], { cwd: dir, env: laptop(dir) });
      expect(refused.code).toBe(1);
      expect(refused.stderr).toContain(`is in use by roster db serve (process ${serve.child.pid}, since `);
      expect(refused.stderr).toContain(`pass --database-url ${url} to use the database it serves`);
      expect(refused.stderr).not.toMatch(/internal error|\n\s+at /);

      // Meanwhile the served database takes connections: roster itself, through the printed string.
      const served = await spawnRoster(['apply', 'examples/acme', '--yes', '--database-url', url], { cwd: dir, env: laptop(dir) });
      expect(served.stderr).toContain('Applied to organization acme.');

      serve.child.kill('SIGKILL');
      expect((await serve.done).signal).toBe('SIGKILL');
      const after = await spawnRoster(['plan', 'examples/acme', '--detailed-exitcode'], { cwd: dir, env: laptop(dir) });
      expect(after.stderr).not.toContain('in use');
      expect(after.stdout).toContain('No changes.');
      expect(after.code).toBe(0);
    },
    SLOW,
  );

  it(
    'opens in psql with roster db shell, or says in one sentence that psql is missing',
    async () => {
      const dir = await tempDir('roster-embedded-shell-');
      const hasPsql = (() => {
        try {
          execFileSync('psql', ['--version'], { stdio: 'pipe' });
          return true;
        } catch {
          return false;
        }
      })();
      if (hasPsql) {
        // psql reads its commands from stdin, here empty: exit 0 means it connected.
        const shell = await spawnRoster(['db', 'shell'], { cwd: dir, env: laptop(dir) });
        expect(shell.stderr).not.toMatch(/error|internal/);
        expect(shell.code).toBe(0);
      }
      const noPsql = await mkdir(join(dir, 'bin'), { recursive: true }).then(() => join(dir, 'bin'));
      const missing = await spawnRoster(['db', 'shell'], { cwd: dir, env: { ...laptop(dir), PATH: noPsql } });
      expect(missing.code).toBe(1);
      expect(missing.stderr).toContain('error: psql is not installed (or not on PATH); run `roster db serve` and connect with any PostgreSQL client instead\n');
    },
    SLOW,
  );

  it(
    'lets two applies started together never run at once: each applies or is refused in one sentence',
    async () => {
      const dir = await withExamples('roster-embedded-race-');
      const results = await Promise.all([0, 1].map(() => spawnRoster(['apply', 'examples/acme', '--yes'], { cwd: dir, env: laptop(dir), timeoutMs: SLOW })));
      for (const result of results) {
        if (result.code !== 0) {
          expect(result.code).toBe(1);
          expect(result.stderr).toMatch(/^error: the embedded database in .* is in use by roster \(process \d+, since [^)]+\); wait for it to finish or stop it\n$/m);
          expect(result.stderr).not.toMatch(/internal error|\n\s+at /);
        }
      }
      expect(results.filter((r) => r.stderr.includes('Applied to organization acme.'))).toHaveLength(1);
      const plan = await spawnRoster(['plan', 'examples/acme', '--detailed-exitcode'], { cwd: dir, env: laptop(dir) });
      expect(plan.stdout).toContain('No changes.');
      expect(plan.code).toBe(0);
    },
    SLOW,
  );
});
