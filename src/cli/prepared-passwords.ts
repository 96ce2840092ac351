/**
 * Passwords resolved ahead of the apply transaction. Reading a password (a variable, a file, a hash in a YAML file)
 * can block or fail, so it happens before the organization's lock is taken; under the lock, apply only looks the
 * hashes up, and goes back for any it lacks.
 */
import type { SourcePosition } from '../errors.ts';
import { emailKey } from '../model/state.ts';
import type { Change } from '../plan/types.ts';
import { canonicalJson } from '../plan/saved-plan.ts';
import { passwordsToSet, resolvePasswords } from '../secrets/resolve.ts';
import { phase, type CliIo } from './io.ts';

export class PreparedPasswords {
  /** By email key: the source a hash was resolved from (canonical JSON) and the hash. */
  readonly #prepared = new Map<string, { source: string; hash: string }>();
  readonly #io: CliIo;
  readonly #positions: ReadonlyMap<string, SourcePosition> | undefined;

  /** `positions`: where each user's password reference is written, for messages (absent without the files). */
  constructor(options: { io: CliIo; positions?: ReadonlyMap<string, SourcePosition> | undefined }) {
    this.#io = options.io;
    this.#positions = options.positions;
  }

  /** The changes that set a password not resolved yet from the same source. */
  missing(changes: readonly Change[]): Change[] {
    const wanted = new Set(
      passwordsToSet(changes)
        .filter(({ key, source }) => this.#prepared.get(emailKey(key))?.source !== canonicalJson(source))
        .map(({ key }) => emailKey(key)),
    );
    return changes.filter((change) => change.type === 'user' && wanted.has(emailKey(change.key)));
  }

  /**
   * Resolves the passwords `changes` set that are not resolved yet. Throws what resolvePasswords throws (every
   * unresolvable reference at once); nothing is kept then.
   */
  async prepare(changes: readonly Change[]): Promise<void> {
    const missing = this.missing(changes);
    if (missing.length === 0) return;
    const hashes = await phase(this.#io, 'passwords', () =>
      resolvePasswords({ changes: missing, cwd: this.#io.cwd, env: this.#io.env, positions: this.#positions }),
    );
    for (const { key, source } of passwordsToSet(missing)) {
      const hash = hashes.get(emailKey(key));
      if (hash !== undefined) this.#prepared.set(emailKey(key), { source: canonicalJson(source), hash });
    }
  }

  /** The hashes of the passwords `changes` set, by email key. Call {@link missing} first: unresolved ones are left out. */
  hashesFor(changes: readonly Change[]): Map<string, string> {
    const hashes = new Map<string, string>();
    for (const { key } of passwordsToSet(changes)) {
      const prepared = this.#prepared.get(emailKey(key));
      if (prepared) hashes.set(emailKey(key), prepared.hash);
    }
    return hashes;
  }
}
