/**
 * The organization lock (issue 16): a 64-bit key per organization, so that organizations whose 32-bit hashtext
 * collides (team-103077 and team-239063) never wait for each other; and a refused lock names who holds it. Real roster
 * processes against a real PostgreSQL: one apply is held inside its transaction (a row it must update is locked by the
 * test) while others run.
 */
import { createPool } from 'slonik';
import { beforeAll, describe, expect, it } from 'vitest';
import { sql } from '../../src/db/sql.ts';
import type { OrgState } from '../../src/model/state.ts';
import { hashPassword } from '../../src/secrets/password.ts';
import { company, org, toConfigObject, user } from '../support/builders.ts';
import { runRoster, spawnRoster, startRoster, writeConfig } from '../support/cli.ts';
import { useTestDatabase, type TestDatabase } from '../support/database.ts';

const database = useTestDatabase();
let db: TestDatabase;
beforeAll(() => {
  db = database();
});

const BOSS_HASH = await hashPassword('boss-password-for-tests');

function team(key: string, name: string): OrgState {
  return org({
    key,
    name,
    companies: [company('hq')],
    users: [user(`boss@${key}.com`, { role: 'admin', initialPassword: { kind: 'hash', hash: BOSS_HASH, file: '', pointer: [] } })],
  });
}

async function config(state: OrgState): Promise<string> {
  return writeConfig({ 'org.yaml': toConfigObject(state) });
}

/** Waits until some roster session of this database waits for a lock inside its transaction. */
async function rosterWaitsForALock(): Promise<void> {
  for (;;) {
    const waiting = Number(
      await db.pool.oneFirst(sql.unsafe`
        select count(*)::int from pg_stat_activity
         where datname = current_database() and application_name like 'roster%' and wait_event_type = 'Lock'`),
    );
    if (waiting > 0) return;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

describe('the organization lock', () => {
  it('lets team-103077 and team-239063 apply at the same time, and names the holder when a lock is refused', async () => {
    // The two keys share a 32-bit hashtext: with a lock derived from it, one would wait for the other.
    expect(await db.pool.oneFirst(sql.unsafe`select hashtext('team-103077') = hashtext('team-239063')`)).toBe(true);
    for (const key of ['team-103077', 'team-239063']) {
      const seeded = await runRoster(['apply', await config(team(key, 'Before')), '--yes'], { env: { DATABASE_URL: db.url } });
      expect(seeded.code, seeded.stderr).toBe(0);
    }

    // The test locks team-103077's row, so that an apply renaming it holds its organization lock and waits.
    const blocker = await createPool(db.url, { maximumPoolSize: 1 });
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    let rowLocked!: () => void;
    const isRowLocked = new Promise<void>((resolve) => (rowLocked = resolve));
    const blocking = blocker.transaction(async (tx) => {
      await tx.query(sql.unsafe`select 1 from organizations where key = 'team-103077' for update`);
      rowLocked();
      await released;
    });
    try {
      await isRowLocked;
      const first = startRoster(['apply', await config(team('team-103077', 'First')), '--yes', '--actor', 'alice'], { env: { DATABASE_URL: db.url } });
      await rosterWaitsForALock();

      // The other organization does not wait for it.
      const other = await spawnRoster(['apply', await config(team('team-239063', 'Other')), '--yes', '--lock-timeout', '5'], { env: { DATABASE_URL: db.url } });
      expect(other.stderr).not.toContain('held its lock');
      expect(other.code).toBe(0);
      expect(await db.pool.oneFirst(sql.unsafe`select name from organizations where key = 'team-239063'`)).toBe('Other');

      // The same organization does, and is told who holds the lock: actor, process, since when.
      const second = await spawnRoster(['apply', await config(team('team-103077', 'Second')), '--yes', '--lock-timeout', '1'], {
        env: { DATABASE_URL: db.url },
      });
      expect(second.code).toBe(1);
      expect(second.stderr).toContain('error: another roster apply to organization team-103077 has held its lock for more than 1s');
      expect(second.stderr).toContain(`held by "roster: apply by alice (pid ${first.child.pid})"`);
      expect(second.stderr).toMatch(/server process \d+, database user [^,]+, since \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\); nothing was applied/);

      release();
      await blocking;
      const result = await first.done;
      expect(result.code, result.stderr).toBe(0);
      expect(await db.pool.oneFirst(sql.unsafe`select name from organizations where key = 'team-103077'`)).toBe('First');
    } finally {
      release();
      await blocking.catch(() => undefined);
      await blocker.end();
    }
  });
});
