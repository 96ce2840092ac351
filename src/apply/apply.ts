/**
 * Applying a reviewed plan: one transaction, under a per-organization advisory lock, re-planning against the
 * locked state first so that exactly the reviewed changes are made, and writing the audit trail with them.
 */
import type { DatabasePool } from 'slonik';
import { PlanRejectedError } from '../errors.ts';
import { readOrganization } from '../db/read-state.ts';
import { sql } from '../db/sql.ts';
import type { OrgState } from '../model/state.ts';
import { plan as computePlan } from '../plan/planner.ts';
import type { Change, Plan, PlanSummary } from '../plan/types.ts';
import { executeChanges } from './execute.ts';

/** First half of every roster advisory lock key ('rost'); the second half is derived from the organization key. */
export const ADVISORY_LOCK_NAMESPACE = 0x726f7374;

export interface AuditContext {
  readonly actor: string;
  readonly gitCommit: string | null;
  readonly configHash: string;
  readonly rosterVersion: string;
}

export interface ApplyOptions {
  readonly pool: DatabasePool;
  /** The configuration the plan was made from: re-planned under the lock to prove nothing moved. */
  readonly desired: OrgState;
  /** The plan the person reviewed. */
  readonly reviewed: Plan;
  /** Hashes of new users' initial passwords, by email key. */
  readonly passwordHashes: ReadonlyMap<string, string>;
  readonly audit: AuditContext;
}

export interface ApplyResult {
  readonly summary: PlanSummary;
  /** Id of the audit_applies row, or null when there was nothing to do. */
  readonly auditId: number | null;
}

/** The database changed between plan and apply, so the reviewed plan is no longer what would happen. */
export class StalePlanError extends PlanRejectedError {}

/**
 * Applies `reviewed` in one transaction. Throws {@link PlanRejectedError} when the plan has problems,
 * {@link StalePlanError} when the database no longer matches what the plan was computed from; nothing is written then.
 */
export async function applyPlan(options: ApplyOptions): Promise<ApplyResult> {
  const { reviewed } = options;
  if (reviewed.problems.length > 0) {
    throw new PlanRejectedError(`the plan has ${reviewed.problems.length} problem(s) and cannot be applied:\n${reviewed.problems.map((p) => `  ${p.message}`).join('\n')}`);
  }
  return options.pool.transaction(async (tx) => {
    await tx.query(sql.unsafe`select pg_advisory_xact_lock(${ADVISORY_LOCK_NAMESPACE}, hashtext(${reviewed.organization}))`);
    const stored = await readOrganization(tx, reviewed.organization);
    const current = computePlan({ desired: options.desired, actual: stored?.state ?? null });
    if (!sameChanges(current.changes, reviewed.changes)) {
      throw new StalePlanError(
        `the database changed since the plan was made (organization ${reviewed.organization}); nothing was applied. Run plan again and review it.`,
      );
    }
    if (reviewed.changes.length === 0) return { summary: reviewed.summary, auditId: null };
    const organizationId = await executeChanges({
      tx,
      organizationId: stored?.id ?? null,
      changes: reviewed.changes,
      passwordHashes: options.passwordHashes,
    });
    const auditId = await writeAudit(tx, organizationId, reviewed, options.audit);
    return { summary: reviewed.summary, auditId };
  });
}

function sameChanges(a: readonly Change[], b: readonly Change[]): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

async function writeAudit(
  tx: Parameters<Parameters<DatabasePool['transaction']>[0]>[0],
  organizationId: number,
  plan: Plan,
  audit: AuditContext,
): Promise<number> {
  const id = Number(
    await tx.oneFirst(sql.unsafe`
      insert into audit_applies (organization_id, actor, git_commit, config_hash, roster_version, summary)
      values (${organizationId}, ${audit.actor}, ${audit.gitCommit}, ${audit.configHash}, ${audit.rosterVersion}, ${sql.jsonb(plan.summary as never)})
      returning id`),
  );
  const rows = plan.changes.map((change, position) => [
    position,
    change.type,
    change.action,
    change.key,
    JSON.stringify(auditFields(change)),
  ]);
  await tx.query(sql.unsafe`
    insert into audit_changes (apply_id, position, type, action, key, fields)
    select ${id}, v.position, v.type, v.action, v.key, v.fields::jsonb
      from ${sql.unnest(rows, ['int4', 'text', 'text', 'text', 'text'])} as v (position, type, action, key, fields)`);
  return id;
}

/** What the audit keeps of a change: its fields (before and after), and for a new user whether a password was set, never which. */
function auditFields(change: Change): Record<string, unknown> {
  if (change.type === 'user' && change.action === 'create') {
    return { ...change.fields, active: { before: null, after: change.active }, initialPassword: change.initialPassword ? 'set' : 'none' };
  }
  return { ...change.fields };
}
