/**
 * The semantic difference between two configurations, without any database: the base configuration stands for the
 * stored state, the planner computes the changes, and they are grouped for a reviewer as creates, edits, renames,
 * removals and reactivations, with sensitive changes and guard rails judged on the files alone. Pure.
 */
import type { OrgState } from '../model/state.ts';
import { plan } from '../plan/planner.ts';
import type { Change, GuardLimits, GuardViolation, Plan, PlanSummary, SensitiveChange } from '../plan/types.ts';

export const DIFF_FORMAT_VERSION = 1;

export interface ConfigDiff {
  readonly formatVersion: typeof DIFF_FORMAT_VERSION;
  /** Always `configuration-only`: no database was read, so nothing here says what the database holds. */
  readonly review: 'configuration-only';
  readonly organization: string;
  /** How the two sides were named: paths, or `origin/main` and `working tree`. */
  readonly base: string;
  readonly head: string;
  readonly creates: readonly Change[];
  readonly edits: readonly Change[];
  /** User changes whose email changes (matched through formerEmails). */
  readonly renames: readonly Change[];
  /** Users deactivated (removed from the files or set inactive), companies and roles deleted. */
  readonly removals: readonly Change[];
  readonly reactivations: readonly Change[];
  readonly sensitive: readonly SensitiveChange[];
  readonly guardViolations: readonly GuardViolation[];
  readonly summary: PlanSummary;
}

export interface DiffInput {
  /** The configuration before (null when the base holds no configuration: everything is new). */
  readonly base: OrgState | null;
  readonly head: OrgState;
  readonly unmanagedUsers: 'deactivate' | 'ignore';
  readonly limits?: GuardLimits;
  readonly baseLabel: string;
  readonly headLabel: string;
}

/** Compares two configurations of the same organization. Pure. The caller checks the organization keys agree. */
export function diffConfigurations(input: DiffInput): ConfigDiff {
  const planned: Plan = plan({
    desired: input.head,
    actual: input.base,
    options: { unmanagedUsers: input.unmanagedUsers, ...(input.limits ? { limits: input.limits } : {}) },
  });
  const changes = planned.changes;
  const isRename = (c: Change) => c.type === 'user' && c.action !== 'create' && c.fields.email !== undefined;
  return {
    formatVersion: DIFF_FORMAT_VERSION,
    review: 'configuration-only',
    organization: planned.organization,
    base: input.baseLabel,
    head: input.headLabel,
    creates: changes.filter((c) => c.action === 'create'),
    renames: changes.filter(isRename),
    edits: changes.filter((c) => c.action === 'update' && !isRename(c)),
    removals: changes.filter((c) => c.action === 'deactivate' || c.action === 'delete'),
    reactivations: changes.filter((c) => c.action === 'reactivate' && !isRename(c)),
    sensitive: planned.sensitive,
    guardViolations: planned.guards.violations,
    summary: planned.summary,
  };
}
