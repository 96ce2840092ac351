/**
 * `roster migrate [--grant-to ROLE [--read-only]]`: bring the database schema to this roster's version, and
 * optionally give a role exactly the privileges roster needs to run (or, read-only, to plan, drift and export).
 * Safe to run any number of times.
 */
import { grantPrivileges } from '../../db/grants.ts';
import { requiredSchemaVersion } from '../../db/migrate.ts';
import { UserError } from '../../errors.ts';
import type { CliIo } from '../io.ts';
import { usingDatabase } from '../session.ts';

export interface MigrateCommandOptions {
  readonly databaseUrl: string | undefined;
  /** A role to grant roster's privileges to, after migrating. */
  readonly grantTo: string | undefined;
  /** Grant only what plan, drift and export read. */
  readonly readOnly: boolean;
  readonly io: CliIo;
}

/** Exit 0 once the schema is current (and the role granted). Throws UserError for --read-only without --grant-to. */
export async function migrateCommand(options: MigrateCommandOptions): Promise<number> {
  const { io, grantTo, readOnly } = options;
  if (readOnly && grantTo === undefined) {
    throw new UserError('--read-only says what to grant: use it with --grant-to ROLE (roster migrate --grant-to roster_reader --read-only)');
  }
  return usingDatabase({ databaseUrl: options.databaseUrl, io, writes: true, migrate: true }, async (database) => {
    io.stderr.write(`The schema of ${database.description} is at version ${requiredSchemaVersion()}.\n`);
    if (grantTo !== undefined) {
      await database.pool.transaction((tx) => grantPrivileges(tx, { role: grantTo, readOnly }));
      io.stderr.write(
        readOnly
          ? `Granted ${grantTo} read-only access: plan, drift and export work as ${grantTo}; apply does not (no writes, no password hashes).\n`
          : `Granted ${grantTo} what roster needs to run (read its tables, write the columns it manages; no password hashes, ` +
              'no deleting users, no schema changes, the audit trail only through roster_record_apply).\n',
      );
    }
    return 0;
  });
}
