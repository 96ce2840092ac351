/** Steps the commands share: load the configuration, use the database, read a snapshot of the state. */
import { createHash } from 'node:crypto';
import type { DatabaseTransactionConnection } from 'slonik';
import type { DesiredConfig } from '../config/assemble.ts';
import { cacheEnabled, configKey, fromCachedConfig, readCache, toCachedConfig, writeCache, type CachedConfig } from '../config/cache.ts';
import { discoverFiles, displayPath } from '../config/discover.ts';
import { readConfigFiles } from '../config/read-files.ts';
import { assertPasswordFilesConfined } from '../config/password-references.ts';
import { CommitOutcomeUnknownError } from '../apply/apply.ts';
import { openDatabase, type Database } from '../db/connection.ts';
import { explainDatabaseFailure } from '../db/failures.ts';
import { readOrganization, type StoredOrganization } from '../db/read-state.ts';
import { NoRows, sql } from '../db/sql.ts';
import { normalizeState, type OrgState } from '../model/state.ts';
import { databaseUrl } from './context.ts';
import { phase, type CliIo } from './io.ts';

/**
 * Opens the database named by the flag, DATABASE_URL, or the embedded one (migrating it when asked). The caller
 * closes it. `purpose` names the command to another process that finds the embedded database taken.
 */
export function openDatabaseFor(flag: string | undefined, io: CliIo, options: { migrate?: boolean; purpose?: string } = {}): Promise<Database> {
  return phase(io, 'connect', () =>
    openDatabase({
      url: databaseUrl(flag, io),
      root: io.cwd,
      log: (message) => io.stderr.write(`${message}\n`),
      migrate: options.migrate ?? false,
      onQuery: io.timings ? () => io.timings!.query() : undefined,
      purpose: options.purpose ?? 'roster',
      step: (name, work) => phase(io, name, work),
    }),
  );
}

/**
 * Opens the database, runs `work` with it, and closes it. A failure of the database or of the connection to it
 * becomes a {@link DatabaseError} whose message says what became of the changes and what to do; `writes` says
 * whether `work` writes (in one transaction); `migrate` brings the schema up to date first. Throws DatabaseError, or
 * what `work` throws.
 */
export async function usingDatabase<T>(
  options: { databaseUrl: string | undefined; io: CliIo; writes: boolean; migrate?: boolean },
  work: (database: Database) => Promise<T>,
): Promise<T> {
  const database = await openDatabaseFor(options.databaseUrl, options.io, { migrate: options.migrate ?? false });
  let result: T;
  try {
    result = await work(database);
  } catch (error) {
    await database.close().catch(() => undefined);
    const committing = error instanceof CommitOutcomeUnknownError;
    const explained = explainDatabaseFailure(committing ? error.cause : error, {
      description: database.description,
      moment: committing ? 'committing' : options.writes ? 'writing' : 'reading',
    });
    throw explained ?? error;
  }
  await database.close();
  return result;
}

/**
 * Loads and validates the configuration, from the cache when the same files were loaded by the same code before.
 * `cache: false` neither reads nor writes the cache: the files themselves are parsed, as `apply` needs (a cache is
 * never a source of truth for what is written) and as editing them needs. Returns it with its cache key.
 * Throws ConfigError, UserError.
 */
export async function loadConfiguration(
  paths: readonly string[],
  io: CliIo,
  options: { cache?: boolean } = {},
): Promise<{ config: DesiredConfig; key: string }> {
  return phase(io, 'load', async () => {
    const files = await discoverFiles({ paths, cwd: io.cwd });
    const contents = await readConfigFiles(files, io.cwd);
    const shown = files.map((file, i) => ({ shown: displayPath(file, io.cwd), content: contents[i]! }));
    const key = await configKey(shown);
    const useCache = options.cache !== false && cacheEnabled(io.env);
    if (useCache) {
      const hit = await readCache<CachedConfig>(io.cwd, 'config', key);
      const config = hit && fromCachedConfig(hit, shown);
      if (config) return { config: await confinedPasswordFiles(config, paths, io), key };
    }
    const { configFromContents } = await import('../config/load.ts');
    const config = await confinedPasswordFiles(await configFromContents(files, contents, io.cwd), paths, io);
    if (useCache) {
      const cached = toCachedConfig(config, shown);
      if (cached) await writeCache(io.cwd, 'config', key, cached);
    }
    return { config, key };
  });
}

/** `config` once its password files are known to be inside the configuration (config/password-references.ts). */
async function confinedPasswordFiles(config: DesiredConfig, paths: readonly string[], io: CliIo): Promise<DesiredConfig> {
  await assertPasswordFilesConfined(config, { paths, cwd: io.cwd, env: io.env });
  return config;
}

/** Runs `read` in one consistent, read-only snapshot of the database. */
export function inSnapshot<T>(database: Database, read: (tx: DatabaseTransactionConnection) => Promise<T>): Promise<T> {
  return database.pool.transaction(async (tx) => {
    await tx.query(sql.type(NoRows)`set transaction isolation level repeatable read, read only`);
    return read(tx);
  });
}

/** Reads the organization in one consistent, read-only snapshot. */
export async function readSnapshot(database: Database, key: string, io?: CliIo): Promise<StoredOrganization | null> {
  const read = () => inSnapshot(database, (tx) => readOrganization(tx, key));
  return io ? phase(io, 'read', read) : read();
}

/** A digest of the desired state's normal form: equal for configurations that mean the same thing. */
export function configHash(state: OrgState): string {
  return 'sha256:' + createHash('sha256').update(JSON.stringify(normalizeState(state))).digest('hex');
}
