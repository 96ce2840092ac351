/**
 * Database faults injected into real applies: the server unreachable, a role that does not exist, the apply's
 * connection terminated mid-transaction, a statement timeout, a schema that is missing, privileges that are
 * missing. Each must end with exit 1 and one paragraph that says what to do, no stack trace, and nothing written.
 */
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { sql } from '../../src/db/sql.ts';
import { org, toConfigObject, user } from '../support/builders.ts';
import { runRoster, writeConfig, type RunResult } from '../support/cli.ts';
import { createTestDatabase, useTestDatabase, type TestDatabase } from '../support/database.ts';
import { snapshot } from '../support/inspect.ts';
import { applyState } from '../support/apply.ts';
import { reportCounts } from '../support/scale.ts';

const database = useTestDatabase();
let db: TestDatabase;
beforeAll(async () => {
  db = database();
  await applyState(db.pool, before);
});

const before = org({ key: 'faults', users: [user('ann@faults.com'), user('bob@faults.com'), user('cy@faults.com')] });
const after = org({
  key: 'faults',
  users: [user('ann@faults.com', { role: 'editor' }), user('bob@faults.com'), ...Array.from({ length: 50 }, (_, i) => user(`new${i}@faults.com`))],
});

/** Counts every fault this file injects, for RELIABILITY.md. */
let injected = 0;

/** Asserts the shape every database failure must have: exit 1, one paragraph naming the problem, no trace. */
function expectOneParagraph(result: RunResult, pattern: RegExp): void {
  expect(result.code).toBe(1);
  expect(result.stdout).not.toMatch(/^Applied/m);
  const message = result.stderr.replace(/^Using the embedded.*\n/, '');
  expect(message).toMatch(/^error: /);
  expect(message.trimEnd().split('\n')).toHaveLength(1);
  expect(message).toMatch(pattern);
  expect(message).not.toMatch(/internal error|\n\s+at |node_modules|\.ts:\d+/);
}

async function applyAfter(url: string, extra: string[] = []): Promise<RunResult> {
  const dir = await writeConfig({ 'org.yaml': toConfigObject(after) });
  return runRoster(['apply', dir, '--yes', '--database-url', url, ...extra]);
}

/** Makes every insert into and update of users sleep (a statement-level trigger), so a fault can be injected while apply waits. */
async function slowWrites(seconds: 3 | 30): Promise<void> {
  const body =
    seconds === 3
      ? sql.unsafe`create or replace function fault_sleep() returns trigger language plpgsql as $$ begin perform pg_sleep(3); return null; end $$`
      : sql.unsafe`create or replace function fault_sleep() returns trigger language plpgsql as $$ begin perform pg_sleep(30); return null; end $$`;
  await db.pool.query(body);
  await db.pool.query(sql.unsafe`drop trigger if exists fault_sleep on users`);
  await db.pool.query(sql.unsafe`create trigger fault_sleep after insert or update on users for each statement execute function fault_sleep()`);
}

/** Waits until the apply sleeps inside its transaction, then terminates its connection; returns how many it cut. */
async function terminateSleepingApply(): Promise<number> {
  for (let attempt = 0; attempt < 200; attempt++) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    const terminated = Number(
      await db.pool.oneFirst(sql.unsafe`
        select count(pg_terminate_backend(pid))::int from pg_stat_activity
         where datname = ${db.name} and wait_event = 'PgSleep' and xact_start is not null`),
    );
    if (terminated > 0) return terminated;
  }
  return 0;
}

afterEach(async () => {
  await db.pool.query(sql.unsafe`drop trigger if exists fault_sleep on users`);
  await db.pool.query(sql.unsafe`alter database ${sql.identifier([db.name])} reset statement_timeout`);
});

describe('database faults during apply', () => {
  it('the connection terminated mid-transaction: exit 1, what to do, nothing written', async () => {
    const stored = await snapshot(db.pool, 'faults');
    await slowWrites(30);
    const running = applyAfter(db.url);
    expect(await terminateSleepingApply()).toBe(1);
    injected++;
    const result = await running;
    expectOneParagraph(result, /connection to the database .*was lost.*nothing was applied.*run .*again/i);
    expect(await snapshot(db.pool, 'faults')).toBe(stored);
  });

  it('a statement timeout: exit 1, what to do, nothing written', async () => {
    const stored = await snapshot(db.pool, 'faults');
    await slowWrites(3);
    await db.pool.query(sql.unsafe`alter database ${sql.identifier([db.name])} set statement_timeout = '500ms'`);
    injected++;
    const result = await applyAfter(db.url);
    expectOneParagraph(result, /statement_timeout.*nothing was applied/i);
    expect(await snapshot(db.pool, 'faults')).toBe(stored);
  });

  it('the connection terminated during the commit: says the outcome is unknown and how to find out', async () => {
    const stored = await snapshot(db.pool, 'faults');
    // A deferred constraint trigger runs at COMMIT: the apply is then waiting for the commit's answer.
    await db.pool.query(sql.unsafe`
      create or replace function fault_sleep() returns trigger language plpgsql as $$ begin perform pg_sleep(30); return null; end $$`);
    await db.pool.query(sql.unsafe`
      create constraint trigger fault_sleep_at_commit after insert on audit_applies
      deferrable initially deferred for each row execute function fault_sleep()`);
    try {
      const running = applyAfter(db.url);
      expect(await terminateSleepingApply()).toBe(1);
      injected++;
      const result = await running;
      expectOneParagraph(result, /lost .*the commit had been sent, so the apply may or may not have taken effect\. Run `roster plan` to see whether it did/);
      // Cut before the commit finished, so in fact nothing was applied.
      expect(await snapshot(db.pool, 'faults')).toBe(stored);
    } finally {
      await db.pool.query(sql.unsafe`drop trigger if exists fault_sleep_at_commit on audit_applies`);
    }
  });

  it('a read-only database: exit 1, what to do, nothing written', async () => {
    const stored = await snapshot(db.pool, 'faults');
    await db.pool.query(sql.unsafe`alter database ${sql.identifier([db.name])} set default_transaction_read_only = on`);
    try {
      injected++;
      const result = await applyAfter(db.url);
      expectOneParagraph(result, /is read-only .*nothing was applied\. Point --database-url at the primary server/);
    } finally {
      await db.pool.query(sql.unsafe`alter database ${sql.identifier([db.name])} reset default_transaction_read_only`);
    }
    expect(await snapshot(db.pool, 'faults')).toBe(stored);
  });

  it('after each fault, the same apply succeeds', async () => {
    const result = await applyAfter(db.url);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('50 to create');
    await applyState(db.pool, before);
  });
});

describe('databases roster cannot use', () => {
  it('an unreachable server', async () => {
    injected++;
    const result = await applyAfter('postgres://roster:topsecret@127.0.0.1:1/nowhere');
    expectOneParagraph(result, /cannot connect to the database at postgres:\/\/roster:\*\*\*@127\.0\.0\.1:1\/nowhere: .*Check --database-url/);
    expect(result.stderr).not.toContain('topsecret');
  });

  it('a role that does not exist', async () => {
    injected++;
    const url = new URL(db.url);
    url.username = 'roster_no_such_role';
    url.password = 'wrong-password';
    const result = await applyAfter(url.toString());
    expectOneParagraph(result, /cannot connect.*roster_no_such_role.*credentials/);
    expect(result.stderr).not.toContain('wrong-password');
  });

  it('a database without the schema, for every command that reads it', async () => {
    const fresh = await createTestDatabase({ migrated: false });
    try {
      const dir = await writeConfig({ 'org.yaml': toConfigObject(after) });
      const out = await writeConfig({});
      for (const argv of [['plan', dir], ['apply', dir, '--yes'], ['drift', dir], ['export', '--organization', 'faults', '--out', out]]) {
        injected++;
        const result = await runRoster([...argv, '--database-url', fresh.url]);
        expectOneParagraph(result, /no roster schema: run `roster migrate` first/);
      }
      expect(await fresh.pool.oneFirst(sql.unsafe`select count(*)::int from pg_tables where schemaname = 'public'`)).toBe(0);
    } finally {
      await fresh.drop();
    }
  });
});


describe('on the server', () => {
  it("roster's sessions are named application_name=roster unless the connection string names them", async () => {
    await slowWrites(3);
    const running = applyAfter(db.url);
    let names: readonly string[] = [];
    for (let i = 0; i < 200 && names.length === 0; i++) {
      await new Promise((resolve) => setTimeout(resolve, 25));
      names = (await db.pool.anyFirst(sql.unsafe`
        select application_name from pg_stat_activity where datname = ${db.name} and wait_event = 'PgSleep'`)) as readonly string[];
    }
    // Inside an apply's transaction the name also says who applies, so that a refused lock can name its holder.
    expect(names).toEqual([expect.stringMatching(/^roster: apply by .+ \(pid \d+\)$/)]);
    await db.pool.query(sql.unsafe`select pg_cancel_backend(pid) from pg_stat_activity where datname = ${db.name} and wait_event = 'PgSleep'`);
    injected++;
    const result = await running;
    expectOneParagraph(result, /a statement was cancelled on the server \(canceling statement due to user request\); the transaction was rolled back and nothing was applied\. Run roster again/);
  });
});

describe('the record', () => {
  it('injected every fault', () => {
    reportCounts('database faults', `${injected} faults injected`);
    expect(injected).toBe(11);
  });
});
