/** Facts the commands take from their surroundings: which database, who is acting, which commit. */
import { execFile } from 'node:child_process';
import { userInfo } from 'node:os';
import { dirname, resolve } from 'node:path';
import { stat } from 'node:fs/promises';
import { promisify } from 'node:util';
import { UserError } from '../errors.ts';
import type { CliIo } from './io.ts';

const run = promisify(execFile);

/**
 * Which database to use: `--database-url`, else `DATABASE_URL`, else null for the embedded database, which is only
 * for trying roster on a laptop. Refuses (throws {@link UserError}) rather than guess:
 * - a blank `--database-url` or `DATABASE_URL` (CI passes an empty string when a secret is missing or not available
 *   to the workflow, which must never fall back to a throwaway database that reports success);
 * - no database at all while `CI` is set, unless `--embedded` (ROSTER_EMBEDDED=1, set by main) asks for it;
 * - `--embedded` together with a connection string.
 */
export function databaseUrl(flag: string | undefined, io: CliIo): string | null {
  const embedded = io.env.ROSTER_EMBEDDED === '1';
  if (flag !== undefined && flag.trim() === '') {
    throw new UserError('--database-url is empty: give a PostgreSQL connection string (postgres://user@host:5432/database), or leave the flag out');
  }
  const fromEnv = io.env.DATABASE_URL;
  if (flag === undefined && fromEnv !== undefined && fromEnv.trim() === '' && !embedded) {
    throw new UserError(
      'DATABASE_URL is set but empty: is the secret available to this workflow? Set it to a PostgreSQL connection string, ' +
        'or unset it (or pass --embedded) to use the embedded database on purpose',
    );
  }
  const url = flag ?? (fromEnv !== undefined && fromEnv.trim() !== '' ? fromEnv : undefined);
  if (embedded) {
    if (url !== undefined) {
      throw new UserError(`--embedded uses the embedded database, but ${flag !== undefined ? '--database-url' : 'DATABASE_URL'} names another: choose one`);
    }
    return null;
  }
  if (url === undefined && io.env.CI !== undefined && io.env.CI !== '') {
    throw new UserError(
      'no database given (--database-url or DATABASE_URL), and CI is set: roster does not use its embedded database in CI, ' +
        'where it would report success against a throwaway database. Set DATABASE_URL to the database to manage, ' +
        'or pass --embedded to use the embedded one on purpose',
    );
  }
  return url ?? null;
}

/** `--actor`, else ROSTER_ACTOR, else the operating-system user. */
export function actorName(flag: string | undefined, io: CliIo): string {
  if (flag) return flag;
  if (io.env.ROSTER_ACTOR) return io.env.ROSTER_ACTOR;
  try {
    return userInfo().username;
  } catch {
    return io.env.USER ?? io.env.LOGNAME ?? 'unknown';
  }
}

/**
 * The Git commit of the configuration: `--git-commit`, else ROSTER_GIT_COMMIT or GITHUB_SHA or CI_COMMIT_SHA,
 * else `git rev-parse HEAD` where the first path lives, with `-dirty` when those files have uncommitted changes.
 * Null outside a Git checkout.
 */
export async function gitCommit(flag: string | undefined, paths: readonly string[], io: CliIo): Promise<string | null> {
  const given = flag ?? io.env.ROSTER_GIT_COMMIT ?? io.env.GITHUB_SHA ?? io.env.CI_COMMIT_SHA;
  if (given) return given;
  const first = resolve(io.cwd, paths[0] ?? '.');
  try {
    const directory = (await stat(first)).isDirectory() ? first : dirname(first);
    const { stdout: head } = await run('git', ['rev-parse', 'HEAD'], { cwd: directory, timeout: 5000 });
    const absolute = paths.length > 0 ? paths.map((p) => resolve(io.cwd, p)) : [resolve(io.cwd)];
    const { stdout: status } = await run('git', ['status', '--porcelain', '--', ...absolute], { cwd: directory, timeout: 5000 });
    return head.trim() + (status.trim() === '' ? '' : '-dirty');
  } catch {
    return null;
  }
}
