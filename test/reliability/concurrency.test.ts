/**
 * Concurrency with real processes: many applies of different configurations to one organization run one after the
 * other, each planned on what the previous one left, with an audit trail that replays to the final state; applies
 * to different organizations never wait for each other. ROSTER_CONCURRENT_APPLIES sets how many (default 6).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { readOrganization } from '../../src/db/read-state.ts';
import { sql } from '../../src/db/sql.ts';
import type { OrgState } from '../../src/model/state.ts';
import { plan } from '../../src/plan/planner.ts';
import { applyState, NO_GUARDS } from '../support/apply.ts';
import { org, toConfigObject, user } from '../support/builders.ts';
import { startRoster, writeConfig } from '../support/cli.ts';
import { useTestDatabase, type TestDatabase } from '../support/database.ts';
import { comparable, expectedState } from '../support/model.ts';
import { reportCounts, testSize } from '../support/scale.ts';

const WRITERS = testSize('ROSTER_CONCURRENT_APPLIES', 6);

const database = useTestDatabase();
let db: TestDatabase;
beforeAll(() => {
  db = database();
});

/** Writer k's configuration: shared users edited its way, its own users, and some of the others' deactivated. */
function variant(key: string, k: number): OrgState {
  return org({
    key,
    users: [
      user('admin@shared.test', { role: 'admin' }),
      ...Array.from({ length: 200 }, (_, i) => user(`shared${i}@shared.test`, { lastName: `Writer${k}`, role: (i + k) % 3 === 0 ? 'editor' : 'viewer' })),
      ...Array.from({ length: 20 + k }, (_, i) => user(`w${k}-${i}@shared.test`)),
    ],
  });
}

/** Starts `roster apply` of `state` as a child process. */
async function startApply(state: OrgState, args: string[]) {
  const dir = await writeConfig({ 'org.yaml': toConfigObject(state) });
  return startRoster(['apply', dir, '--yes', '--max-deactivations', '100%', '--max-reassignments', '100%', '--min-admins', '0', '--database-url', db.url, ...args], { cwd: dir });
}

describe('applies to one organization at once', () => {
  it(`${WRITERS} different configurations at once: serialised, the final state is one of them, the audit replays`, async () => {
    const key = 'shared';
    await applyState(db.pool, org({ key, users: [user('admin@shared.test', { role: 'admin' }), user('old@shared.test')] }));
    const initial = (await readOrganization(db.pool, key))!.state;
    const configs = Array.from({ length: WRITERS }, (_, k) => variant(key, k));

    const runs = await Promise.all(configs.map((config, k) => startApply(config, ['--actor', `writer-${k}`, '--lock-timeout', '600'])));
    const results = await Promise.all(runs.map((r) => r.done));
    for (const result of results) expect(result.code, result.stderr).toBe(0);

    // Replay the audit trail: each apply's changes are exactly what planning its configuration against the state
    // the previous apply left gives. Had two applies planned on the same state, this would not hold.
    const audit = (await db.pool.any(sql.unsafe`
      select a.actor, a.changes from audit_applies a join organizations o on o.id = a.organization_id
       where o.key = ${key} and a.actor like 'writer-%' order by a.id`)) as readonly { actor: string; changes: { type: string; action: string; key: string }[] }[];
    expect(audit.map((a) => a.actor).sort()).toEqual(configs.map((_, k) => `writer-${k}`).sort());
    let state: OrgState = initial;
    for (const row of audit) {
      const desired = configs[Number(row.actor.slice('writer-'.length))]!;
      const planned = plan({ desired, actual: state, options: { limits: NO_GUARDS } });
      expect(row.changes.map((c) => [c.type, c.action, c.key])).toEqual(planned.changes.map((c) => [c.type, c.action, c.key]));
      state = expectedState(desired, state);
    }
    const final = comparable((await readOrganization(db.pool, key))!.state);
    expect(final).toEqual(state);
    const last = configs[Number(audit.at(-1)!.actor.slice('writer-'.length))]!;
    expect(final.users.filter((u) => u.active)).toEqual(expectedState(last, null).users);
    reportCounts('concurrency, one organization', `${WRITERS} applies at once, serialised, audit replayed`);
  }, 3_600_000);
});

describe('applies to different organizations', () => {
  it('do not wait for each other: while one sits in its transaction, the others finish within a 1 s lock timeout', async () => {
    // Inserting this user sleeps, so the apply to 'paused' holds its organization's lock until it is killed.
    await db.pool.query(sql.unsafe`
      create function pause_apply() returns trigger language plpgsql as $$ begin perform pg_sleep(300); return null; end $$`);
    await db.pool.query(sql.unsafe`
      create trigger pause_apply after insert on users for each row when (new.email = 'sleepy@paused.test') execute function pause_apply()`);
    try {
      const paused = await startApply(org({ key: 'paused', users: [user('admin@paused.test', { role: 'admin' }), user('sleepy@paused.test')] }), []);
      for (let i = 0; i < 400; i++) {
        const sleeping = await db.pool.oneFirst(sql.unsafe`
          select count(*)::int from pg_stat_activity where datname = ${db.name} and wait_event = 'PgSleep'`);
        if (sleeping === 1) break;
        await new Promise((resolve) => setTimeout(resolve, 25));
      }

      const others = await Promise.all(
        Array.from({ length: WRITERS }, (_, k) =>
          startApply(org({ key: `tenant-${k}`, users: [user(`admin@tenant${k}.test`, { role: 'admin' }), user(`u@tenant${k}.test`)] }), ['--lock-timeout', '1']),
        ),
      );
      const same = await startApply(org({ key: 'paused', users: [user('admin@paused.test', { role: 'admin' })] }), ['--lock-timeout', '1']);
      for (const result of await Promise.all(others.map((o) => o.done))) expect(result.code, result.stderr).toBe(0);
      const blocked = await same.done;
      expect(blocked.code).toBe(1);
      expect(blocked.stderr).toContain('another roster apply to organization paused has held its lock for more than 1s (held by "roster: apply by ');
      expect(blocked.stderr).toContain('; nothing was applied.');
      for (let k = 0; k < WRITERS; k++) expect((await readOrganization(db.pool, `tenant-${k}`))?.state.users).toHaveLength(2);

      reportCounts('concurrency, many organizations', `${WRITERS} applies to other organizations finished while one held its lock`);
      paused.child.kill('SIGKILL');
      await paused.done;
    } finally {
      await db.pool.query(sql.unsafe`select pg_terminate_backend(pid) from pg_stat_activity where datname = ${db.name} and wait_event = 'PgSleep'`);
      await db.pool.query(sql.unsafe`drop trigger pause_apply on users`);
    }
  }, 3_600_000);
});
