/** `roster migrate`: bring the database schema to this roster's version. Safe to run any number of times. */
import { openDatabase } from '../../db/connection.ts';
import { requiredSchemaVersion } from '../../db/migrate.ts';
import { databaseUrl } from '../context.ts';
import type { CliIo } from '../io.ts';

export async function migrateCommand(options: { databaseUrl: string | undefined; io: CliIo }): Promise<number> {
  const { io } = options;
  const database = await openDatabase({
    url: databaseUrl(options.databaseUrl, io),
    root: io.cwd,
    log: (message) => io.stderr.write(`${message}\n`),
    migrate: true,
  });
  try {
    io.stderr.write(`The schema of ${database.description} is at version ${requiredSchemaVersion()}.\n`);
    return 0;
  } finally {
    await database.close();
  }
}
