/**
 * The caches: what loading a set of files produced, and plans, in `.roster/cache/` of the working directory. They
 * make `validate`, `plan` and `drift` fast and are never a source of truth: `apply` does not read them (it parses
 * the files every time). Safe to delete; ROSTER_CACHE=off disables them. Light on purpose: a hit loads neither a
 * YAML parser nor the schema validator.
 *
 * Why a cache cannot lie:
 * - Keys cover everything that produced an entry: the files' paths and bytes, and the code (see code-digest.ts).
 * - An entry is bound to its key: it records its kind, its key and the SHA-256 of its value, and one that does not
 *   match (renamed, truncated, edited by hand) is a miss.
 * - A cache directory tracked by Git (committed, for example by a pull request) is neither read nor written: files a
 *   change under review can add are never trusted.
 * - No password hash is stored: a configuration entry keeps only where a supplied hash is written in its file and
 *   the hash's digest; a hit takes it back from the file's bytes (which the key covers) and checks the digest.
 */
import { USER_FIELDS } from '../model/fields.ts';
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { DesiredConfig } from './assemble.ts';
import type { SourcePosition } from '../errors.ts';
import type { OrgState, PasswordReference, UserSpec } from '../model/state.ts';
import { codeDigest } from './code-digest.ts';

/** Entries kept; older ones are removed. */
const KEEP = 16;

/** A password reference as cached: a supplied hash is replaced by where it is written and its digest. */
type CachedPasswordReference =
  | Exclude<PasswordReference, { kind: 'hash' }>
  | {
      readonly kind: 'hash';
      readonly file: string;
      readonly pointer: readonly (string | number)[];
      /** Where the hash's characters sit in the file: byte offset and length. */
      readonly offset: number;
      readonly length: number;
      /** sha256 of the hash (hex). */
      readonly digest: string;
    };

type CachedUser = Omit<UserSpec, 'initialPassword'> & { readonly initialPassword: CachedPasswordReference | null };

/** What a cached configuration holds: enough to validate, plan and check drift, not to edit the files. */
export interface CachedConfig {
  readonly state: Omit<OrgState, 'users'> & { readonly users: readonly CachedUser[] };
  readonly unmanagedUsers: 'deactivate' | 'ignore';
  readonly fileCount: number;
  readonly passwordPositions: readonly (readonly [string, SourcePosition])[];
}

/** One configuration file as the cache sees it: its displayed path and its bytes. */
export interface CacheFile {
  readonly shown: string;
  readonly content: Uint8Array;
}

export function cacheDirectory(cwd: string): string {
  return join(cwd, '.roster', 'cache');
}

export function cacheEnabled(env: Readonly<Record<string, string | undefined>>): boolean {
  return env.ROSTER_CACHE !== 'off' && env.ROSTER_CACHE !== '0';
}

/** The key of a set of files: their displayed paths and contents, and the code reading them. */
export async function configKey(files: readonly CacheFile[]): Promise<string> {
  const hash = createHash('sha256').update(`roster-config\0${await codeDigest()}\0`);
  for (const file of files) hash.update(file.shown).update('\0').update(createHash('sha256').update(file.content).digest()).update('\0');
  return hash.digest('hex');
}

/**
 * Reads a cache entry; null when absent, unreadable, not bound to this kind and key, or in a directory that Git
 * tracks. Callers treat null as a miss.
 */
export async function readCache<T>(cwd: string, kind: string, key: string): Promise<T | null> {
  let text: string;
  try {
    text = await readFile(entryPath(cwd, kind, key), 'utf8');
  } catch {
    return null;
  }
  if (!(await cacheUsable(cwd))) return null;
  const newline = text.indexOf('\n');
  if (newline < 0) return null;
  const value = text.slice(newline + 1);
  try {
    const header = JSON.parse(text.slice(0, newline)) as { kind?: unknown; key?: unknown; digest?: unknown };
    if (header.kind !== kind || header.key !== key || header.digest !== sha256(value)) return null;
    return JSON.parse(value) as T;
  } catch {
    return null;
  }
}

/** Writes a cache entry atomically, best effort: a cache that cannot be written is no error. */
export async function writeCache(cwd: string, kind: string, key: string, value: unknown): Promise<void> {
  const directory = cacheDirectory(cwd);
  try {
    if (!(await cacheUsable(cwd))) return;
    await mkdir(directory, { recursive: true });
    const path = entryPath(cwd, kind, key);
    const text = JSON.stringify(value);
    const temporary = `${path}.${process.pid}.tmp`;
    await writeFile(temporary, `${JSON.stringify({ kind, key, digest: sha256(text) })}\n${text}`, { flag: 'wx' });
    await rename(temporary, path);
    await prune(directory);
  } catch {
    // read-only directory, full disk, another process writing the same entry: run without the cache
  }
}

/**
 * What to cache of a configuration, or null when it cannot be cached without a password hash (a hash written with
 * YAML escapes, so its characters are not in the file as they are).
 */
export function toCachedConfig(config: DesiredConfig, files: readonly CacheFile[]): CachedConfig | null {
  const finder = hashFinder(files);
  const users: CachedUser[] = [];
  for (const user of config.state.users) {
    const reference = user.initialPassword;
    if (reference?.kind !== 'hash') {
      users.push(user as CachedUser);
      continue;
    }
    const found = finder(reference.file, reference.hash);
    if (!found) return null;
    const { hash: _hash, ...location } = reference;
    users.push({ ...user, initialPassword: { ...location, ...found, digest: sha256(reference.hash) } });
  }
  return {
    state: { ...config.state, users },
    unmanagedUsers: config.unmanagedUsers,
    fileCount: config.fileCount,
    passwordPositions: [...config.passwordPositions],
  };
}

/**
 * The configuration a cache entry describes, its supplied password hashes taken back from the files' bytes; null
 * when a hash is not where the entry says (then the entry is a miss).
 */
export function fromCachedConfig(cached: CachedConfig, files: readonly CacheFile[]): DesiredConfig | null {
  if (!hasCachedShape(cached)) return null;
  const contents = new Map(files.map((file) => [file.shown, file.content]));
  const users: UserSpec[] = [];
  for (const user of cached.state.users) {
    const reference = user.initialPassword;
    if (reference?.kind !== 'hash') {
      users.push(user as UserSpec);
      continue;
    }
    const content = contents.get(reference.file);
    if (!content || reference.offset + reference.length > content.length) return null;
    const hash = Buffer.from(content.buffer, content.byteOffset + reference.offset, reference.length).toString('utf8');
    if (sha256(hash) !== reference.digest) return null;
    users.push({ ...user, initialPassword: { kind: 'hash', hash, file: reference.file, pointer: reference.pointer } });
  }
  return {
    state: { ...cached.state, users },
    unmanagedUsers: cached.unmanagedUsers,
    files: [],
    locations: new Map(),
    passwordPositions: new Map(cached.passwordPositions),
    fileCount: cached.fileCount,
    fromCache: true,
  };
}

/**
 * Whether an entry has the shape this code writes. Its digest already says it was written whole; this keeps an
 * entry forged with a matching digest, or written by code that meant something else, from reaching the planner.
 */
function hasCachedShape(value: unknown): value is CachedConfig {
  const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
  const strings = (v: unknown, ...keys: string[]) => isObject(v) && keys.every((key) => typeof v[key] === 'string');
  if (!isObject(value) || !isObject(value.state) || !strings(value.state.organization, 'key', 'name')) return false;
  const { companies, roles, users } = value.state;
  if (!Array.isArray(companies) || !companies.every((c) => strings(c, 'key', 'name'))) return false;
  if (!Array.isArray(roles) || !roles.every((r) => strings(r, 'key', 'name') && Array.isArray((r as Record<string, unknown>).permissions))) return false;
  const password = (p: unknown) =>
    p === null || (isObject(p) && (p.kind === 'env' || p.kind === 'file' || (p.kind === 'hash' && typeof p.offset === 'number' && typeof p.length === 'number')));
  const user = (u: unknown) =>
    strings(u, 'email') &&
    USER_FIELDS.every((field) => strings(u, field.name) || (field.optional && isObject(u) && u[field.name] == null)) &&
    typeof (u as Record<string, unknown>).active === 'boolean' &&
    Array.isArray((u as Record<string, unknown>).formerEmails) &&
    password((u as Record<string, unknown>).initialPassword);
  return (
    Array.isArray(users) &&
    users.every(user) &&
    (value.unmanagedUsers === 'deactivate' || value.unmanagedUsers === 'ignore') &&
    typeof value.fileCount === 'number' &&
    Array.isArray(value.passwordPositions)
  );
}

/** Finds a hash's bytes in its file, searching on from the last one found there (users are mostly in file order). */
function hashFinder(files: readonly CacheFile[]): (file: string, hash: string) => { offset: number; length: number } | null {
  const contents = new Map(files.map((file) => [file.shown, Buffer.from(file.content.buffer, file.content.byteOffset, file.content.byteLength)]));
  const cursors = new Map<string, number>();
  return (file, hash) => {
    const content = contents.get(file);
    if (!content) return null;
    const needle = Buffer.from(hash, 'utf8');
    let offset = content.indexOf(needle, cursors.get(file) ?? 0);
    if (offset < 0) offset = content.indexOf(needle);
    if (offset < 0) return null;
    cursors.set(file, offset + needle.length);
    return { offset, length: needle.length };
  };
}

function entryPath(cwd: string, kind: string, key: string): string {
  return join(cacheDirectory(cwd), `${kind}-${key}.json`);
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

const usable = new Map<string, Promise<boolean>>();

/**
 * Whether the cache directory may be used: not when Git tracks anything in it (a committed cache is input someone
 * else wrote), nor when that cannot be told (Git missing or failing in a checkout). Git runs with hooks and
 * fsmonitor disabled, so a repository's settings cannot make roster run a command. Asked once per process.
 */
function cacheUsable(cwd: string): Promise<boolean> {
  let answer = usable.get(cwd);
  if (!answer) {
    answer = trackedByGit(cwd).then((tracked) => tracked === false);
    usable.set(cwd, answer);
  }
  return answer;
}

/** True when Git tracks a file under the cache directory, false when not (or no checkout), null when unknown. */
async function trackedByGit(cwd: string): Promise<boolean | null> {
  if (!insideCheckout(cwd)) return false;
  return new Promise((resolve) => {
    execFile(
      'git',
      ['-c', 'core.fsmonitor=false', '-c', 'core.hooksPath=/dev/null', 'ls-files', '-z', '--', join('.roster', 'cache')],
      { cwd, timeout: 5000, maxBuffer: 1024 * 1024 },
      (error, stdout) => resolve(error ? null : stdout.length > 0),
    );
  });
}

/** Whether `cwd` or a directory above it holds `.git`. */
function insideCheckout(cwd: string): boolean {
  for (let directory = cwd; ; directory = dirname(directory)) {
    if (existsSync(join(directory, '.git'))) return true;
    if (dirname(directory) === directory) return false;
  }
}

async function prune(directory: string): Promise<void> {
  const names = (await readdir(directory)).filter((n) => n.endsWith('.json'));
  if (names.length <= KEEP) return;
  const dated = await Promise.all(names.map(async (n) => ({ n, t: (await stat(join(directory, n))).mtimeMs })));
  dated.sort((a, b) => b.t - a.t);
  await Promise.all(dated.slice(KEEP).map(({ n }) => rm(join(directory, n), { force: true })));
}
