/** Finding configuration files: light on purpose (no parser loaded), so cached runs stay fast. */
import { readdir, stat } from 'node:fs/promises';
import { isAbsolute, join, relative, resolve } from 'node:path';
import { UserError, compareStrings } from '../errors.ts';

const YAML_FILE = /\.ya?ml$/i;
/** Folders never searched: dependencies, and hidden folders (.git, .github, .roster…) which hold other tools' YAML. */
const SKIPPED_DIRECTORIES = new Set(['node_modules']);

export interface DiscoverOptions {
  /** Files or directories; directories are searched recursively for *.yaml and *.yml. */
  readonly paths: readonly string[];
  /** Paths are resolved against it and shown relative to it. */
  readonly cwd: string;
}

/** Lists the YAML files named by `paths` (absolute, sorted, without duplicates). Throws {@link UserError}. */
export async function discoverFiles(options: DiscoverOptions): Promise<string[]> {
  const found = new Set<string>();
  for (const path of options.paths.length > 0 ? options.paths : ['.']) {
    const absolute = resolve(options.cwd, path);
    let info;
    try {
      info = await stat(absolute);
    } catch {
      throw new UserError(`${path}: no such file or directory`);
    }
    if (info.isDirectory()) {
      const before = found.size;
      await walk(absolute, found);
      if (found.size === before) throw new UserError(`${path}: no *.yaml or *.yml files in this directory`);
    } else {
      found.add(absolute);
    }
  }
  return [...found].sort(compareStrings);
}

async function walk(directory: string, found: Set<string>): Promise<void> {
  const entries = await readdir(directory, { withFileTypes: true });
  for (const entry of entries) {
    const path = join(directory, entry.name);
    if (entry.isDirectory()) {
      if (!SKIPPED_DIRECTORIES.has(entry.name) && !entry.name.startsWith('.')) await walk(path, found);
    } else if ((entry.isFile() || entry.isSymbolicLink()) && YAML_FILE.test(entry.name)) {
      found.add(path);
    }
  }
}

/** A path as shown in messages: relative to the working directory when below it. */
export function displayPath(path: string, cwd: string): string {
  const rel = relative(cwd, path);
  return rel !== '' && !rel.startsWith('..') && !isAbsolute(rel) ? rel : path;
}
