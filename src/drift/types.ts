/** A drift report: how the database differs from the configuration, seen as changes made outside roster. */
import type { Permission } from '../model/permissions.ts';

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

/** A user as the database holds it: what a reviewer needs to judge access at a glance. */
export interface StoredUserSummary {
  readonly role: string;
  readonly company: string;
  readonly active: boolean;
}

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
  /** For users the database holds: their role, company and active state there. */
  readonly database?: StoredUserSummary;
}

/**
 * Access gained outside the files, most dangerous first:
 * - `privileged-user`: an active user holding a manage_* permission the files do not give them (a user in no file,
 *   kept inactive there, moved to another role, or whose role gained it);
 * - `privileged-role`: a custom role granting a manage_* permission the files do not give it;
 * - `reactivation`: an active user the files keep inactive, or (with unmanagedUsers `deactivate`) do not list.
 * A user appears once: a privileged user that is also a reactivation is a `privileged-user`.
 */
export type SensitiveDriftKind = 'privileged-user' | 'privileged-role' | 'reactivation';

export interface SensitiveDrift {
  readonly kind: SensitiveDriftKind;
  readonly type: 'user' | 'role';
  /** The email as stored, or the role key: as in `items`. */
  readonly key: string;
  /** The manage_* permissions gained outside the files (empty for a reactivation without them). */
  readonly permissions: readonly Permission[];
  /** For users: their role, company and active state in the database. */
  readonly database?: StoredUserSummary;
  readonly changedAt: string | null;
  readonly afterLastApply: boolean | null;
  /** What was gained, in a sentence. */
  readonly message: string;
}

export interface DriftReport {
  readonly formatVersion: typeof DRIFT_FORMAT_VERSION;
  readonly organization: string;
  /** roster's last apply to the organization, from the audit trail. */
  readonly lastApply: { readonly at: string; readonly actor: string; readonly gitCommit: string | null } | null;
  /** Access gained outside the files, reported before everything else (also listed among `items` when a row differs). */
  readonly sensitive: readonly SensitiveDrift[];
  readonly items: readonly DriftItem[];
  /**
   * Items per kind, and the number of sensitive entries; `invalid` only when there are some (reports from before it
   * existed stay the same).
   */
  readonly summary: Readonly<Record<Exclude<DriftKind, 'invalid'>, number>> & { readonly invalid?: number; readonly sensitive: number };
}
