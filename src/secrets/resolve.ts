/**
 * Resolving new users' initial passwords from their references, at apply time, into hashes.
 * The plain text exists only in memory, only until it is hashed.
 */
import { availableParallelism } from 'node:os';
import { ConfigError, type Diagnostic, type SourcePosition } from '../errors.ts';
import { emailKey, type UserSpec } from '../model/state.ts';
import type { Change } from '../plan/types.ts';
import { hashPassword } from './password.ts';

export interface ResolveOptions {
  readonly changes: readonly Change[];
  /** The desired users, where the references live. */
  readonly users: readonly UserSpec[];
  /** Where each reference was written, by email key, for messages. */
  readonly positions: ReadonlyMap<string, SourcePosition>;
  readonly env: Readonly<Record<string, string | undefined>>;
}

/**
 * Returns the password hash of every user the plan creates with an initial password, by email key.
 * Throws {@link ConfigError} naming every missing or empty environment variable, before anything is written.
 */
export async function resolveInitialPasswords(options: ResolveOptions): Promise<Map<string, string>> {
  const byKey = new Map(options.users.map((u) => [emailKey(u.email), u]));
  const pending: { key: string; password: string | null; hash: string | null }[] = [];
  const diagnostics: Diagnostic[] = [];
  for (const change of options.changes) {
    if (change.type !== 'user' || change.action !== 'create' || change.initialPassword === null) continue;
    const key = emailKey(change.key);
    const reference = byKey.get(key)?.initialPassword;
    const position = options.positions.get(key) ?? { file: '(configuration)', line: 1, col: 1 };
    if (!reference) {
      diagnostics.push({ position, message: `initialPassword of ${change.key} is no longer in the configuration` });
    } else if (reference.kind === 'hash') {
      pending.push({ key, password: null, hash: reference.hash });
    } else {
      const value = options.env[reference.name];
      if (value === undefined || value === '') {
        diagnostics.push({
          position,
          message: `environment variable ${reference.name} (initialPassword of ${change.key}) is ${value === undefined ? 'not set' : 'empty'}; set it for apply`,
        });
      } else {
        pending.push({ key, password: value, hash: null });
      }
    }
  }
  if (diagnostics.length > 0) throw new ConfigError(diagnostics);

  const hashes = new Map<string, string>();
  let next = 0;
  const worker = async () => {
    while (next < pending.length) {
      const item = pending[next++]!;
      hashes.set(item.key, item.hash ?? (await hashPassword(item.password!)));
    }
  };
  await Promise.all(Array.from({ length: Math.min(availableParallelism(), pending.length) }, worker));
  return hashes;
}
