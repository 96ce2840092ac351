/**
 * When each stored row last changed, and who changed it: roster (an apply from the audit trail) or someone outside
 * roster (the row's updated_at, stamped by the triggers of migrations 0003/0005, is later than the last apply that
 * touched it). Pure.
 */
import { emailKey } from '../model/state.ts';
import type { AuditApply, AuditChange } from './audit-trail.ts';

/** The apply that made a change, as a review names it. */
export interface ApplyReference {
  readonly applyId: number;
  /** ISO 8601, UTC. */
  readonly at: string;
  readonly actor: string;
  readonly databaseRole: string | null;
  readonly gitCommit: string | null;
}

/** A row's last change: by an apply, or outside roster (with the last apply that touched it, if any). */
export type LastChange =
  | ({ readonly source: 'roster' } & ApplyReference)
  | { readonly source: 'outside-roster'; readonly at: string; readonly lastApply: ApplyReference | null };

/** How an apply is named in reports. */
export function applyReference(apply: AuditApply): ApplyReference {
  return { applyId: apply.id, at: new Date(apply.atMs).toISOString(), actor: apply.actor, databaseRole: apply.databaseRole, gitCommit: apply.gitCommit };
}

/** The identity of a changed row: `user:<email key>`, `role:<key>`, `company:<key>`, `organization:<key>`. */
export function changeId(change: Pick<AuditChange, 'type' | 'key'>): string {
  return `${change.type}:${change.type === 'user' ? emailKey(change.key) : change.key}`;
}

/** The last apply that touched each row, by {@link changeId}. */
export function lastApplies(applies: readonly AuditApply[]): Map<string, AuditApply> {
  const last = new Map<string, AuditApply>();
  for (const apply of applies) for (const change of apply.changes) last.set(changeId(change), apply);
  return last;
}

/**
 * A row's last change, from its change time (`changedAtMs`, undefined when unknown) and the last apply that touched
 * it. A row no apply touched was made or last changed outside roster.
 */
export function lastChangeOf(changedAtMs: number | undefined, apply: AuditApply | undefined): LastChange {
  if (apply !== undefined && (changedAtMs === undefined || changedAtMs <= apply.atMs)) return { source: 'roster', ...applyReference(apply) };
  return {
    source: 'outside-roster',
    at: new Date(changedAtMs ?? apply?.atMs ?? 0).toISOString(),
    lastApply: apply === undefined ? null : applyReference(apply),
  };
}
