/** The core promise against real PostgreSQL: for random stored and desired organizations, apply converges. */
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { readOrganization } from '../../src/db/read-state.ts';
import type { OrgState } from '../../src/model/state.ts';
import { PlanRejectedError } from '../../src/errors.ts';
import { plan } from '../../src/plan/planner.ts';
import { COMPANY_KEYS, LOCAL_PARTS, ROLE_KEYS, orgState } from '../support/arbitraries.ts';
import { company, org, role, user } from '../support/builders.ts';
import { snapshot } from '../support/inspect.ts';
import { useTestDatabase, type TestDatabase } from '../support/database.ts';
import { comparable, expectedState } from '../support/model.ts';
import { applyState, NO_GUARDS } from '../support/apply.ts';
import { reportCounts, testSize } from '../support/scale.ts';

const runs = testSize('ROSTER_DB_PROPERTY_RUNS', 300);

const database = useTestDatabase();
let db: TestDatabase;
beforeAll(() => {
  db = database();
});

/** Applies `desired`. A plan with problems must be refused with every row left as it was. */
async function converge(desired: OrgState): Promise<{ stored: OrgState | null; after: OrgState; refused: boolean }> {
  const key = desired.organization.key;
  const stored = (await readOrganization(db.pool, key))?.state ?? null;
  const reviewed = plan({ desired, actual: stored, options: { limits: NO_GUARDS } });
  if (reviewed.problems.length > 0) {
    const before = await snapshot(db.pool, key);
    await expect(applyState(db.pool, desired)).rejects.toThrow(PlanRejectedError);
    expect(await snapshot(db.pool, key)).toBe(before);
    return { stored, after: stored!, refused: true };
  }
  await applyState(db.pool, desired);
  return { stored, after: (await readOrganization(db.pool, key))!.state, refused: false };
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
    let converged = 0;
    let refused = 0;
    await fc.assert(
      fc.asyncProperty(orgState({ former: false }), orgState({ former: true }), async (initial, target) => {
        const key = `prop-${n++}`;
        const withKey = (s: OrgState) => ({ ...s, organization: { ...s.organization, key } });
        await converge(withKey(initial));
        const desired = withKey(target);
        const result = await converge(desired);
        if (result.refused) {
          refused++;
          return;
        }
        const { stored, after } = result;
        converged++;
        expect(comparable(after)).toEqual(expectedState(desired, stored));
        expect(plan({ desired, actual: after }).changes).toEqual([]);
      }),
      { numRuns: runs },
    );
    expect(await snapshot(db.pool, 'bystander')).toBe(untouched);
    reportCounts('reconcile against PostgreSQL', `${runs} random cases: ${converged} applied and converged, ${refused} refused (a deletion still referenced) with nothing written`);
  }, 3_600_000);
});
