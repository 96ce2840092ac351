/**
 * `roster migrate [--grant-to ROLE]`: bring the database schema to this roster's version, and optionally give a
 * role exactly the privileges roster needs to run. Safe to run any number of times.
 */
import { openDatabase } from '../../db/connection.ts';
import { explainDatabaseFailure } from '../../db/failures.ts';
import { grantRuntimePrivileges } from '../../db/grants.ts';
import { requiredSchemaVersion } from '../../db/migrate.ts';
import { databaseUrl } from '../context.ts';
import type { CliIo } from '../io.ts';

export async function migrateCommand(options: { databaseUrl: string | undefined; grantTo: string | undefined; io: CliIo }): Promise<number> {
  const { io } = options;
  const database = await openDatabase({
    url: databaseUrl(options.databaseUrl, io),
    root: io.cwd,
    log: (message) => io.stderr.write(`${message}\n`),
    migrate: true,
  });
  try {
    io.stderr.write(`The schema of ${database.description} is at version ${requiredSchemaVersion()}.\n`);
    if (options.grantTo !== undefined) {
      const role = options.grantTo;
      await database.pool.transaction((tx) => grantRuntimePrivileges(tx, role)).catch((error: unknown) => {
        throw explainDatabaseFailure(error, { description: database.description, moment: 'writing' }) ?? error;
      });
      io.stderr.write(`Granted ${role} what roster needs to run (read its tables, write the rows it manages; no deleting users, no schema changes).\n`);
    }
    return 0;
  } finally {
    await database.close();
  }
}
