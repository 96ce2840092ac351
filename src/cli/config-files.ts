/**
 * The configuration files a saved plan is bound to: the paths as given, and every file found from them with the
 * sha256 of its bytes. `plan --out` records them; `apply PLAN` and `show PLAN` find them again the same way.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { isAbsolute, relative, resolve } from 'node:path';
import { discoverFiles, displayPath } from '../config/discover.ts';
import { compareStrings, UserError } from '../errors.ts';
import type { ConfigFileDigest } from '../plan/types.ts';

/** The configuration paths as a plan records them: relative to `cwd` when below it ('.' for `cwd` itself), with `/`. */
export function recordedPaths(paths: readonly string[], cwd: string): string[] {
  return (paths.length > 0 ? paths : ['.']).map((path) => {
    const absolute = resolve(cwd, path);
    const rel = relative(cwd, absolute);
    if (rel === '') return '.';
    return (!rel.startsWith('..') && !isAbsolute(rel) ? rel : absolute).split('\\').join('/');
  });
}

/**
 * Finds the configuration files named by `paths` (as `discoverFiles` does) and digests their bytes. A path that is
 * gone contributes no files, so that apply can name what was removed. Throws {@link UserError} when a file cannot be read.
 */
export async function digestConfigFiles(paths: readonly string[], cwd: string): Promise<ConfigFileDigest[]> {
  const files = new Set<string>();
  for (const path of paths) {
    try {
      for (const file of await discoverFiles({ paths: [path], cwd })) files.add(file);
    } catch (error) {
      if (!(error instanceof UserError)) throw error;
    }
  }
  const digests = await Promise.all(
    [...files].map(async (file) => {
      let bytes: Buffer;
      try {
        bytes = await readFile(file);
      } catch (error) {
        throw new UserError(`cannot read ${displayPath(file, cwd)}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
      }
      return { path: displayPath(file, cwd).split('\\').join('/'), sha256: createHash('sha256').update(bytes).digest('hex') };
    }),
  );
  return digests.sort((a, b) => compareStrings(a.path, b.path));
}

/**
 * Which configuration paths a saved plan may be applied with. Paths given on the command line must be exactly the
 * recorded ones. Without them, an authenticated plan's recorded paths are trusted (its MAC covers them); an
 * unauthenticated plan may name only paths inside the working directory, so that an edited plan file cannot send
 * apply to files elsewhere (an artifact's directory, another checkout) that nobody reviewed. Returns the paths to
 * use; throws {@link UserError} saying what to do.
 */
export function configPathsToApply(options: {
  readonly recorded: readonly string[];
  readonly given: readonly string[];
  readonly authenticated: boolean;
  readonly cwd: string;
  readonly source: string;
}): readonly string[] {
  const { recorded, given, source } = options;
  const shown = (paths: readonly string[]) => paths.map((p) => `'${p}'`).join(', ');
  if (given.length > 0) {
    const named = recordedPaths(given, options.cwd);
    const same = named.length === recorded.length && [...named].sort(compareStrings).every((p, i) => p === [...recorded].sort(compareStrings)[i]);
    if (!same) {
      throw new UserError(
        `${source} was made from the configuration paths ${shown(recorded)}, not ${shown(named)}; nothing was applied. ` +
          'Apply it with the paths it was planned from, or make and review a new plan.',
      );
    }
    return recorded;
  }
  if (!options.authenticated) {
    const outside = recorded.filter((p) => isAbsolute(p) || p === '..' || p.startsWith('../'));
    if (outside.length > 0) {
      throw new UserError(
        `${source} names configuration paths outside this directory (${shown(outside)}), and without ROSTER_PLAN_KEY a plan file ` +
          'does not choose which files apply; nothing was applied. Name them on the command line ' +
          `(roster apply ${source} ${recorded.join(' ')}), run apply where they are, or plan and apply with ROSTER_PLAN_KEY set.`,
      );
    }
  }
  return recorded;
}
