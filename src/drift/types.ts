/** A drift report: how the database differs from the configuration, seen as changes made outside roster. */

export const DRIFT_FORMAT_VERSION = 1;

export type DriftKind =
  /** Fields differ: edited in the app or by hand. */
  | 'edited'
  /** In the database, in no file. */
  | 'unmanaged'
  /** In the files, not in the database. */
  | 'missing'
  /** Active in the files, deactivated in the database. */
  | 'deactivated'
  /** Deactivated in the files (`active: false`), active in the database. */
  | 'reactivated';

export interface DriftItem {
  readonly type: 'organization' | 'company' | 'role' | 'user';
  readonly key: string;
  readonly kind: DriftKind;
  /** For edits: each differing field as the files have it and as the database has it. */
  readonly fields: Readonly<Record<string, { readonly config: unknown; readonly database: unknown }>>;
  /** When the database row was last changed (or created), if it exists. */
  readonly changedAt: string | null;
  /** Whether that was after roster's last apply (so outside roster); null when unknown. */
  readonly afterLastApply: boolean | null;
}

export interface DriftReport {
  readonly formatVersion: typeof DRIFT_FORMAT_VERSION;
  readonly organization: string;
  /** roster's last apply to the organization, from the audit trail. */
  readonly lastApply: { readonly at: string; readonly actor: string; readonly gitCommit: string | null } | null;
  readonly items: readonly DriftItem[];
  readonly summary: Readonly<Record<DriftKind, number>>;
}
