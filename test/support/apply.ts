/** Applying a desired state directly through the library, as the CLI does without the files and the prompt. */
import type { DatabasePool } from 'slonik';
import { applyWithLock, type ApplyResult } from '../../src/apply/apply.ts';
import type { OrgState } from '../../src/model/state.ts';
import { plan, type PlanOptions } from '../../src/plan/planner.ts';
import type { Plan } from '../../src/plan/types.ts';

export const TEST_AUDIT = { actor: 'test', gitCommit: null, configHash: 'sha256:test', rosterVersion: 'test' };

/** Guard rails off: for tests about something else, with small organizations that have no administrator. */
export const NO_GUARDS = { maxDeactivations: { percent: 100 }, maxReassignments: { percent: 100 }, minAdmins: 0 } as const;

/** Plans `desired` against the locked state and applies it. `tamper` may alter the plan or hashes first. */
export function applyState(
  pool: DatabasePool,
  desired: OrgState,
  options: Partial<PlanOptions> & { passwordHashes?: Map<string, string>; tamper?: (plan: Plan) => Plan } = {},
): Promise<ApplyResult> {
  return applyWithLock({
    pool,
    organization: desired.organization.key,
    lockTimeoutMs: 10_000,
    decide: async (stored) => {
      const planned = plan({ desired, actual: stored?.state ?? null, options: { limits: NO_GUARDS, ...options } });
      return { plan: options.tamper ? options.tamper(planned) : planned, passwordHashes: options.passwordHashes ?? new Map(), audit: TEST_AUDIT };
    },
  });
}
