/**
 * A fresh PostgreSQL database per test file, on the real server (ROSTER_TEST_DATABASE_URL names an admin
 * connection; default the local server with trust authentication), migrated, dropped afterwards.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll } from 'vitest';
import { createPool, type DatabasePool } from 'slonik';
import { migrate } from '../../src/db/migrate.ts';
import { sql } from '../../src/db/sql.ts';

export const ADMIN_URL = process.env.ROSTER_TEST_DATABASE_URL ?? 'postgres://root@127.0.0.1:5432/postgres';

export interface TestDatabase {
  readonly name: string;
  readonly url: string;
  readonly pool: DatabasePool;
  drop(): Promise<void>;
}

/** Creates an empty database; with `migrated` (default) roster's schema is already in it. */
export async function createTestDatabase(options: { migrated?: boolean } = {}): Promise<TestDatabase> {
  const name = `roster_test_${process.pid}_${randomBytes(4).toString('hex')}`;
  const admin = await createPool(ADMIN_URL, { maximumPoolSize: 1 });
  try {
    await admin.query(sql.unsafe`create database ${sql.identifier([name])}`);
  } finally {
    await admin.end();
  }
  const url = new URL(ADMIN_URL);
  url.pathname = `/${name}`;
  const pool = await createPool(url.toString(), { maximumPoolSize: 4 });
  if (options.migrated ?? true) await migrate(pool);
  return {
    name,
    url: url.toString(),
    pool,
    async drop() {
      await pool.end();
      const admin = await createPool(ADMIN_URL, { maximumPoolSize: 1 });
      try {
        await admin.query(sql.unsafe`drop database if exists ${sql.identifier([name])} with (force)`);
      } finally {
        await admin.end();
      }
    },
  };
}

/**
 * Gives the calling test file its own fresh, migrated database for all its tests, dropped afterwards.
 * Call at the top level of a test file; the returned function gives the database inside tests.
 */
export function useTestDatabase(): () => TestDatabase {
  let db: TestDatabase | undefined;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(async () => {
    await db?.drop();
  });
  return () => {
    if (!db) throw new Error('the test database is not ready yet');
    return db;
  };
}
