/**
 * Crash safety: `roster apply` as a real child process, killed with SIGKILL at random moments of a large plan.
 * Afterwards the organization is exactly as before (byte for byte, audit included) or exactly as planned, never a
 * mix; the lock is free and the next apply succeeds. ROSTER_CRASH_RUNS sets the number of kills (default 24).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { readOrganization } from '../../src/db/read-state.ts';
import { sql } from '../../src/db/sql.ts';
import type { OrgState, UserSpec } from '../../src/model/state.ts';
import { applyState } from '../support/apply.ts';
import { company, org, role, toConfigObject, user } from '../support/builders.ts';
import { runRoster, startRoster, writeConfig } from '../support/cli.ts';
import { useTestDatabase, type TestDatabase } from '../support/database.ts';
import { snapshot } from '../support/inspect.ts';
import { comparable, expectedState } from '../support/model.ts';
import { reportCounts, testSize } from '../support/scale.ts';

const RUNS = testSize('ROSTER_CRASH_RUNS', 24);
const APPLICATION = 'roster-crash-test';

const database = useTestDatabase();
let db: TestDatabase;
beforeAll(() => {
  db = database();
});

/** Before: 1,000 users, some deactivated. */
function initial(key: string): OrgState {
  const users: UserSpec[] = Array.from({ length: 1000 }, (_, i) =>
    user(`person${i}@crash.test`, { role: i === 0 ? 'admin' : 'viewer', active: i === 0 || i % 50 !== 0 }),
  );
  return org({ key, name: 'Crash Before', companies: [company('hq'), company('labs')], users });
}

/**
 * After: every kind of change at once. The organization renamed, a company and a role created; a tenth of the users
 * edited, the deactivated ones reactivated, 40 deactivated, 3,000 created.
 */
function target(key: string): OrgState {
  const before = initial(key);
  const kept = before.users
    .filter((_, i) => i < 960)
    .map((u, i) => (i % 10 === 5 ? { ...u, lastName: `Edited${i}`, company: 'labs', role: 'auditor' } : { ...u, active: true }));
  const created = Array.from({ length: 3000 }, (_, i) => user(`new${i}@crash.test`, { company: i % 2 ? 'field' : 'hq' }));
  return org({
    key,
    name: 'Crash After',
    companies: [...before.companies, company('field')],
    roles: [role('auditor', ['view_dashboards', 'run_workflows'])],
    users: [...kept, ...created],
  });
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Whether the child's apply transaction is open: it holds its organization's advisory lock until the commit. */
async function childInTransaction(): Promise<boolean> {
  return (
    Number(
      await db.pool.oneFirst(sql.unsafe`
        select count(*)::int from pg_locks l join pg_stat_activity a on a.pid = l.pid
         where a.datname = ${db.name} and a.application_name = ${APPLICATION} and l.locktype = 'advisory' and l.granted`),
    ) > 0
  );
}

/** Waits until the killed child's server backend has gone (its transaction rolled back or committed). */
async function childBackendGone(): Promise<void> {
  for (let i = 0; i < 400; i++) {
    const left = Number(
      await db.pool.oneFirst(sql.unsafe`
        select count(*)::int from pg_stat_activity where datname = ${db.name} and application_name = ${APPLICATION}`),
    );
    if (left === 0) return;
    await sleep(25);
  }
  throw new Error('the killed apply left a backend behind for 10 s');
}

function childUrl(): string {
  const url = new URL(db.url);
  url.searchParams.set('application_name', APPLICATION);
  return url.toString();
}

describe('crash safety', () => {
  it(`SIGKILL at ${RUNS} random moments of a large apply leaves the state before or after, never a mix`, async () => {
    const outcomes = { before: 0, after: 0, killedInTransaction: 0 };
    // A full run first, to learn how long the apply takes on this machine.
    let fullMs = 0;
    let transactionMs = 0;
    for (let run = 0; run <= RUNS; run++) {
      const key = `crash-${run}`;
      await applyState(db.pool, initial(key));
      const before = await snapshot(db.pool, key);
      const stored = (await readOrganization(db.pool, key))!.state;
      const dir = await writeConfig({ 'org.yaml': toConfigObject(target(key)) });
      const started = performance.now();
      const running = startRoster(['apply', dir, '--yes', '--database-url', childUrl()], { cwd: dir });

      if (run === 0) {
        // Measure how long the whole run and its transaction take.
        let exited = false;
        void running.done.then(() => (exited = true));
        let transactionStart = 0;
        while (!exited) {
          const inside = await childInTransaction();
          if (inside && transactionStart === 0) transactionStart = performance.now();
          if (!inside && transactionStart > 0 && transactionMs === 0) transactionMs = performance.now() - transactionStart;
          await sleep(2);
        }
        expect((await running.done).code).toBe(0);
        fullMs = performance.now() - started;
        expect(transactionMs).toBeGreaterThan(0);
      } else if (run % 3 === 1) {
        // Anywhere in the run: start-up, loading, planning, inside the transaction, the commit, the exit.
        await sleep(Math.random() * fullMs);
        running.child.kill('SIGKILL');
      } else {
        // Two kills in three inside the transaction, at a random point of it.
        while (!(await childInTransaction()) && running.child.exitCode === null) await sleep(2);
        await sleep(Math.random() * transactionMs);
        if (await childInTransaction()) outcomes.killedInTransaction++;
        running.child.kill('SIGKILL');
      }
      await running.done;
      await childBackendGone();

      const now = await snapshot(db.pool, key);
      if (now === before) {
        outcomes.before++;
      } else {
        outcomes.after++;
        expect(comparable((await readOrganization(db.pool, key))!.state)).toEqual(expectedState(target(key), stored));
        expect(JSON.parse(now).audit).toHaveLength(JSON.parse(before).audit.length + 1);
      }

      // The lock is free, and applying again converges (a no-op when the killed apply had committed).
      const again = await runRoster(['apply', dir, '--yes', '--lock-timeout', '5', '--database-url', db.url], { cwd: dir });
      expect(again.code, again.stderr).toBe(0);
      expect(comparable((await readOrganization(db.pool, key))!.state)).toEqual(expectedState(target(key), stored));
      if (now !== before) expect(again.stdout).toContain('No changes');
    }
    reportCounts(
      'crash safety',
      `${RUNS} kills (a run takes ${Math.round(fullMs)} ms, its transaction ${Math.round(transactionMs)} ms), ` +
        `${outcomes.killedInTransaction} inside the transaction; the state before ${outcomes.before} times, after ${outcomes.after - 1} times`,
    );
    // Every kill ended in one of the two states (checked above); at least one landed inside the transaction.
    expect(outcomes.before + outcomes.after).toBe(RUNS + 1);
    expect(outcomes.killedInTransaction).toBeGreaterThan(0);
  }, 3_600_000);
});
