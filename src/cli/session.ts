/**
 * Steps the commands share with the database: open and use it, read a snapshot of the state. Loading the
 * configuration lives in configuration.ts, which loads no database library (validate starts without them).
 */
import type { DatabaseTransactionConnection } from 'slonik';
import { CommitOutcomeUnknownError } from '../apply/apply.ts';
import { openDatabase, type Database } from '../db/connection.ts';
import { explainDatabaseFailure } from '../db/failures.ts';
import { readOrganization, type StoredOrganization } from '../db/read-state.ts';
import { NoRows, sql } from '../db/sql.ts';
import { databaseUrl } from './context.ts';
import { phase, type CliIo } from './io.ts';

export { configHash, loadConfiguration } from './configuration.ts';

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
