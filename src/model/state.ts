/**
 * The organization's state, desired (from YAML) and actual (from PostgreSQL), in one shape.
 * Both sides are normalised with {@link normalizeState} before the planner compares them.
 */
import { compareStrings } from '../errors.ts';
import type { Permission } from './permissions.ts';

export interface OrganizationSpec {
  readonly key: string;
  readonly name: string;
}

export interface CompanySpec {
  readonly key: string;
  readonly name: string;
}

/** A custom role. Predefined roles are not part of the state: they are fixed. */
export interface RoleSpec {
  readonly key: string;
  readonly name: string;
  readonly description: string | null;
  /** Sorted, without duplicates. */
  readonly permissions: readonly Permission[];
}

/**
 * Where a user's password comes from. The plain text never lives in the state.
 * `file` is resolved against the YAML file that names it; `hash` remembers where it was written, so a saved plan
 * can find it again without carrying it.
 */
export type PasswordReference =
  | { readonly kind: 'env'; readonly name: string }
  | { readonly kind: 'file'; readonly path: string }
  | { readonly kind: 'hash'; readonly hash: string; readonly file: string; readonly pointer: readonly (string | number)[] };

export interface UserSpec {
  /** As written (or as stored); identity compares {@link emailKey} of it. */
  readonly email: string;
  readonly firstName: string;
  readonly lastName: string;
  readonly role: string;
  readonly company: string;
  readonly active: boolean;
  /** Emails this user was known by (desired state only; empty for actual state). */
  readonly formerEmails: readonly string[];
  /** Desired state only; null when none is given or for actual state. */
  readonly initialPassword: PasswordReference | null;
  /** The rotation id of the last password reset (actual), or the one asked for (desired); null for none. */
  readonly resetPassword: string | null;
  /**
   * Actual state: whether the stored user has a password (and so can log in). Absent when unknown (desired state,
   * states built in memory), which the lockout guard treats as able to log in.
   */
  readonly hasPassword?: boolean;
}

export interface OrgState {
  readonly organization: OrganizationSpec;
  readonly companies: readonly CompanySpec[];
  readonly roles: readonly RoleSpec[];
  readonly users: readonly UserSpec[];
}

/** The identity of an email: Unicode NFC, trimmed, case-folded. Two emails are the same login when their keys are equal. */
export function emailKey(email: string): string {
  return normalizeText(email).toLowerCase();
}

// ASCII text is already in NFC; testing for it is far cheaper than normalising, which matters at a million users.
const ASCII = /^[\x00-\x7f]*$/;

/** Normal form of free text: NFC and trimmed, so invisible differences never show up as changes. */
export function normalizeText(text: string): string {
  return (ASCII.test(text) ? text : text.normalize('NFC')).trim();
}

/**
 * A sorted copy of `items`, ordered by the code points of `keyOf(item)`, which is computed once per item
 * (sorting by email keys inside the comparator normalised each email some forty times at 100,000 users).
 */
export function sortedBy<T>(items: readonly T[], keyOf: (item: T) => string): T[] {
  return items
    .map((item) => ({ item, key: keyOf(item) }))
    .sort((a, b) => compareStrings(a.key, b.key))
    .map((entry) => entry.item);
}

/**
 * Returns the normal form of a state: text NFC-normalised and trimmed, permissions sorted and unique,
 * lists sorted by key. Two states are equal when their normal forms are equal.
 */
export function normalizeState(state: OrgState): OrgState {
  return {
    organization: { key: state.organization.key, name: normalizeText(state.organization.name) },
    companies: state.companies
      .map((c) => ({ key: c.key, name: normalizeText(c.name) }))
      .sort((a, b) => compareStrings(a.key, b.key)),
    roles: state.roles
      .map((r) => ({
        key: r.key,
        name: normalizeText(r.name),
        description: r.description === null || normalizeText(r.description) === '' ? null : normalizeText(r.description),
        permissions: [...new Set(r.permissions)].sort(compareStrings),
      }))
      .sort((a, b) => compareStrings(a.key, b.key)),
    users: sortedBy(
      state.users.map((u) => ({
        ...u,
        email: normalizeText(u.email),
        firstName: normalizeText(u.firstName),
        lastName: normalizeText(u.lastName),
        formerEmails: [...new Set(u.formerEmails.map(normalizeText))],
      })),
      (u) => emailKey(u.email),
    ),
  };
}

/** How a stored row is named in versions and saved plans: `user:<email key>`, `role:<key>`, `company:<key>`, `organization:<key>`. */
export function rowId(type: 'organization' | 'company' | 'role' | 'user', key: string): string {
  return `${type}:${type === 'user' ? emailKey(key) : key}`;
}
