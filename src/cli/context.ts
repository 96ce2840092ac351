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
 * Null outside a Git checkout, or when Git refuses the repository (owned by another user, say).
 *
 * The repository's own settings must not run anything: Git runs without hooks, fsmonitor, system configuration or
 * optional index writes, and with every clean/smudge filter the repository configures emptied (see {@link safeGit}).
 */
export async function gitCommit(flag: string | undefined, paths: readonly string[], io: CliIo): Promise<string | null> {
  const given = flag ?? io.env.ROSTER_GIT_COMMIT ?? io.env.GITHUB_SHA ?? io.env.CI_COMMIT_SHA;
  if (given) return given;
  const first = resolve(io.cwd, paths[0] ?? '.');
  try {
    const directory = (await stat(first)).isDirectory() ? first : dirname(first);
    const git = await safeGit(directory);
    const head = await git(['rev-parse', '--verify', 'HEAD']);
    const absolute = paths.length > 0 ? paths.map((p) => resolve(io.cwd, p)) : [resolve(io.cwd)];
    const status = await git(['status', '--porcelain', '--untracked-files=normal', '--', ...absolute]);
    return head.trim() + (status.trim() === '' ? '' : '-dirty');
  } catch {
    return null;
  }
}

/** Settings that would let a repository run a command when Git only reads it. */
const NEUTRAL_SETTINGS = ['core.fsmonitor=false', 'core.hooksPath=/dev/null', 'core.untrackedCache=false', 'protocol.allow=never'];

/**
 * A runner for read-only Git commands in `directory` that cannot be made to run a repository's commands: hooks and
 * fsmonitor off, no system configuration, no optional locks (so no index write and no hook on it), no prompt, and
 * each filter driver the configuration defines emptied (`filter.NAME.clean=` etc.), so `status` never runs one.
 * Resolves to the command's standard output; rejects when Git fails.
 */
async function safeGit(directory: string): Promise<(args: readonly string[]) => Promise<string>> {
  const { GIT_EXTERNAL_DIFF: _diff, GIT_SSH_COMMAND: _ssh, ...inherited } = process.env;
  const env = { ...inherited, GIT_CONFIG_NOSYSTEM: '1', GIT_OPTIONAL_LOCKS: '0', GIT_TERMINAL_PROMPT: '0', GIT_PAGER: 'cat' };
  const base = NEUTRAL_SETTINGS.flatMap((setting) => ['-c', setting]);
  const runGit = async (args: readonly string[]) =>
    (await run('git', [...base, '--no-optional-locks', ...args], { cwd: directory, env, timeout: 5000, maxBuffer: 16 * 1024 * 1024 })).stdout;
  let drivers: string[] = [];
  try {
    const listed = await runGit(['config', '-z', '--get-regexp', '^filter\\.']);
    // Entries are `key\nvalue\0`; the driver's name is the key between `filter.` and the last dot.
    const names = listed.split('\0').map((entry) => /^filter\.(.+)\.[^.]+$/.exec(entry.split('\n')[0]!)?.[1]);
    drivers = [...new Set(names.filter((name): name is string => name !== undefined))];
  } catch {
    // No filter configured (git config exits 1 when nothing matches).
  }
  const emptied = drivers.flatMap((name) => ['-c', `filter.${name}.clean=`, '-c', `filter.${name}.smudge=`, '-c', `filter.${name}.process=`, '-c', `filter.${name}.required=false`]);
  return (args) => runGit([...emptied, ...args]);
}
