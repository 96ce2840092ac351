/**
 * Applying a plan: one transaction holding the organization's advisory lock from before the state is read until
 * the commit, so what is decided on is what is changed, and two applies to one organization run one after the other.
 * Nothing in here waits for a person: the caller asks before, and resolves passwords before.
 */
import { createHash } from 'node:crypto';
import type { DatabasePool, DatabaseTransactionConnection } from 'slonik';
import { PlanRejectedError, RosterError, UserError } from '../errors.ts';
import { isConnectionLost, sqlState } from '../db/failures.ts';
import { recordApply } from '../db/audit.ts';
import { readOrganization, type StoredOrganization } from '../db/read-state.ts';
import { z } from 'zod';
import { sql } from '../db/sql.ts';
import type { Change, Plan, PlanSummary } from '../plan/types.ts';
import { executeChanges } from './execute.ts';

/**
 * The organization's advisory lock key: the first 8 bytes of a sha256 of its key, as a signed 64-bit integer for
 * the one-argument pg_advisory_xact_lock(bigint). (A 32-bit hashtext made organizations such as team-103077 and
 * team-239063 share a lock.) One-argument locks never meet the two-argument ones migrate takes.
 */
export function organizationLockKey(organization: string): bigint {
  return createHash('sha256').update(`roster organization lock\n${organization}`).digest().readBigInt64BE(0);
}

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
  /**
   * Who is applying, shown to another apply that waits for this one's lock: the session's application_name becomes
   * `roster: apply by <holder> (pid N)` for the transaction, unless the connection string named the session.
   */
  readonly holder?: string;
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
    await timed('lock', () => lockOrganization(tx, options.organization, options.lockTimeoutMs, options.holder));
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

/** Longest application_name PostgreSQL keeps (NAMEDATALEN - 1 bytes). */
const APPLICATION_NAME_BYTES = 63;

/** `roster: apply by <holder> (pid N)`, printable ASCII, cut to what PostgreSQL keeps. */
function sessionName(holder: string): string {
  const pid = ` (pid ${process.pid})`;
  const who = printable(holder).slice(0, APPLICATION_NAME_BYTES - 'roster: apply by '.length - pid.length);
  return `roster: apply by ${who}${pid}`;
}

/** Text from another session shown in a message: control and non-ASCII characters become `?`. */
function printable(text: string): string {
  return text.replace(/[^\x20-\x7e]/g, '?');
}

/** What set_config returns: the setting's new value. */
const Setting = z.object({ setting: z.string() });
/** The session holding an advisory lock, as pg_locks and pg_stat_activity show it to this role. */
const LockHolder = z.object({
  pid: z.number(),
  application_name: z.string().nullable(),
  usename: z.string().nullable(),
  client: z.string().nullable(),
  since: z.string().nullable(),
});

async function lockOrganization(tx: DatabaseTransactionConnection, organization: string, timeoutMs: number, holder: string | undefined): Promise<void> {
  if (holder !== undefined) {
    // Only roster's default name is replaced: a name chosen in the connection string stays, as its owner wants.
    await tx.query(sql.type(Setting)`
      select set_config('application_name', ${sessionName(holder)}, true) as setting where current_setting('application_name') = 'roster'`);
  }
  await tx.query(sql.type(Setting)`select set_config('lock_timeout', ${`${Math.max(1, Math.round(timeoutMs))}ms`}, true) as setting`);
  const key = organizationLockKey(organization);
  try {
    // In a savepoint, so that the transaction can still ask who holds the lock when the wait times out.
    await tx.transaction(async (attempt) => {
      await attempt.query(sql.type(z.object({ locked: z.literal(1) }))`select 1 as locked from pg_advisory_xact_lock(${key.toString()}::bigint)`);
    });
  } catch (error) {
    if (sqlState(error) === '55P03') {
      const who = await describeLockHolder(tx, key).catch(() => null);
      throw new LockTimeoutError(
        `another roster apply to organization ${organization} has held its lock for more than ${Math.round(timeoutMs / 1000)}s` +
          `${who ? ` (${who})` : ''}; nothing was applied. Wait for it to finish and try again, or raise --lock-timeout.`,
        { cause: error },
      );
    }
    throw error;
  }
  // The wait is over: the apply's own statements are not bound by it.
  await tx.query(sql.type(Setting)`select set_config('lock_timeout', '0', true) as setting`);
}

/**
 * Who holds the advisory lock `key`, from pg_locks and pg_stat_activity: the session's name (roster names it after
 * the actor and process), its server process, user and address, and since when its transaction runs. Fields the
 * database does not show this role are left out. Null when nobody holds it any more.
 */
async function describeLockHolder(tx: DatabaseTransactionConnection, key: bigint): Promise<string | null> {
  const unsigned = BigInt.asUintN(64, key);
  const high = (unsigned >> 32n).toString();
  const low = (unsigned & 0xffffffffn).toString();
  const row = await tx.maybeOne(sql.type(LockHolder)`
    select a.pid::int as pid, a.application_name, a.usename::text as usename, host(a.client_addr) as client,
           to_char(a.xact_start at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') as since
      from pg_locks l join pg_stat_activity a on a.pid = l.pid
     where l.locktype = 'advisory' and l.granted and l.objsubid = 1
       and l.database = (select oid from pg_database where datname = current_database())
       and l.classid::bigint = ${high}::bigint and l.objid::bigint = ${low}::bigint
     limit 1`);
  if (row === null) return null;
  const parts = [
    row.application_name ? `held by "${printable(row.application_name)}"` : 'held by a session',
    `server process ${row.pid}`,
    row.usename ? `database user ${printable(row.usename)}${row.client ? ` from ${printable(row.client)}` : ''}` : null,
    row.since ? `since ${row.since}` : null,
  ];
  return parts.filter((part) => part !== null).join(', ');
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
