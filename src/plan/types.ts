/**
 * A plan: plain, serialisable data in a deterministic order. schema/plan.schema.json documents its JSON form.
 */
import type { Permission } from '../model/permissions.ts';

export const PLAN_FORMAT_VERSION = 1;

/** One field's value before and after the change; `null` before a create or after a delete. */
export interface FieldChange<T> {
  readonly before: T | null;
  readonly after: T | null;
}

export interface OrganizationFields {
  readonly name?: FieldChange<string>;
}
export interface CompanyFields {
  readonly name?: FieldChange<string>;
}
export interface RoleFields {
  readonly name?: FieldChange<string>;
  readonly description?: FieldChange<string>;
  readonly permissions?: FieldChange<readonly Permission[]>;
}
export interface UserFields {
  readonly email?: FieldChange<string>;
  readonly firstName?: FieldChange<string>;
  readonly lastName?: FieldChange<string>;
  readonly role?: FieldChange<string>;
  readonly company?: FieldChange<string>;
}

/**
 * Where a new user's password comes from, as the plan records it: never the password or its hash,
 * only enough to resolve it again when the plan is applied.
 */
export type InitialPasswordSource = { readonly source: 'env'; readonly name: string } | { readonly source: 'hash' };

export type OrganizationChange =
  | { readonly type: 'organization'; readonly action: 'create'; readonly key: string; readonly fields: Required<OrganizationFields> }
  | { readonly type: 'organization'; readonly action: 'update'; readonly key: string; readonly fields: OrganizationFields };

export type CompanyChange =
  | { readonly type: 'company'; readonly action: 'create' | 'update' | 'delete'; readonly key: string; readonly fields: CompanyFields };

export type RoleChange =
  | { readonly type: 'role'; readonly action: 'create' | 'update' | 'delete'; readonly key: string; readonly fields: RoleFields };

export type UserChange =
  | {
      readonly type: 'user';
      readonly action: 'create';
      /** The new user's email. */
      readonly key: string;
      readonly fields: Required<UserFields>;
      /** Whether the user starts out active (`active: false` in the config creates a deactivated user). */
      readonly active: boolean;
      readonly initialPassword: InitialPasswordSource | null;
    }
  | {
      readonly type: 'user';
      readonly action: 'update' | 'deactivate' | 'reactivate';
      /** The user's email after the change; for a rename `fields.email.before` is the stored one. */
      readonly key: string;
      readonly fields: UserFields;
      /** For people only: why the change is planned. Apply never looks at it. */
      readonly reason?: string;
    };

/** A tagged union with one variant per kind of change. */
export type Change = OrganizationChange | CompanyChange | RoleChange | UserChange;

export type ChangeAction = Change['action'];

/** A change the plan cannot make as asked; apply refuses while any stands. */
export interface PlanProblem {
  readonly type: 'company' | 'role';
  readonly key: string;
  readonly kind: 'still-referenced';
  /** Some of the users still referencing the row (at most a handful), sorted. */
  readonly users: readonly string[];
  /** How many users reference it in all. */
  readonly userCount: number;
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
  readonly changes: readonly Change[];
  readonly problems: readonly PlanProblem[];
  readonly summary: PlanSummary;
}

/** The email a user change finds its row by: the stored email (before a rename), else the key. */
export function storedEmail(change: Extract<UserChange, { action: 'update' | 'deactivate' | 'reactivate' }>): string {
  return change.fields.email?.before ?? change.key;
}
