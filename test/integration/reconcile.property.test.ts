/** The core promise against real PostgreSQL: for random stored and desired organizations, apply converges. */
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { readOrganization } from '../../src/db/read-state.ts';
import type { OrgState } from '../../src/model/state.ts';
import { plan } from '../../src/plan/planner.ts';
import { COMPANY_KEYS, LOCAL_PARTS, ROLE_KEYS, orgState } from '../support/arbitraries.ts';
import { company, org, role, user } from '../support/builders.ts';
import { snapshot } from '../support/inspect.ts';
import { useTestDatabase, type TestDatabase } from '../support/database.ts';
import { comparable, expectedState } from '../support/model.ts';
import { applyState, NO_GUARDS } from '../support/apply.ts';

const runs = Number(process.env.ROSTER_DB_PROPERTY_RUNS ?? 300);

const database = useTestDatabase();
let db: TestDatabase;
beforeAll(() => {
  db = database();
});

async function converge(desired: OrgState): Promise<{ stored: OrgState | null; after: OrgState }> {
  const stored = (await readOrganization(db.pool, desired.organization.key))?.state ?? null;
  const reviewed = plan({ desired, actual: stored, options: { limits: NO_GUARDS } });
  if (reviewed.problems.length > 0 || reviewed.guards.violations.length > 0) return { stored, after: stored! };
  await applyState(db.pool, desired);
  return { stored, after: (await readOrganization(db.pool, desired.organization.key))!.state };
}

describe('reconcile against PostgreSQL', () => {
  it(`reaches the desired state and then plans nothing, and never touches another organization (${runs} random cases)`, async () => {
    // A bystander with the very emails, company and role keys the random organizations use.
    const bystander = org({
      key: 'bystander',
      companies: COMPANY_KEYS.map((key) => company(key)),
      roles: ROLE_KEYS.map((key) => role(key)),
      users: LOCAL_PARTS.map((local, i) => user(`${local}@acme.com`, { role: i === 0 ? 'admin' : ROLE_KEYS[0]!, company: COMPANY_KEYS[0]! })),
    });
    await applyState(db.pool, bystander);
    const untouched = await snapshot(db.pool, 'bystander');
    let n = 0;
    await fc.assert(
      fc.asyncProperty(orgState({ former: false }), orgState({ former: true }), async (initial, target) => {
        const key = `prop-${n++}`;
        const withKey = (s: OrgState) => ({ ...s, organization: { ...s.organization, key } });
        await converge(withKey(initial));
        const desired = withKey(target);
        const { stored, after } = await converge(desired);
        const planned = plan({ desired, actual: stored, options: { limits: NO_GUARDS } });
        if (planned.problems.length > 0 || planned.guards.violations.length > 0) return;
        expect(comparable(after)).toEqual(expectedState(desired, stored));
        expect(plan({ desired, actual: after }).changes).toEqual([]);
      }),
      { numRuns: runs },
    );
    expect(await snapshot(db.pool, 'bystander')).toBe(untouched);
  });
});
