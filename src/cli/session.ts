/** Steps the commands share: load the configuration, open the database, read a snapshot of the state. */
import { createHash } from 'node:crypto';
import type { DesiredConfig } from '../config/assemble.ts';
import { loadConfig } from '../config/load.ts';
import { openDatabase, type Database } from '../db/connection.ts';
import { readOrganization, type StoredOrganization } from '../db/read-state.ts';
import { sql } from '../db/sql.ts';
import { normalizeState, type OrgState } from '../model/state.ts';
import { databaseUrl } from './context.ts';
import { phase, type CliIo } from './io.ts';

/** Opens the database named by the flag, DATABASE_URL, or the embedded one. The caller closes it. */
export function openDatabaseFor(flag: string | undefined, io: CliIo): Promise<Database> {
  return phase(io, 'connect', () =>
    openDatabase({
      url: databaseUrl(flag, io),
      root: io.cwd,
      log: (message) => io.stderr.write(`${message}\n`),
      onQuery: io.timings ? () => io.timings!.query() : undefined,
    }),
  );
}

/**
 * Loads and validates the configuration before touching the database, then opens the database.
 * The caller closes the database. Throws ConfigError, DatabaseError.
 */
export async function loadAndConnect(options: {
  paths: readonly string[];
  databaseUrl: string | undefined;
  io: CliIo;
}): Promise<{ config: DesiredConfig; database: Database }> {
  const config = await phase(options.io, 'load', () => loadConfig({ paths: options.paths, cwd: options.io.cwd }));
  return { config, database: await openDatabaseFor(options.databaseUrl, options.io) };
}

/** Reads the organization in one consistent, read-only snapshot. */
export async function readSnapshot(database: Database, key: string, io?: CliIo): Promise<StoredOrganization | null> {
  const read = () => database.pool.transaction(async (tx) => {
    await tx.query(sql.unsafe`set transaction isolation level repeatable read, read only`);
    return readOrganization(tx, key);
  });
  return io ? phase(io, 'read', read) : read();
}

/** A digest of the desired state's normal form: equal for configurations that mean the same thing. */
export function configHash(state: OrgState): string {
  return 'sha256:' + createHash('sha256').update(JSON.stringify(normalizeState(state))).digest('hex');
}
