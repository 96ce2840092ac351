/**
 * The configuration cache: what loading a set of files produced, keyed by their paths and contents, roster's
 * version and the schema, in `.roster/cache/` of the working directory. Safe to delete; ROSTER_CACHE=off
 * disables it. Light on purpose: a hit loads neither a YAML parser nor the schema validator.
 */
import { createHash } from 'node:crypto';
import { mkdir, readFile, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { SourcePosition } from '../errors.ts';
import type { OrgState } from '../model/state.ts';
import { packagePath } from '../paths.ts';
import { ROSTER_VERSION } from '../version.ts';

/** Bumped whenever what is cached changes meaning. */
const CACHE_FORMAT = 'roster-cache-2';
/** Entries kept; older ones are removed. */
const KEEP = 16;

/** What a cached configuration holds: enough to plan and apply, not to edit the files. */
export interface CachedConfig {
  readonly state: OrgState;
  readonly unmanagedUsers: 'deactivate' | 'ignore';
  readonly fileCount: number;
  readonly passwordPositions: readonly (readonly [string, SourcePosition])[];
}

export function cacheDirectory(cwd: string): string {
  return join(cwd, '.roster', 'cache');
}

export function cacheEnabled(env: Readonly<Record<string, string | undefined>>): boolean {
  return env.ROSTER_CACHE !== 'off' && env.ROSTER_CACHE !== '0';
}

let schemaDigest: string | undefined;

/** The key of a set of files: their displayed paths and contents, roster's version and its schema. */
export async function configKey(files: readonly { shown: string; content: Uint8Array }[]): Promise<string> {
  schemaDigest ??= createHash('sha256').update(await readFile(packagePath('schema', 'roster.schema.json'))).digest('hex');
  const hash = createHash('sha256').update(`${CACHE_FORMAT}\0${ROSTER_VERSION}\0${schemaDigest}\0`);
  for (const file of files) hash.update(file.shown).update('\0').update(createHash('sha256').update(file.content).digest()).update('\0');
  return hash.digest('hex');
}

/** Reads a cache entry; null when absent or unreadable. */
export async function readCache<T>(cwd: string, kind: string, key: string): Promise<T | null> {
  try {
    return JSON.parse(await readFile(join(cacheDirectory(cwd), `${kind}-${key}.json`), 'utf8')) as T;
  } catch {
    return null;
  }
}

/** Writes a cache entry atomically, best effort: a cache that cannot be written is no error. */
export async function writeCache(cwd: string, kind: string, key: string, value: unknown): Promise<void> {
  const directory = cacheDirectory(cwd);
  try {
    await mkdir(directory, { recursive: true });
    const path = join(directory, `${kind}-${key}.json`);
    const temporary = `${path}.${process.pid}.tmp`;
    await writeFile(temporary, JSON.stringify(value));
    await rename(temporary, path);
    await prune(directory);
  } catch {
    // read-only directory, full disk: run without the cache
  }
}

async function prune(directory: string): Promise<void> {
  const names = (await readdir(directory)).filter((n) => n.endsWith('.json'));
  if (names.length <= KEEP) return;
  const dated = await Promise.all(names.map(async (n) => ({ n, t: (await stat(join(directory, n))).mtimeMs })));
  dated.sort((a, b) => b.t - a.t);
  await Promise.all(dated.slice(KEEP).map(({ n }) => rm(join(directory, n), { force: true })));
}
