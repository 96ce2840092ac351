/**
 * Opening the database: `--database-url`, else `DATABASE_URL`, else the embedded PostgreSQL.
 * Every failure to reach the database becomes a {@link DatabaseError} that says what to check.
 */
import { join } from 'node:path';
import { resultParserInterceptor } from './result-parser.ts';
import { createPool, type DatabasePool } from 'slonik';
import { DatabaseError } from '../errors.ts';
import { startEmbedded } from './embedded.ts';
import { explainDatabaseFailure } from './failures.ts';
import { connectionStringProblem, redactUrl, rememberConnectionSecrets, rootMessage } from './redact.ts';
import { assertSchemaCurrent, migrate } from './migrate.ts';
import { z } from 'zod';
import { sql } from './sql.ts';
import { driverSslMode } from './ssl-mode.ts';

export interface Database {
  readonly pool: DatabasePool;
  /** Where the data lives, for messages: a redacted URL or the embedded directory. */
  readonly description: string;
  readonly embedded: boolean;
  /** Closes connections and stops the embedded server, if any. Safe to call twice. */
  close(): Promise<void>;
}

export interface OpenOptions {
  /** A connection string; null selects the embedded database. */
  readonly url: string | null;
  /** Where `.roster/` lives for the embedded database. */
  readonly root: string;
  /** Progress messages (stderr). */
  readonly log: (message: string) => void;
  /** Migrate when the schema is missing or old (always done for the embedded database). */
  readonly migrate?: boolean;
  /** Called before every query (to count round trips in benchmarks). */
  readonly onQuery?: () => void;
  /** The command, for the message another process shows while this one holds the embedded database. */
  readonly purpose?: string;
  /** Runs a named step (shown on a terminal's status line while the embedded database starts). */
  readonly step?: <T>(name: string, work: () => Promise<T>) => Promise<T>;
}

/**
 * Connects, checks the connection with a round trip, and makes sure the schema is current
 * (migrating the embedded database, or when asked). Throws {@link DatabaseError}.
 */
export async function openDatabase(options: OpenOptions): Promise<Database> {
  if (options.url === null) {
    options.log(`Using the embedded PostgreSQL in ${join(options.root, '.roster')} (started for this run, stopped on exit; set DATABASE_URL or --database-url to use your own).`);
    const server = await startEmbedded({ root: options.root, purpose: options.purpose, step: options.step });
    try {
      const database = await connect({ url: server.url, description: server.directory, embedded: true, stop: () => server.stop(), onQuery: options.onQuery });
      const step = options.step ?? ((_name, work) => work());
      const applied = await step('migrate', () => migrateOrThrow(database, options.log));
      if (applied.length > 0) options.log(`Created the roster schema in the embedded database.`);
      return database;
    } catch (error) {
      await server.stop();
      throw error;
    }
  }
  rememberConnectionSecrets(options.url);
  const problem = connectionStringProblem(options.url);
  if (problem !== null) throw new DatabaseError(`${problem}.`);
  const ssl = driverSslMode(options.url);
  if ('problem' in ssl) throw new DatabaseError(`${ssl.problem}.`);
  const database = await connect({ url: ssl.url, description: redactUrl(options.url), embedded: false, stop: async () => {}, onQuery: options.onQuery });
  try {
    if (options.migrate) await migrateOrThrow(database, options.log);
    else await assertSchemaCurrent(database.pool);
    return database;
  } catch (error) {
    await database.close();
    throw explainDatabaseFailure(error, { description: database.description, moment: options.migrate ? 'writing' : 'reading' }) ?? error;
  }
}

async function migrateOrThrow(database: Database, log: (message: string) => void): Promise<number[]> {
  const applied = await migrate(database.pool);
  if (applied.length > 0 && !database.embedded) log(`Applied migrations ${applied.join(', ')} to ${database.description}.`);
  return applied;
}

interface ConnectOptions {
  readonly url: string;
  /** For messages: never the password. */
  readonly description: string;
  readonly embedded: boolean;
  /** Stops what serves the database (the embedded server), after the pool has ended. */
  readonly stop: () => Promise<void>;
  readonly onQuery?: (() => void) | undefined;
}

async function connect({ url, description, embedded, stop, onQuery }: ConnectOptions): Promise<Database> {
  let pool: DatabasePool;
  try {
    pool = await createPool(withApplicationName(url), {
      maximumPoolSize: embedded ? 1 : 4,
      connectionTimeout: 10_000,
      connectionRetryLimit: 1,
      statementTimeout: 'DISABLE_TIMEOUT',
      idleInTransactionSessionTimeout: 'DISABLE_TIMEOUT',
      transactionRetryLimit: 0,
      queryRetryLimit: 0,
      captureStackTrace: false,
      interceptors: [
        resultParserInterceptor(),
        ...(onQuery
          ? [
              {
                name: 'roster-query-counter',
                beforeQueryExecution: () => {
                  onQuery();
                  return null;
                },
              },
            ]
          : []),
      ],
    });
  } catch (error) {
    await stop();
    throw connectionError(description, error);
  }
  let closed = false;
  const database: Database = {
    pool,
    description,
    embedded,
    async close() {
      if (closed) return;
      closed = true;
      try {
        await pool.end();
      } finally {
        await stop();
      }
    },
  };
  try {
    await pool.query(sql.type(z.object({ one: z.literal(1) }))`select 1 as one`);
  } catch (error) {
    await database.close();
    throw connectionError(description, error);
  }
  return database;
}

/** The URL with `application_name=roster` unless it names one, so roster's sessions are easy to find on the server. */
function withApplicationName(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.searchParams.has('application_name')) return url;
    parsed.searchParams.set('application_name', 'roster');
    return parsed.toString();
  } catch {
    return url;
  }
}

function connectionError(description: string, error: unknown): DatabaseError {
  const detail = rootMessage(error);
  return new DatabaseError(
    `cannot connect to the database at ${description}: ${detail}. ` +
      'Check --database-url or DATABASE_URL, that the server is running, and the credentials.',
    { cause: error },
  );
}

