/**
 * Applying a plan: one transaction holding the organization's advisory lock from before the state is read until
 * the commit, so what is decided on is what is changed, and two applies to one organization run one after the other.
 */
import type { DatabasePool, DatabaseTransactionConnection } from 'slonik';
import { PlanRejectedError, RosterError, UserError } from '../errors.ts';
import { isConnectionLost, sqlState } from '../db/failures.ts';
import { recordApply } from '../db/audit.ts';
import { readOrganization, type StoredOrganization } from '../db/read-state.ts';
import { sql } from '../db/sql.ts';
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

/** What to apply, decided while the lock is held. */
export interface Decision {
  readonly plan: Plan;
  /** Hashes of the passwords the plan sets, by email key. */
  readonly passwordHashes: ReadonlyMap<string, string>;
  readonly audit: AuditContext;
}

export interface ApplyOptions {
  readonly pool: DatabasePool;
  readonly organization: string;
  /** How long to wait for another apply to the same organization, in milliseconds. */
  readonly lockTimeoutMs: number;
  /**
   * Called with the stored organization once the lock is held: returns what to apply, or null to apply nothing
   * (no changes, or the person declined). Throwing rolls back; nothing is written.
   */
  readonly decide: (stored: StoredOrganization | null) => Promise<Decision | null>;
  /** Wraps each database phase (lock, read, execute, audit), for timings. */
  readonly timed?: <T>(phase: string, work: () => Promise<T>) => Promise<T>;
}

export interface ApplyResult {
  readonly summary: PlanSummary | null;
  /** Id of the audit_applies row, or null when nothing was applied. */
  readonly auditId: number | null;
}

/** Another apply holds the organization's lock for longer than the lock timeout. */
export class LockTimeoutError extends UserError {}

/**
 * The connection was lost after the commit was sent and before its answer came: the apply may or may not have
 * taken effect. `cause` is the connection's error.
 */
export class CommitOutcomeUnknownError extends RosterError {}

/** The rows a saved plan was computed from changed since. */
export class StalePlanError extends PlanRejectedError {}

/**
 * Runs `decide` and applies its decision in one transaction under the organization's advisory lock.
 * Throws {@link LockTimeoutError}, {@link PlanRejectedError} (plan problems or guard violations), or whatever
 * `decide` throws; nothing is written then. Throws {@link CommitOutcomeUnknownError} when the connection is lost
 * during the commit, and the database's own error when it fails before.
 */
export async function applyWithLock(options: ApplyOptions): Promise<ApplyResult> {
  const timed = options.timed ?? (<T>(_phase: string, work: () => Promise<T>) => work());
  let committing = false;
  try {
    return await options.pool.transaction(async (tx) => {
      const result = await inTransaction(tx);
      committing = true;
      return result;
    });
  } catch (error) {
    if (committing && isConnectionLost(error)) throw new CommitOutcomeUnknownError('the connection was lost during the commit', { cause: error });
    throw error;
  }

  async function inTransaction(tx: DatabaseTransactionConnection): Promise<ApplyResult> {
    await timed('lock', () => lockOrganization(tx, options.organization, options.lockTimeoutMs));
    const stored = await timed('read', () => readOrganization(tx, options.organization));
    const decision = await options.decide(stored);
    if (decision === null || decision.plan.changes.length === 0) return { summary: decision?.plan.summary ?? null, auditId: null };
    assertApplicable(decision.plan);
    const organizationId = await timed('execute', () =>
      executeChanges({
        tx,
        organizationId: stored?.id ?? null,
        changes: decision.plan.changes,
        passwordHashes: decision.passwordHashes,
        userIds: stored?.userIds ?? new Map(),
      }),
    );
    const auditId = await timed('audit', () => writeAudit(tx, organizationId, decision.plan, decision.audit));
    return { summary: decision.plan.summary, auditId };
  }
}

/** Throws {@link PlanRejectedError} while the plan has problems or breaks a guard rail. */
export function assertApplicable(plan: Plan): void {
  const reasons = [...plan.problems.map((p) => p.message), ...plan.guards.violations.map((v) => v.message)];
  if (reasons.length > 0) {
    throw new PlanRejectedError(`the plan cannot be applied; nothing was applied:\n${reasons.map((r) => `  ${r}`).join('\n')}`);
  }
}

async function lockOrganization(tx: DatabaseTransactionConnection, organization: string, timeoutMs: number): Promise<void> {
  await tx.query(sql.unsafe`select set_config('lock_timeout', ${`${Math.max(1, Math.round(timeoutMs))}ms`}, true)`);
  try {
    await tx.query(sql.unsafe`select pg_advisory_xact_lock(${ADVISORY_LOCK_NAMESPACE}, hashtext(${organization}))`);
  } catch (error) {
    if (sqlState(error) === '55P03') {
      throw new LockTimeoutError(
        `another roster apply to organization ${organization} has held its lock for more than ${Math.round(timeoutMs / 1000)}s; ` +
          'nothing was applied. Wait for it to finish and try again, or raise --lock-timeout.',
        { cause: error },
      );
    }
    throw error;
  }
  // The wait is over: the apply's own statements are not bound by it.
  await tx.query(sql.unsafe`select set_config('lock_timeout', '0', true)`);
}

async function writeAudit(tx: DatabaseTransactionConnection, organizationId: number, plan: Plan, audit: AuditContext): Promise<number> {
  // One JSON value for all changes: a single parameter, however many there are.
  const changes = JSON.stringify(plan.changes.map(auditEntry));
  return recordApply(tx, { organizationId, ...audit, summary: plan.summary, changesJson: changes });
}

/**
 * What the audit keeps of a change. A created user is kept as its values (`after`; every `before` would be null),
 * which halves the audit of a large import; other changes keep each changed field's before and after. Whether a
 * password was set is recorded, never which.
 */
function auditEntry(change: Change): Record<string, unknown> {
  const { type, action, key } = change;
  if (change.type === 'user' && change.action === 'create') {
    const after: Record<string, unknown> = {};
    for (const [field, value] of Object.entries(change.fields)) if (field !== 'email') after[field] = value.after;
    return { type, action, key, after: { ...after, active: change.active, initialPassword: change.initialPassword ? 'set' : 'none' } };
  }
  return { type, action, key, fields: change.fields };
}
