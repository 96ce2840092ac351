/**
 * Where `initialPassword: { file: … }` may point. A pull request chooses which file becomes somebody's password, so a
 * reference is confined to the configuration's directory tree: no absolute path, no `..` that leaves it, no symbolic
 * link out of it, nothing but a regular file (a FIFO would block apply; a device or `/proc` file is not a password).
 * Setups that keep secrets elsewhere name that directory explicitly (`--password-files-from DIR`).
 *
 * A file that does not exist yet is not a problem here (CI may validate without the secrets); apply refuses it.
 */
import { lstat, realpath, stat } from 'node:fs/promises';
import { dirname, isAbsolute, relative, resolve, sep } from 'node:path';
import { ConfigError, type Diagnostic } from '../errors.ts';
import { emailKey, rowId } from '../model/state.ts';
import type { DesiredConfig } from './assemble.ts';
import { positionAt, type PathSegment } from './source-file.ts';

/** The environment variable `--password-files-from DIR` sets, so that every step of a command sees it. */
export const PASSWORD_FILES_FROM = 'ROSTER_PASSWORD_FILES_FROM';

export interface PasswordFileRules {
  /** The configuration's directories: each path given on the command line (a file's own directory), absolute. */
  readonly roots: readonly string[];
  /** A directory outside the configuration that may also hold password files (`--password-files-from`), absolute. */
  readonly alsoFrom: string | null;
  /** Relative references are relative to it. */
  readonly cwd: string;
}

/**
 * The rules for a command given `paths` (none means the working directory) in `cwd`, with `env` possibly naming
 * a further directory ({@link PASSWORD_FILES_FROM}).
 */
export async function passwordFileRules(paths: readonly string[], cwd: string, env: Readonly<Record<string, string | undefined>>): Promise<PasswordFileRules> {
  const roots = await Promise.all(
    (paths.length > 0 ? paths : ['.']).map(async (path) => {
      const absolute = resolve(cwd, path);
      const isDirectory = await stat(absolute).then((s) => s.isDirectory(), () => false);
      return isDirectory ? absolute : dirname(absolute);
    }),
  );
  const from = env[PASSWORD_FILES_FROM];
  return { roots, alsoFrom: from ? resolve(cwd, from) : null, cwd };
}

/**
 * Why the password file `path` (as the plan carries it: absolute, or relative to `rules.cwd`) may not be used, or
 * null when it may. `written` is the reference as written in the file, when known (an absolute one is refused even
 * inside the configuration: it would not survive a move). Never reads the file's content.
 */
export async function passwordFileProblem(path: string, rules: PasswordFileRules, written?: string): Promise<string | null> {
  const absolute = resolve(rules.cwd, path);
  const inAllowed = rules.alsoFrom !== null && isInside(absolute, rules.alsoFrom);
  const elsewhere = `password files must be inside the configuration's directory (${shown(rules.roots[0]!, rules.cwd)}), or name the directory that holds them with --password-files-from DIR`;
  if (!inAllowed) {
    if (written !== undefined && isAbsolute(written)) return `'${written}' is an absolute path; ${elsewhere}`;
    if (!rules.roots.some((root) => isInside(absolute, root))) return `'${written ?? path}' leaves the configuration's directory; ${elsewhere}`;
  }
  const link = await lstat(absolute).catch(() => null);
  if (link === null) return null;
  const target = await realpath(absolute).catch(() => null);
  if (target === null) return `'${path}' is a symbolic link to nothing; point it at a regular file`;
  const realRoots = await Promise.all([...rules.roots, ...(rules.alsoFrom ? [rules.alsoFrom] : [])].map((root) => realpath(root).catch(() => root)));
  if (!realRoots.some((root) => isInside(target, root))) {
    return `'${path}' is a symbolic link to a file outside the configuration's directory; ${elsewhere}`;
  }
  const kind = describeKind(await stat(absolute));
  return kind === null ? null : `'${path}' is ${kind}, not a regular file; a password file must be a regular file holding the password`;
}

/**
 * Refuses every password file reference of `config` that {@link passwordFileProblem} finds a problem with, each at
 * the position of its `initialPassword`, under the rules for `paths` (see {@link passwordFileRules}). Runs on every
 * load, from the cache too: the files it looks at are not part of the cache key. Throws {@link ConfigError}.
 */
export async function assertPasswordFilesConfined(
  config: DesiredConfig,
  options: { readonly paths: readonly string[]; readonly cwd: string; readonly env: Readonly<Record<string, string | undefined>> },
): Promise<void> {
  if (!config.state.users.some((user) => user.initialPassword?.kind === 'file')) return;
  const rules = await passwordFileRules(options.paths, options.cwd, options.env);
  const diagnostics: Diagnostic[] = [];
  for (const user of config.state.users) {
    const reference = user.initialPassword;
    if (reference?.kind !== 'file') continue;
    // Where the reference is written, and how: known unless the configuration came from the cache, which holds
    // only configurations that passed this check (how a reference is written is part of the cache key).
    const location = config.locations.get(rowId('user', user.email));
    const referencePath = location ? [...location.path, 'initialPassword', 'file'] : null;
    const written = location && referencePath ? valueAt(location.file.value, referencePath) : undefined;
    const problem = await passwordFileProblem(reference.path, rules, typeof written === 'string' ? written : undefined);
    if (problem === null) continue;
    const position = location && referencePath ? positionAt(location.file, referencePath) : config.passwordPositions.get(emailKey(user.email));
    if (position) diagnostics.push({ position, message: `initialPassword.file of ${user.email}: ${problem}` });
  }
  if (diagnostics.length > 0) throw new ConfigError(diagnostics);
}

/** What a non-regular file is, for messages; null for a regular file. */
export function describeKind(stats: { isFile(): boolean; isFIFO(): boolean; isDirectory(): boolean; isSocket(): boolean; isCharacterDevice(): boolean; isBlockDevice(): boolean }): string | null {
  if (stats.isFile()) return null;
  if (stats.isFIFO()) return 'a FIFO (named pipe)';
  if (stats.isDirectory()) return 'a directory';
  if (stats.isSocket()) return 'a socket';
  if (stats.isCharacterDevice() || stats.isBlockDevice()) return 'a device';
  return 'not a regular file';
}

function isInside(path: string, directory: string): boolean {
  const rel = relative(directory, path);
  return rel === '' || (rel !== '..' && !rel.startsWith(`..${sep}`) && !isAbsolute(rel));
}

function shown(path: string, cwd: string): string {
  const rel = relative(cwd, path);
  return rel === '' ? '.' : rel.startsWith('..') || isAbsolute(rel) ? path : rel;
}

function valueAt(value: unknown, path: readonly PathSegment[]): unknown {
  let current = value;
  for (const segment of path) {
    if (typeof current !== 'object' || current === null) return undefined;
    current = (current as Record<string | number, unknown>)[segment];
  }
  return current;
}
