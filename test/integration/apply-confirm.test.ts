/**
 * Plan, confirm, then lock (issue 10 item 6; issue 16): on a terminal, apply holds no lock and no transaction while
 * a person reads the plan; a row that moves meanwhile is reported and the new plan asked about again. A saved plan
 * never asks (the review was the confirmation). Checked from the server's side, in pg_locks and pg_stat_activity.
 */
import { PassThrough } from 'node:stream';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.ts';
import { sql } from '../../src/db/sql.ts';
import type { OrgState } from '../../src/model/state.ts';
import { hashPassword } from '../../src/secrets/password.ts';
import { company, org, role, toConfigObject, user } from '../support/builders.ts';
import { runRoster, spawnRoster, writeConfig, type RunResult } from '../support/cli.ts';
import { useTestDatabase, type TestDatabase } from '../support/database.ts';
import { snapshot, userRow } from '../support/inspect.ts';

const database = useTestDatabase();
let db: TestDatabase;
beforeAll(() => {
  db = database();
});

const PROMPT = 'Type "yes" to confirm';
const BOSS_HASH = await hashPassword('boss-password-for-tests');

function team(key: string, extra: Parameters<typeof org>[0] = {}): OrgState {
  return org({
    key,
    companies: [company('hq')],
    roles: [role('analyst', ['view_dashboards'])],
    users: [
      user(`boss@${key}.com`, { role: 'admin', initialPassword: { kind: 'hash', hash: BOSS_HASH, file: '', pointer: [] } }),
      user(`staff0@${key}.com`, { role: 'analyst' }),
      user(`staff1@${key}.com`, { role: 'analyst' }),
    ],
    ...extra,
  });
}

async function seed(state: OrgState): Promise<string> {
  const dir = await writeConfig({ 'org.yaml': toConfigObject(state) });
  const result = await runRoster(['apply', dir, '--yes'], { env: { DATABASE_URL: db.url } });
  expect(result.code, result.stderr).toBe(0);
  return dir;
}

/** roster running in this process on a pretend terminal whose keyboard the test types on, when it chooses. */
function onTerminal(argv: string[]) {
  const stdin = new PassThrough() as PassThrough & { isTTY?: boolean };
  stdin.isTTY = true;
  let stdout = '';
  let stderr = '';
  let finished = false;
  const done = main(argv, {
    stdout: { write: (s: string) => (stdout += s), isTTY: false },
    stderr: { write: (s: string) => (stderr += s), isTTY: false },
    stdin,
    env: { PATH: process.env.PATH, DATABASE_URL: db.url },
    cwd: process.cwd(),
  }).then((code): RunResult => {
    finished = true;
    return { code, stdout, stderr };
  });
  return {
    done,
    output: () => ({ stdout, stderr }),
    type: (line: string) => stdin.write(`${line}\n`),
    /** Resolves once the prompt has been shown `count` times (false if roster ended first). */
    async prompted(count: number): Promise<boolean> {
      while (stderr.split(PROMPT).length - 1 < count) {
        if (finished) return false;
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      return true;
    },
  };
}

/** What the database's other sessions hold right now: advisory locks, and sessions inside a transaction. */
async function heldByOthers(): Promise<{ advisoryLocks: number; openTransactions: number }> {
  const advisoryLocks = Number(
    await db.pool.oneFirst(sql.unsafe`
      select count(*)::int from pg_locks where locktype = 'advisory' and database = (select oid from pg_database where datname = current_database())`),
  );
  const openTransactions = Number(
    await db.pool.oneFirst(sql.unsafe`
      select count(*)::int from pg_stat_activity
       where datname = current_database() and pid <> pg_backend_pid() and (xact_start is not null or state like 'idle in transaction%')`),
  );
  return { advisoryLocks, openTransactions };
}

describe('apply on a terminal', () => {
  it('holds no lock and no transaction while the prompt waits, and asks again when a row it changes moved meanwhile', async () => {
    await seed(team('confirm'));
    const next = team('confirm', { users: team('confirm').users.map((u) => (u.email === 'staff0@confirm.com' ? { ...u, lastName: 'Renamed' } : u)) });
    const dir = await writeConfig({ 'org.yaml': toConfigObject(next) });
    const apply = onTerminal(['apply', dir]);
    expect(await apply.prompted(1)).toBe(true);
    expect(apply.output().stdout).toContain('staff0@confirm.com');
    expect(await heldByOthers()).toEqual({ advisoryLocks: 0, openTransactions: 0 });

    // Someone edits the very user the plan changes while the person reads it.
    await db.pool.query(sql.unsafe`update users set first_name = 'Moved' where email = 'staff0@confirm.com'`);
    apply.type('yes');
    expect(await apply.prompted(2)).toBe(true);
    const { stdout, stderr } = apply.output();
    expect(stderr).toContain('While the plan was shown, 1 row it changes moved; nothing was applied:\n  user:staff0@confirm.com (changed since the plan was made)');
    // The new plan shows the edit the files undo, and is asked about again.
    expect(stdout.slice(stdout.lastIndexOf('staff0@confirm.com'))).toContain('"Moved"');
    expect(await userRow(db.pool, 'confirm', 'staff0@confirm.com')).toMatchObject({ first_name: 'Moved', last_name: 'Doe' });
    expect(await heldByOthers()).toEqual({ advisoryLocks: 0, openTransactions: 0 });

    apply.type('yes');
    const result = await apply.done;
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toContain('Applied to organization confirm.');
    expect(await userRow(db.pool, 'confirm', 'staff0@confirm.com')).toMatchObject({ first_name: 'staff0', last_name: 'Renamed' });
  });

  it('writes nothing and takes no lock when the person declines', async () => {
    await seed(team('decline'));
    const dir = await writeConfig({ 'org.yaml': toConfigObject(team('decline', { name: 'Declined Inc.' })) });
    const before = await snapshot(db.pool, 'decline');
    const apply = onTerminal(['apply', dir]);
    expect(await apply.prompted(1)).toBe(true);
    expect(await heldByOthers()).toEqual({ advisoryLocks: 0, openTransactions: 0 });
    apply.type('no');
    const result = await apply.done;
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('Apply cancelled; nothing was changed.');
    expect(await snapshot(db.pool, 'decline')).toBe(before);
  });
});

describe('apply PLAN', () => {
  it('does not ask for confirmation again: the reviewed plan was the confirmation', async () => {
    await seed(team('noask'));
    const dir = await writeConfig({ 'org/org.yaml': toConfigObject(team('noask', { name: 'No Ask Inc.' })) });
    const planned = await runRoster(['plan', 'org', '--out', 'plan.json'], { cwd: dir, env: { DATABASE_URL: db.url } });
    expect(planned.code, planned.stderr).toBe(0);
    // On a terminal where the person would answer "no", nothing is asked.
    const onTty = await runRoster(['apply', 'plan.json'], { cwd: dir, env: { DATABASE_URL: db.url }, typed: 'no\n' });
    expect(onTty.stderr).not.toContain(PROMPT);
    expect(onTty.stderr).toContain('Applied to organization noask. Changes: 0 to create, 1 to update');
    expect(onTty.code).toBe(0);
  });

  it('applies without --yes and without a terminal', async () => {
    await seed(team('nottyplan'));
    const dir = await writeConfig({ 'org/org.yaml': toConfigObject(team('nottyplan', { name: 'No TTY Inc.' })) });
    expect((await runRoster(['plan', 'org', '--out', join(dir, 'plan.json')], { cwd: dir, env: { DATABASE_URL: db.url } })).code).toBe(0);
    const result = await spawnRoster(['apply', 'plan.json'], { cwd: dir, env: { DATABASE_URL: db.url } });
    expect(result.stderr).not.toContain('needs confirmation');
    expect(result.code, result.stderr).toBe(0);
    expect(await db.pool.oneFirst(sql.unsafe`select name from organizations where key = 'nottyplan'`)).toBe('No TTY Inc.');
  });
});
