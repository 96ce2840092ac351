/** The steps plan and apply share: load the configuration, open the database, read the state, plan. */
import { createHash } from 'node:crypto';
import type { DesiredConfig } from '../config/assemble.ts';
import { loadConfig } from '../config/load.ts';
import { openDatabase, type Database } from '../db/connection.ts';
import { readOrganization } from '../db/read-state.ts';
import { sql } from '../db/sql.ts';
import { normalizeState, type OrgState } from '../model/state.ts';
import { plan } from '../plan/planner.ts';
import type { Plan } from '../plan/types.ts';
import { databaseUrl } from './context.ts';
import type { CliIo } from './io.ts';

export interface Session {
  readonly config: DesiredConfig;
  readonly database: Database;
  readonly plan: Plan;
}

/**
 * Loads and validates the configuration (before touching the database), opens the database, and plans.
 * The caller closes `session.database`. Throws ConfigError, DatabaseError.
 */
export async function openSession(options: { paths: readonly string[]; databaseUrl: string | undefined; io: CliIo }): Promise<Session> {
  const { io } = options;
  const config = await loadConfig({ paths: options.paths, cwd: io.cwd });
  const database = await openDatabase({
    url: databaseUrl(options.databaseUrl, io),
    root: io.cwd,
    log: (message) => io.stderr.write(`${message}\n`),
  });
  try {
    const actual = await readStateSnapshot(database, config.state.organization.key);
    return { config, database, plan: plan({ desired: config.state, actual }) };
  } catch (error) {
    await database.close();
    throw error;
  }
}

/** Reads the organization in one consistent, read-only snapshot. */
async function readStateSnapshot(database: Database, key: string): Promise<OrgState | null> {
  return database.pool.transaction(async (tx) => {
    await tx.query(sql.unsafe`set transaction isolation level repeatable read, read only`);
    return (await readOrganization(tx, key))?.state ?? null;
  });
}

/** A digest of the desired state's normal form: equal for configurations that mean the same thing. */
export function configHash(state: OrgState): string {
  return 'sha256:' + createHash('sha256').update(JSON.stringify(normalizeState(state))).digest('hex');
}
