/**
 * roster history through the real executable, on a real PostgreSQL with three applies and hand-made SQL changes:
 * a rename followed both ways, deactivation by roster and reactivation outside it, a company change outside roster,
 * a role's timeline, and a backdoor user roster never created.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { buildHistory, type History } from '../support/audit-history.ts';
import { spawnRoster } from '../support/cli.ts';
import { useTestDatabase } from '../support/database.ts';

const database = useTestDatabase();
let history: History;
beforeAll(async () => {
  history = await buildHistory(database());
}, 120_000);

const roster = (args: string[]) => spawnRoster(args, { env: history.env, timeoutMs: 120_000 });

interface HistoryJson {
  formerEmails: string[];
  current: Record<string, unknown> | null;
  entries: { source: string; action: string; key: string; actor?: string; gitCommit?: string; at: string; changes: { field: string; before: unknown; after: unknown }[] }[];
}

describe('roster history', () => {
  it('follows a rename from the old email: created, renamed, deactivated, each with actor and commit', async () => {
    const result = await roster(['history', 'carol@acme.test', '--format', 'json']);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const report = JSON.parse(result.stdout) as HistoryJson;
    expect(report.current).toMatchObject({ email: 'carol.new@acme.test', active: false });
    expect(report.entries.map((e) => [e.source, e.action, e.key, e.actor, e.gitCommit])).toEqual([
      ['roster', 'create', 'carol@acme.test', 'ci-one', 'c1'],
      ['roster', 'update', 'carol.new@acme.test', 'ci-two', 'c2'],
      ['roster', 'deactivate', 'carol.new@acme.test', 'ci-three', 'c3'],
    ]);
    expect(report.entries[1]!.changes).toEqual([{ field: 'email', before: 'carol@acme.test', after: 'carol.new@acme.test' }]);
    // The same timeline from the new email, which names the old one.
    const fromNew = JSON.parse((await roster(['history', 'carol.new@acme.test', '--format', 'json'])).stdout) as HistoryJson;
    expect(fromNew.entries).toEqual(report.entries);
    expect(fromNew.formerEmails).toEqual(['carol@acme.test']);
  });

  it('shows changes made outside roster after the last apply: a reactivation and a company change, before → after', async () => {
    const erin = await roster(['history', 'erin@acme.test']);
    expect(erin.code).toBe(0);
    expect(erin.stdout).toMatch(/\S+ {2}deactivate erin@acme\.test by roster apply #3, actor ci-three, database role \S+, commit c3\n {4}active: true → false\n/);
    expect(erin.stdout).toMatch(/\S+ {2}reactivate erin@acme\.test: changed outside roster at \S+ \(seen by the database's change time\)\n {4}active: false → true\n$/);
    const bob = JSON.parse((await roster(['history', 'bob@acme.test', '--format', 'json'])).stdout) as HistoryJson;
    expect(bob.entries.at(-2)).toMatchObject({ source: 'roster', action: 'update', gitCommit: 'c2', changes: [{ field: 'role', before: 'analyst', after: 'editor' }] });
    expect(bob.entries.at(-1)).toMatchObject({ source: 'outside-roster', action: 'update', changes: [{ field: 'company', before: 'hq', after: 'labs' }] });
    expect(Date.parse(bob.entries.at(-1)!.at)).toBeGreaterThan(Date.parse(bob.entries.at(-2)!.at));
  });

  it('shows a user roster never created as created outside roster, and a role’s timeline in Markdown', async () => {
    const backdoor = await roster(['history', 'backdoor@evil.example', '--format', 'markdown']);
    expect(backdoor.code).toBe(0);
    expect(backdoor.stdout).toMatch(/\| create `backdoor@evil\.example` \| \*\*outside roster\*\* \| {2}\| `role` \| `\(none\)` \| `admin` \|/);
    const role = await roster(['history', 'role:analyst', '--format', 'markdown']);
    expect(role.code).toBe(0);
    expect(role.stdout).toContain('| create `analyst` | roster apply #1, ci-one');
    expect(role.stdout).toContain('| `permissions` | `(none)` | `[run_workflows, view_dashboards]` |');
  });

  it('says what is wrong with a key it cannot read or that names nothing', async () => {
    const bad = await roster(['history', 'nobody']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toBe("error: 'nobody' is neither an email nor role:KEY nor company:KEY (roster history bob@example.com, roster history role:editor)\n");
    const missing = await roster(['history', 'company:nowhere']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toBe("error: organization acme has no company 'nowhere' and the audit trail never mentions one\n");
  });
});
