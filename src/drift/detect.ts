/**
 * Drift detection: a pure function from the configuration, the stored state and its change times to a report.
 * It reads the plan the other way round: what apply would undo is what was changed outside roster.
 */
import { compareStrings } from '../errors.ts';
import type { LastApply } from '../db/read-state.ts';
import { emailKey, rowId, type OrgState, type UserSpec } from '../model/state.ts';
import { plan } from '../plan/planner.ts';
import { storedEmail, type Change, type PlanProblem } from '../plan/types.ts';
import { findSensitiveDrift, storedUserSummary } from './sensitive.ts';
import { DRIFT_FORMAT_VERSION, type DriftItem, type DriftKind, type DriftReport, type StoredUserSummary } from './types.ts';

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

/**
 * Classifies every difference between the configuration and the database, and lists first the access the database
 * grants beyond the files (drift/sensitive.ts). Deterministic.
 */
export function detectDrift(input: DriftInput): DriftReport {
  const planned = plan({ desired: input.desired, actual: input.actual, options: { unmanagedUsers: input.unmanagedUsers } });
  const inConfig = new Set(input.desired.users.map((u) => emailKey(u.email)));
  const storedUser = storedUserLookup(input.actual?.users ?? []);
  const items = planned.changes
    .map((change) => toItem(change, inConfig, input))
    // A rotation asked for in the files is a planned change, not drift.
    .filter((item) => item.kind !== 'edited' || Object.keys(item.fields).length > 0)
    .concat(planned.problems.filter((p) => p.kind !== 'still-referenced').map((problem) => invalidItem(problem, input)))
    .map((item) => withStoredUser(item, storedUser))
    .sort(
      (a, b) =>
        TYPE_ORDER.indexOf(a.type) - TYPE_ORDER.indexOf(b.type) ||
        KIND_ORDER.indexOf(a.kind) - KIND_ORDER.indexOf(b.kind) ||
        compareStrings(a.key, b.key),
    );
  const counts = Object.fromEntries(KIND_ORDER.map((kind) => [kind, items.filter((i) => i.kind === kind).length])) as Record<DriftKind, number>;
  const { invalid, ...rest } = counts;
  const sensitive =
    input.actual === null
      ? []
      : findSensitiveDrift({
          desired: input.desired,
          actual: input.actual,
          unmanagedUsers: input.unmanagedUsers,
          changeOf: (type, key) => changeOf(input, type, key),
        });
  const summary = { ...(invalid > 0 ? { invalid, ...rest } : rest), sensitive: sensitive.length };
  return { formatVersion: DRIFT_FORMAT_VERSION, organization: planned.organization, lastApply: input.lastApply, sensitive, items, summary };
}

/** When a stored row last changed, and whether that was after roster's last apply (null when either is unknown). */
function changeOf(input: DriftInput, type: DriftItem['type'], key: string): { changedAt: string | null; afterLastApply: boolean | null } {
  const changed = input.changedAt.get(rowId(type, key));
  const changedAt = changed === undefined ? null : new Date(changed).toISOString();
  const afterLastApply = changedAt !== null && input.lastApply !== null ? changedAt > input.lastApply.at : null;
  return { changedAt, afterLastApply };
}

/** The stored user of an email as drift prints it: the row with exactly that email, else the one with its key. */
function storedUserLookup(users: readonly UserSpec[]): (email: string) => UserSpec | undefined {
  const exact = new Map(users.map((u) => [u.email, u]));
  const byKey = new Map<string, UserSpec>();
  for (const u of users) if (!byKey.has(emailKey(u.email))) byKey.set(emailKey(u.email), u);
  return (email) => exact.get(email) ?? byKey.get(emailKey(email));
}

/** A user item of a row the database holds, with the user's role, company and active state there. */
function withStoredUser(item: DriftItem, storedUser: (email: string) => UserSpec | undefined): DriftItem {
  const user = item.type === 'user' && item.kind !== 'missing' ? storedUser(item.key) : undefined;
  if (user === undefined) return item;
  const database: StoredUserSummary = storedUserSummary(user);
  const { type, key, kind, ...rest } = item;
  return { type, key, kind, database, ...rest };
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
  return { type: change.type, key: storedKey, kind, fields, ...changeOf(input, change.type, storedKey) };
}

/** A stored row roster will not act on, as the plan's problem describes it. */
function invalidItem(problem: PlanProblem, input: DriftInput): DriftItem {
  return { type: problem.type, key: problem.key, kind: 'invalid', fields: {}, ...changeOf(input, problem.type, problem.key), message: problem.message };
}
