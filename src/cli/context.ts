/** Facts the commands take from their surroundings: which database, who is acting, which commit. */
import { execFile } from 'node:child_process';
import { userInfo } from 'node:os';
import { dirname, resolve } from 'node:path';
import { stat } from 'node:fs/promises';
import { promisify } from 'node:util';
import type { CliIo } from './io.ts';

const run = promisify(execFile);

/** `--database-url`, else `DATABASE_URL`, else null (the embedded database). */
export function databaseUrl(flag: string | undefined, io: CliIo): string | null {
  const url = flag ?? io.env.DATABASE_URL;
  return url !== undefined && url !== '' ? url : null;
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
