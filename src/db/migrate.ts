/**
 * Versioned SQL migrations under src/db/migrations, applied in order, each once, under an advisory lock
 * so that two `roster migrate` runs at once are safe. Safe to run any number of times.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import type { DatabasePool } from 'slonik';
import { DatabaseError } from '../errors.ts';
import { packagePath } from '../paths.ts';
import { sqlState } from './failures.ts';
import { z } from 'zod';
import { NoRows, sql, trustedScript } from './sql.ts';

/** A row of roster_migrations. */
const AppliedMigration = z.object({ version: z.number(), name: z.string(), checksum: z.string() });

const MIGRATIONS_DIRECTORY = packagePath('src', 'db', 'migrations') + '/';
/** Advisory lock key (first half) that serialises migrations; the second half is fixed. */
const MIGRATION_LOCK = [0x726f7374, 1] as const;

export interface Migration {
  readonly version: number;
  readonly name: string;
  readonly sql: string;
  readonly checksum: string;
}

/** The migrations this roster ships, in version order. */
export function bundledMigrations(): Migration[] {
  return readdirSync(MIGRATIONS_DIRECTORY)
    .filter((name) => /^\d{4}_[a-z0-9_]+\.sql$/.test(name))
    .sort()
    .map((file) => {
      const text = readFileSync(MIGRATIONS_DIRECTORY + file, 'utf8');
      return {
        version: Number(file.slice(0, 4)),
        name: file.slice(5, -4),
        sql: text,
        checksum: createHash('sha256').update(text).digest('hex'),
      };
    });
}

/** The schema version this roster needs. */
export function requiredSchemaVersion(): number {
  return bundledMigrations().at(-1)?.version ?? 0;
}

/**
 * Applies every bundled migration the database lacks. Returns the versions applied (empty when up to date).
 * Throws {@link DatabaseError} when the database was migrated by a newer roster or a migration was altered.
 */
export async function migrate(pool: DatabasePool): Promise<number[]> {
  const migrations = bundledMigrations();
  return pool.transaction(async (tx) => {
    await tx.query(sql.type(z.object({ locked: z.literal(1) }))`select 1 as locked from pg_advisory_xact_lock(${MIGRATION_LOCK[0]}, ${MIGRATION_LOCK[1]})`);
    await tx.query(sql.type(NoRows)`
      create table if not exists roster_migrations (
        version integer primary key,
        name text not null,
        checksum text not null,
        applied_at timestamptz not null default now()
      )`);
    const applied = await tx.any(sql.type(AppliedMigration)`select version, name, checksum from roster_migrations order by version`);
    const known = new Map(migrations.map((m) => [m.version, m]));
    for (const row of applied) {
      const migration = known.get(row.version);
      if (!migration) {
        throw new DatabaseError(
          `the database schema is at version ${row.version}, newer than this roster knows (${requiredSchemaVersion()}); upgrade roster`,
        );
      }
      if (migration.checksum !== row.checksum) {
        throw new DatabaseError(
          `migration ${row.version} (${row.name}) in the database differs from the one shipped with roster; the schema was altered by hand`,
        );
      }
    }
    const done = new Set(applied.map((r) => r.version));
    const versions: number[] = [];
    for (const migration of migrations) {
      if (done.has(migration.version)) continue;
      try {
        await tx.query(trustedScript(migration.sql));
      } catch (error) {
        throw refusedMigration(error, migration) ?? error;
      }
      await tx.query(sql.type(NoRows)`
        insert into roster_migrations (version, name, checksum)
        values (${migration.version}, ${migration.name}, ${migration.checksum})`);
      versions.push(migration.version);
    }
    return versions;
  });
}

/** The schema version the database is at, or 0 when roster never migrated it. */
export async function schemaVersion(pool: DatabasePool): Promise<number> {
  const exists = await pool.oneFirst(sql.type(z.object({ exists: z.boolean() }))`select to_regclass('roster_migrations') is not null as exists`);
  if (!exists) return 0;
  return pool.oneFirst(sql.type(z.object({ version: z.number() }))`select coalesce(max(version), 0)::int as version from roster_migrations`);
}

/** Throws {@link DatabaseError} unless the database schema is exactly the version this roster needs. */
export async function assertSchemaCurrent(pool: DatabasePool): Promise<void> {
  const current = await schemaVersion(pool);
  const required = requiredSchemaVersion();
  if (current < required) {
    throw new DatabaseError(
      current === 0
        ? 'the database has no roster schema: run `roster migrate` first (with the same --database-url)'
        : `the database schema is at version ${current}, roster needs ${required}: run \`roster migrate\``,
    );
  }
  if (current > required) {
    throw new DatabaseError(`the database schema is at version ${current}, newer than this roster knows (${required}); upgrade roster`);
  }
}

/**
 * A migration that refuses the data it finds (RAISE EXCEPTION, SQLSTATE P0001) says why and what to do: that becomes
 * a {@link DatabaseError} with its message and hint. Other failures return null.
 */
function refusedMigration(error: unknown, migration: Migration): DatabaseError | null {
  if (sqlState(error) !== 'P0001') return null;
  let current: unknown = error;
  while (current !== null && typeof current === 'object' && !('hint' in current) && 'cause' in current) current = (current as { cause?: unknown }).cause;
  const { message, hint } = (current ?? {}) as { message?: string; hint?: string };
  return new DatabaseError(
    `migration ${migration.version} (${migration.name}) cannot be applied, nothing was changed: ${message ?? 'it refused the data it found'}` +
      `${hint ? `\n${hint}` : ''}`,
    { cause: error },
  );
}
