/**
 * Resolving passwords from the references a plan carries (an environment variable, a file, a hash in a YAML file)
 * into hashes, at apply time. The plain text exists only in memory, only until it is hashed.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';
import { parseDocument } from 'yaml';
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
      let text: string;
      try {
        text = await readFile(resolve(options.cwd, source.path), 'utf8');
      } catch (error) {
        return { problem: `password file ${source.path} ${of} cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'})` };
      }
      const password = text.replace(/\r?\n$/, '');
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
