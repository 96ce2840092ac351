/**
 * `roster migrate [--grant-to ROLE]`: bring the database schema to this roster's version, and optionally give a
 * role exactly the privileges roster needs to run. Safe to run any number of times.
 */
import { grantRuntimePrivileges } from '../../db/grants.ts';
import { requiredSchemaVersion } from '../../db/migrate.ts';
import type { CliIo } from '../io.ts';
import { usingDatabase } from '../session.ts';

export async function migrateCommand(options: { databaseUrl: string | undefined; grantTo: string | undefined; io: CliIo }): Promise<number> {
  const { io } = options;
  return usingDatabase({ databaseUrl: options.databaseUrl, io, writes: true, migrate: true }, async (database) => {
    io.stderr.write(`The schema of ${database.description} is at version ${requiredSchemaVersion()}.\n`);
    if (options.grantTo !== undefined) {
      const role = options.grantTo;
      await database.pool.transaction((tx) => grantRuntimePrivileges(tx, role));
      io.stderr.write(`Granted ${role} what roster needs to run (read its tables, write the rows it manages; no deleting users, no schema changes).\n`);
    }
    return 0;
  });
}
