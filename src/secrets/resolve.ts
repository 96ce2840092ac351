/**
 * Resolving passwords from the references a plan carries (an environment variable, a file, a hash in a YAML file)
 * into hashes, at apply time. The plain text exists only in memory, only until it is hashed.
 */
import { createHash } from 'node:crypto';
import { constants } from 'node:fs';
import { open, readFile, type FileHandle } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';
import { parseDocument } from 'yaml';
import { describeKind } from '../config/password-references.ts';
import { ConfigError, UserError, type Diagnostic, type SourcePosition } from '../errors.ts';
import { emailKey } from '../model/state.ts';
import type { Change, PasswordSource } from '../plan/types.ts';
import { checkSuppliedHash, hashPassword } from './password.ts';

export interface ResolveOptions {
  readonly changes: readonly Change[];
  /** Paths in password sources are relative to it. */
  readonly cwd: string;
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Where each user's reference was written, by email key, when the configuration was read (not for saved plans). */
  readonly positions?: ReadonlyMap<string, SourcePosition>;
}

/** The passwords a plan sets: for each created user with an initial password and each password reset. */
export function passwordsToSet(changes: readonly Change[]): { key: string; source: PasswordSource }[] {
  const wanted: { key: string; source: PasswordSource }[] = [];
  for (const change of changes) {
    if (change.type !== 'user') continue;
    if (change.action === 'create' && change.initialPassword) wanted.push({ key: change.key, source: change.initialPassword });
    if (change.action !== 'create' && change.newPassword) wanted.push({ key: change.key, source: change.newPassword });
  }
  return wanted;
}

/**
 * Returns the password hash of every user the plan sets a password for, by email key.
 * Every unresolvable reference is reported at once, before anything is written: a {@link ConfigError} when their
 * positions are known, else a {@link UserError}. No message contains a password or a hash.
 */
export async function resolvePasswords(options: ResolveOptions): Promise<Map<string, string>> {
  const wanted = passwordsToSet(options.changes);
  const problems: { key: string; message: string }[] = [];
  const pending: { key: string; password: string | null; hash: string | null }[] = [];
  for (const { key, source } of wanted) {
    const outcome = await readSource(source, key, options);
    if ('problem' in outcome) problems.push({ key, message: outcome.problem });
    else pending.push({ key: emailKey(key), ...outcome });
  }
  if (problems.length > 0) {
    const positions = options.positions;
    if (positions && problems.every((p) => positions.has(emailKey(p.key)))) {
      throw new ConfigError(problems.map((p): Diagnostic => ({ position: positions.get(emailKey(p.key))!, message: p.message })));
    }
    throw new UserError(`cannot resolve ${problems.length} password${problems.length === 1 ? '' : 's'}; nothing was applied:\n${problems.map((p) => `  ${p.message}`).join('\n')}`);
  }

  const hashes = new Map<string, string>();
  let next = 0;
  // scrypt runs on libuv's thread pool: one task per core keeps every core busy.
  const worker = async () => {
    while (next < pending.length) {
      const item = pending[next++]!;
      hashes.set(item.key, item.hash ?? (await hashPassword(item.password!)));
    }
  };
  await Promise.all(Array.from({ length: Math.min(availableParallelism(), pending.length) }, worker));
  return hashes;
}

async function readSource(
  source: PasswordSource,
  user: string,
  options: ResolveOptions,
): Promise<{ password: string; hash: null } | { password: null; hash: string } | { problem: string }> {
  const of = `(password of ${user})`;
  switch (source.source) {
    case 'env': {
      const value = options.env[source.name];
      if (value === undefined || value === '') {
        return { problem: `environment variable ${source.name} ${of} is ${value === undefined ? 'not set' : 'empty'}; set it for apply` };
      }
      return { password: value, hash: null };
    }
    case 'file': {
      const read = await readPasswordFile(resolve(options.cwd, source.path));
      if (typeof read !== 'string') return { problem: `password file ${source.path} ${of} ${read.problem}` };
      const password = read.replace(/\r?\n$/, '');
      if (password === '' || password.includes('\n')) {
        return { problem: `password file ${source.path} ${of} must hold the password on a single line` };
      }
      return { password, hash: null };
    }
    case 'hash': {
      let hash: unknown;
      try {
        const document = parseDocument(await readFile(resolve(options.cwd, source.file), 'utf8'), { prettyErrors: false });
        hash = document.getIn([...source.pointer]);
      } catch {
        hash = undefined;
      }
      if (typeof hash !== 'string') return { problem: `the password hash of ${user} is no longer in ${source.file}` };
      if (createHash('sha256').update(hash).digest('hex') !== source.digest) {
        return { problem: `the password hash of ${user} in ${source.file} changed since the plan was made; plan again` };
      }
      const weakness = checkSuppliedHash(hash);
      if (weakness) return { problem: `the password hash of ${user} in ${source.file}: ${weakness}` };
      return { password: null, hash };
    }
  }
}

/** The most a password file may hold: a password and a line break, with room to spare. */
export const PASSWORD_FILE_MAX_BYTES = 4096;

/**
 * The text of a password file, or what is wrong with it. Opened without blocking (a FIFO never hangs apply) and
 * checked on the open descriptor, so what is read is what was checked: a regular file of at most
 * {@link PASSWORD_FILE_MAX_BYTES} bytes of UTF-8 text without NUL. The content never appears in a message.
 */
export async function readPasswordFile(path: string): Promise<string | { problem: string }> {
  let handle: FileHandle;
  try {
    handle = await open(path, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY);
  } catch (error) {
    return { problem: `cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'})` };
  }
  try {
    const stats = await handle.stat();
    const kind = describeKind(stats);
    if (kind !== null) return { problem: `is ${kind}, not a regular file; point it at a regular file holding the password` };
    if (stats.size > PASSWORD_FILE_MAX_BYTES) return { problem: `is larger than ${PASSWORD_FILE_MAX_BYTES} bytes; a password file holds one password on one line` };
    const buffer = Buffer.alloc(PASSWORD_FILE_MAX_BYTES + 1);
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0);
    if (bytesRead > PASSWORD_FILE_MAX_BYTES) return { problem: `is larger than ${PASSWORD_FILE_MAX_BYTES} bytes; a password file holds one password on one line` };
    const bytes = buffer.subarray(0, bytesRead);
    if (bytes.includes(0)) return { problem: 'holds binary data (a NUL byte); a password file holds one password as UTF-8 text' };
    try {
      return new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(bytes);
    } catch {
      return { problem: 'is not UTF-8 text; a password file holds one password as UTF-8 text' };
    }
  } catch (error) {
    return { problem: `cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'})` };
  } finally {
    await handle.close();
  }
}
