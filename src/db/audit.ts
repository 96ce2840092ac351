/**
 * The audit trail's one way in: roster_record_apply() (migration 0007), which runs as the schema's owner and
 * stamps the time and the database role itself. The role roster runs as cannot insert into audit_applies directly.
 */
import type { CommonQueryMethods } from 'slonik';
import type { PlanSummary } from '../plan/types.ts';
import { z } from 'zod';
import { sql } from './sql.ts';

/** One apply, as the audit trail keeps it. */
export interface AppliedRecord {
  readonly organizationId: number;
  /** Who applied, as roster was told (--actor, ROSTER_ACTOR, the OS user). */
  readonly actor: string;
  readonly gitCommit: string | null;
  readonly configHash: string;
  readonly rosterVersion: string;
  readonly summary: PlanSummary;
  /** The changes, already serialised as one JSON array (a single parameter, however many there are). */
  readonly changesJson: string;
}

/** Appends one row to the audit trail and returns its id. Throws the database's error (rolling back the apply). */
export async function recordApply(db: CommonQueryMethods, record: AppliedRecord): Promise<number> {
  return Number(
    await db.oneFirst(sql.type(z.object({ id: z.union([z.number(), z.bigint()]) }))`
      select roster_record_apply(${record.organizationId}, ${record.actor}, ${record.gitCommit}, ${record.configHash},
                                 ${record.rosterVersion}, ${sql.jsonb({ ...record.summary })}, ${record.changesJson}::json) as id`),
  );
}
