/**
 * A plan: plain, serialisable data in a deterministic order. schema/plan.schema.json documents its JSON form.
 */
import type { COMPANY_FIELDS, FieldDescriptor, FieldValue, ORGANIZATION_FIELDS, ROLE_FIELDS, USER_FIELDS } from '../model/fields.ts';

export const PLAN_FORMAT_VERSION = 1;

/** One field's value before and after the change; `null` before a create or after a delete. */
export interface FieldChange<T> {
  readonly before: T | null;
  readonly after: T | null;
}

/** Changes of some of `Fs` (model/fields.ts), by field name. */
export type FieldChanges<Fs extends readonly FieldDescriptor[]> = {
  readonly [F in Fs[number] as F['name']]?: FieldChange<FieldValue<Fs, F['name']>>;
};
/** Changes of every required field of `Fs`: what a create always carries. */
export type RequiredFieldChanges<Fs extends readonly FieldDescriptor[]> = {
  readonly [F in Fs[number] as F['optional'] extends true ? never : F['name']]: FieldChange<FieldValue<Fs, F['name']>>;
};

export type OrganizationFields = FieldChanges<typeof ORGANIZATION_FIELDS>;
export type CompanyFields = FieldChanges<typeof COMPANY_FIELDS>;
export type RoleFields = FieldChanges<typeof ROLE_FIELDS>;
/** A user's attributes (USER_FIELDS), its email (a rename) and its password rotation. */
export type UserFields = FieldChanges<typeof USER_FIELDS> & {
  readonly email?: FieldChange<string>;
  /** A password rotation: the rotation ids before and after, never a password. */
  readonly resetPassword?: FieldChange<string>;
};

/**
 * Where a password comes from, as the plan records it: never the password or its hash, only enough to resolve it
 * again when the plan is applied. Paths are relative to the directory roster runs in.
 */
export type PasswordSource =
  | { readonly source: 'env'; readonly name: string }
  | { readonly source: 'file'; readonly path: string }
  | {
      readonly source: 'hash';
      /** The YAML file and the place in it that hold the hash. */
      readonly file: string;
      readonly pointer: readonly (string | number)[];
      /** sha256 of the hash, so a hash edited after planning is refused. */
      readonly digest: string;
    };

/**
 * What every change carries besides its fields. `version` is stamped into saved plans: the version of the stored row
 * the change was computed from (absent for creates), checked again under the lock before a saved plan is applied.
 */
interface ChangeBase {
  readonly key: string;
  readonly version?: string;
}

export type OrganizationChange =
  | (ChangeBase & { readonly type: 'organization'; readonly action: 'create'; readonly fields: Required<OrganizationFields> })
  | (ChangeBase & { readonly type: 'organization'; readonly action: 'update'; readonly fields: OrganizationFields });

export type CompanyChange = ChangeBase & {
  readonly type: 'company';
  readonly action: 'create' | 'update' | 'delete';
  readonly fields: CompanyFields;
};

export type RoleChange = ChangeBase & { readonly type: 'role'; readonly action: 'create' | 'update' | 'delete'; readonly fields: RoleFields };

export type UserChange =
  | (ChangeBase & {
      readonly type: 'user';
      readonly action: 'create';
      /** The new user's email and every attribute it is given. */
      readonly fields: UserFields & RequiredFieldChanges<typeof USER_FIELDS> & { readonly email: FieldChange<string> };
      /** Whether the user starts out active (`active: false` in the config creates a deactivated user). */
      readonly active: boolean;
      readonly initialPassword: PasswordSource | null;
    })
  | (ChangeBase & {
      readonly type: 'user';
      readonly action: 'update' | 'deactivate' | 'reactivate';
      /** The user's email after the change; for a rename `fields.email.before` is the stored one. */
      readonly fields: UserFields;
      /** With `fields.resetPassword`: where the new password comes from. */
      readonly newPassword?: PasswordSource;
      /** For people only: why the change is planned. Apply never looks at it. */
      readonly reason?: string;
    });

/** A tagged union with one variant per kind of change. */
export type Change = OrganizationChange | CompanyChange | RoleChange | UserChange;

export type ChangeAction = Change['action'];

/**
 * Why the plan cannot be applied as it stands; apply refuses while any stands.
 * - `still-referenced`: a company or role to delete that users outside the configuration still belong to.
 * - `unreadable-row`: a stored row that does not fit roster's model (a NULL name, an unknown permission…).
 * - `email-not-normal`: a stored email with invisible or space characters, or not in NFC: never matched.
 * - `email-collision`: several stored users that are one login under roster's email identity.
 * - `predefined-role-changed`: a predefined role deleted, unflagged or given other permissions by hand.
 */
export interface PlanProblem {
  readonly type: 'organization' | 'company' | 'role' | 'user';
  /** The row's key (a user's email) as stored; `(id N)` when it cannot be read. */
  readonly key: string;
  readonly kind: 'still-referenced' | 'unreadable-row' | 'email-not-normal' | 'email-collision' | 'predefined-role-changed';
  /** The users concerned (at most a handful), sorted: those referencing the row, or the stored rows themselves. */
  readonly users: readonly string[];
  /** How many users are concerned in all. */
  readonly userCount: number;
  readonly message: string;
}

/** A change a reviewer must not miss in a long plan: privileges granted, access restored, logins changed. */
export interface SensitiveChange {
  readonly kind: 'privileged-user' | 'privileged-role' | 'reactivation' | 'email-change' | 'password-reset';
  readonly type: 'user' | 'role';
  readonly key: string;
  readonly message: string;
}

/** A limit on how many users one plan may affect: a count, a percentage of active users, or the default rule. */
export type UserLimit = { readonly count: number } | { readonly percent: number } | 'default';

/** The limits guard rails enforce. */
export interface GuardLimits {
  /** Most users one plan may deactivate or take permissions from (a role losing a permission counts its holders). */
  readonly maxDeactivations: UserLimit;
  /** Most active users one plan may move to another role or company. */
  readonly maxReassignments: UserLimit;
  /** Fewest active users who can log in and hold manage_users the organization may be left with. */
  readonly minAdmins: number;
}

/** A guard rail the plan breaks; apply refuses while any stands. */
export interface GuardViolation {
  readonly guard: 'mass-deactivation' | 'mass-reassignment' | 'lockout';
  readonly message: string;
  /** The users concerned (all of them for deactivations). */
  readonly users: readonly string[];
  /** The flag that overrides the guard, for the message and for tools. */
  readonly override: string;
}

/**
 * Advice for people, never acted on: a deactivation and a creation that look like one person renamed
 * (same first and last name, or the same local part of the email), which `formerEmails` would keep as one account.
 */
export interface PlanHint {
  readonly kind: 'possible-rename';
  /** The stored user the plan deactivates (or leaves alone, with unmanagedUsers `ignore`). */
  readonly from: string;
  /** The user the plan creates. */
  readonly to: string;
  readonly message: string;
}

export interface PlanSummary {
  readonly create: number;
  readonly update: number;
  readonly deactivate: number;
  readonly reactivate: number;
  readonly delete: number;
}

export interface Plan {
  readonly formatVersion: typeof PLAN_FORMAT_VERSION;
  readonly organization: string;
  /**
   * The database the plan was made against, for reviewers: `host:port/database` or `embedded (.roster/pgdata)`,
   * never a credential. Filled by the plan command (the planner does no I/O); absent from plans made in memory.
   */
  readonly databaseTarget?: string;
  /** What happens to users in the database but in no file. */
  readonly unmanagedUsers: 'deactivate' | 'ignore';
  readonly changes: readonly Change[];
  /** With unmanagedUsers `ignore`: active users in the database but in no file, left as they are. */
  readonly ignoredUsers: readonly string[];
  readonly sensitive: readonly SensitiveChange[];
  /** Advice such as possible renames; nothing in it blocks the plan. */
  readonly hints: readonly PlanHint[];
  readonly problems: readonly PlanProblem[];
  readonly guards: { readonly limits: GuardLimits; readonly violations: readonly GuardViolation[] };
  readonly summary: PlanSummary;
}

/** One configuration file a saved plan was made from: its path as shown (relative to the working directory when below it) and the sha256 of its bytes. */
export interface ConfigFileDigest {
  readonly path: string;
  readonly sha256: string;
}

/** A plan written to a file by `plan --out`, to be applied later exactly as reviewed. */
export interface SavedPlan extends Plan {
  /** The identity of the database the plan was computed against (roster_database.id). */
  readonly database: string;
  /** Digest of the configuration's normal form. */
  readonly configHash: string;
  /** The configuration paths the plan was made from, as given (relative to the working directory): apply finds the files the same way. */
  readonly configPaths: readonly string[];
  /** Every configuration file found there, with the digest of its bytes: apply refuses when the files differ. */
  readonly configFiles: readonly ConfigFileDigest[];
  /** When and by which roster it was made. */
  readonly createdAt: string;
  readonly rosterVersion: string;
  /**
   * Over the rest of the document, in canonical JSON: `hmac-sha256:…` keyed by ROSTER_PLAN_KEY when it was set,
   * else `sha256:…`, which catches corruption but anyone can recompute.
   */
  readonly checksum: string;
}

/** The email a user change finds its row by: the stored email (before a rename), else the key. */
export function storedEmail(change: Extract<UserChange, { action: 'update' | 'deactivate' | 'reactivate' }>): string {
  return change.fields.email?.before ?? change.key;
}

/** `plan` stating the database it was made against, placed after the organization for readers of the JSON. Pure. */
export function withDatabaseTarget(plan: Plan, databaseTarget: string): Plan {
  const { formatVersion, organization, databaseTarget: _previous, ...rest } = plan;
  return { formatVersion, organization, databaseTarget, ...rest };
}
