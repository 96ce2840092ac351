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
  | 'reactivated'
  /**
   * In the database in a form roster will not act on (a NULL name, an email with invisible characters, two rows that
   * are one login, a predefined role changed by hand): `message` says what is wrong and what to do. Plans refuse
   * while any stands, and `drift --write` cannot accept it into the files.
   */
  | 'invalid';

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
  /** For `invalid` items: what is wrong and what to do. */
  readonly message?: string;
}

export interface DriftReport {
  readonly formatVersion: typeof DRIFT_FORMAT_VERSION;
  readonly organization: string;
  /** roster's last apply to the organization, from the audit trail. */
  readonly lastApply: { readonly at: string; readonly actor: string; readonly gitCommit: string | null } | null;
  readonly items: readonly DriftItem[];
  /** Items per kind; `invalid` only when there are some (reports from before it existed stay the same). */
  readonly summary: Readonly<Record<Exclude<DriftKind, 'invalid'>, number>> & { readonly invalid?: number };
}
