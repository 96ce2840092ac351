/**
 * Drift detection: a pure function from the configuration, the stored state and its change times to a report.
 * It reads the plan the other way round: what apply would undo is what was changed outside roster.
 */
import { compareStrings } from '../errors.ts';
import type { LastApply } from '../db/read-state.ts';
import { emailKey, rowId, type OrgState } from '../model/state.ts';
import { plan } from '../plan/planner.ts';
import { storedEmail, type Change, type PlanProblem } from '../plan/types.ts';
import { DRIFT_FORMAT_VERSION, type DriftItem, type DriftKind, type DriftReport } from './types.ts';

export interface DriftInput {
  readonly desired: OrgState;
  readonly actual: OrgState | null;
  readonly unmanagedUsers: 'deactivate' | 'ignore';
  /** When each stored row last changed, in milliseconds since the epoch, by rowId. */
  readonly changedAt: ReadonlyMap<string, number>;
  readonly lastApply: LastApply | null;
}

const KIND_ORDER: readonly DriftKind[] = ['invalid', 'edited', 'deactivated', 'reactivated', 'unmanaged', 'missing'];
const TYPE_ORDER = ['organization', 'company', 'role', 'user'];

/** Classifies every difference between the configuration and the database. Deterministic. */
export function detectDrift(input: DriftInput): DriftReport {
  const planned = plan({ desired: input.desired, actual: input.actual, options: { unmanagedUsers: input.unmanagedUsers } });
  const inConfig = new Set(input.desired.users.map((u) => emailKey(u.email)));
  const items = planned.changes
    .map((change) => toItem(change, inConfig, input))
    // A rotation asked for in the files is a planned change, not drift.
    .filter((item) => item.kind !== 'edited' || Object.keys(item.fields).length > 0)
    .concat(planned.problems.filter((p) => p.kind !== 'still-referenced').map((problem) => invalidItem(problem, input)))
    .sort(
      (a, b) =>
        TYPE_ORDER.indexOf(a.type) - TYPE_ORDER.indexOf(b.type) ||
        KIND_ORDER.indexOf(a.kind) - KIND_ORDER.indexOf(b.kind) ||
        compareStrings(a.key, b.key),
    );
  const counts = Object.fromEntries(KIND_ORDER.map((kind) => [kind, items.filter((i) => i.kind === kind).length])) as Record<DriftKind, number>;
  const { invalid, ...rest } = counts;
  const summary = invalid > 0 ? { invalid, ...rest } : rest;
  return { formatVersion: DRIFT_FORMAT_VERSION, organization: planned.organization, lastApply: input.lastApply, items, summary };
}

function toItem(change: Change, inConfig: ReadonlySet<string>, input: DriftInput): DriftItem {
  // The plan's "before" is the database and its "after" the files.
  const fields: Record<string, { config: unknown; database: unknown }> = {};
  let kind: DriftKind;
  switch (change.action) {
    case 'create':
      kind = 'missing';
      break;
    case 'delete':
      kind = 'unmanaged';
      break;
    case 'update':
      kind = 'edited';
      break;
    case 'reactivate':
      kind = 'deactivated';
      break;
    case 'deactivate':
      kind = inConfig.has(emailKey(change.key)) ? 'reactivated' : 'unmanaged';
      break;
  }
  if (kind !== 'missing' && kind !== 'unmanaged') {
    for (const [name, value] of Object.entries(change.fields) as [string, { before: unknown; after: unknown }][]) {
      if (name === 'resetPassword') continue; // a planned rotation is not drift
      fields[name] = { config: value.after, database: value.before };
    }
  }
  const storedKey = change.type === 'user' && change.action !== 'create' ? storedEmail(change) : change.key;
  const changed = input.changedAt.get(rowId(change.type, storedKey));
  const changedAt = changed === undefined ? null : new Date(changed).toISOString();
  const afterLastApply = changedAt !== null && input.lastApply !== null ? changedAt > input.lastApply.at : null;
  return { type: change.type, key: storedKey, kind, fields, changedAt, afterLastApply };
}

/** A stored row roster will not act on, as the plan's problem describes it. */
function invalidItem(problem: PlanProblem, input: DriftInput): DriftItem {
  const changed = input.changedAt.get(rowId(problem.type, problem.key));
  const changedAt = changed === undefined ? null : new Date(changed).toISOString();
  const afterLastApply = changedAt !== null && input.lastApply !== null ? changedAt > input.lastApply.at : null;
  return { type: problem.type, key: problem.key, kind: 'invalid', fields: {}, changedAt, afterLastApply, message: problem.message };
}
