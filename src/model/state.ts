/**
 * The organization's state, desired (from YAML) and actual (from PostgreSQL), in one shape.
 * Both sides are normalised with {@link normalizeState} before the planner compares them.
 */
import { compareStrings } from '../errors.ts';
import { FOLD_FROM, FOLD_TO } from './email-fold.ts';
import { COMPANY_FIELDS, ORGANIZATION_FIELDS, ROLE_FIELDS, USER_FIELDS, withNormalizedFields, type FieldValues } from './fields.ts';
import type { Permission } from './permissions.ts';

/** Its fields are described in fields.ts (ORGANIZATION_FIELDS). */
export interface OrganizationSpec extends FieldValues<typeof ORGANIZATION_FIELDS> {
  readonly key: string;
}

/** Its fields are described in fields.ts (COMPANY_FIELDS). */
export interface CompanySpec extends FieldValues<typeof COMPANY_FIELDS> {
  readonly key: string;
}

/**
 * A custom role; its fields are described in fields.ts (ROLE_FIELDS), permissions sorted, without duplicates.
 * Predefined roles are not part of the state: they are fixed.
 */
export interface RoleSpec extends FieldValues<typeof ROLE_FIELDS> {
  readonly key: string;
  /** Always present (null for none): saved plans compare it directly. */
  readonly description: string | null;
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

/** A user: identity and life cycle here, attributes (names, role, company…) described in fields.ts (USER_FIELDS). */
export interface UserSpec extends FieldValues<typeof USER_FIELDS> {
  /** As written (or as stored); identity compares {@link emailKey} of it. */
  readonly email: string;
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

/** A predefined role as stored (actual state only), to be compared with the catalog in permissions.ts. */
export interface StoredPredefinedRole {
  readonly key: string;
  /** The stored flag: false when someone cleared it on a role with a predefined key. */
  readonly predefined: boolean;
  /** Sorted, as stored. */
  readonly permissions: readonly Permission[];
}

/** A stored row that does not fit roster's model (a NULL name, an unknown permission…): left out of the state. */
export interface UnreadableRow {
  readonly type: 'organization' | 'company' | 'role' | 'user';
  /** The row's key (a user's email) as stored, or null when even that cannot be read. */
  readonly key: string | null;
  /** Database id. */
  readonly id: number;
  /** What is wrong with it and what to do, naming the row. */
  readonly message: string;
}

export interface OrgState {
  readonly organization: OrganizationSpec;
  readonly companies: readonly CompanySpec[];
  /** Custom roles. */
  readonly roles: readonly RoleSpec[];
  readonly users: readonly UserSpec[];
  /**
   * Actual state only: every stored role with a predefined key or the predefined flag, as stored. Absent for desired
   * states and states built in memory, which take the catalog's.
   */
  readonly predefinedRoles?: readonly StoredPredefinedRole[];
  /** Actual state only: stored rows roster cannot read as they are; none of them is in the lists above. */
  readonly unreadable?: readonly UnreadableRow[];
}

const FOLD = new Map(FOLD_FROM.map((from, i) => [from, String.fromCodePoint(FOLD_TO[i]!)]));

/**
 * The identity of an email (README, "Identity"): Unicode NFC, then every code point replaced by its simple
 * lower-case mapping from a frozen table ({@link FOLD_FROM}), never by the locale or the runtime's Unicode version.
 * Nothing is trimmed or stripped. PostgreSQL computes the same key (roster_email_key, migration 0006) and keeps it
 * unique per organization. Two emails are the same login when their keys are equal.
 */
export function emailKey(email: string): string {
  if (ASCII.test(email)) return email.toLowerCase();
  let key = '';
  for (const c of email.normalize('NFC')) key += FOLD.get(c.codePointAt(0)!) ?? c;
  return key;
}

// Characters that make a stored email not what it looks like: controls, format characters (U+FEFF, zero-width
// and bidirectional marks), separators, and every space but the ASCII one (which the database already refuses).
const HIDDEN = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Co}\p{Cn}\p{Zs}\u{115f}\u{1160}\u{3164}\u{ffa0}]/u;
const HIDDEN_ALL = new RegExp(HIDDEN.source, 'gu');

/**
 * Why a stored email is not in normal form, or null when it is: it must be NFC, and hold no whitespace, control,
 * format (invisible), private-use or unassigned character anywhere. Roster never matches such a row to a user of
 * the configuration (an app-made `boss@example.com` + U+FEFF is not boss@example.com), and says so.
 */
export function emailFormProblem(email: string): string | null {
  if (ASCII.test(email)) return /[\x00-\x20\x7f]/.test(email) ? describeHidden(email) : null;
  if (HIDDEN.test(email)) return describeHidden(email);
  if (!ASCII.test(email) && email.normalize('NFC') !== email) {
    return 'is not in Unicode normal form C (NFC): it looks like another spelling of the same email but is stored differently';
  }
  return null;
}

function describeHidden(email: string): string {
  const found = [...new Set(email.match(HIDDEN_ALL))].map((c) => `U+${c.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`);
  const at = HIDDEN.test(String.fromCodePoint(email.codePointAt(0)!)) ? 'starts with' : HIDDEN.test([...email].at(-1)!) ? 'ends with' : 'contains';
  return `${at} ${found.length === 1 ? 'an invisible or space character' : 'invisible or space characters'} (${found.join(', ')})`;
}

/** `text` with every character that is invisible or moves text around written as a `\u{…}` escape, for messages. */
export function showStored(text: string): string {
  return text.replace(HIDDEN_ALL, (c) => `\\u{${c.codePointAt(0)!.toString(16)}}`);
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
 * lists sorted by key. Two states are equal when their normal forms are equal. What only a stored state has
 * (predefinedRoles, unreadable) is not part of it. Stored emails must be screened first (emailFormProblem):
 * trimming here would otherwise make `boss@example.com` + U+00A0 look like boss@example.com.
 */
export function normalizeState(state: OrgState): OrgState {
  const organization: OrganizationSpec = withNormalizedFields(ORGANIZATION_FIELDS, { key: state.organization.key, name: state.organization.name }, normalizeText);
  return {
    organization,
    companies: state.companies.map((c) => withNormalizedFields(COMPANY_FIELDS, c, normalizeText)).sort((a, b) => compareStrings(a.key, b.key)),
    roles: state.roles.map((r) => withNormalizedFields(ROLE_FIELDS, r, normalizeText)).sort((a, b) => compareStrings(a.key, b.key)),
    users: sortedBy(
      state.users.map((u) =>
        withNormalizedFields(USER_FIELDS, u, normalizeText, { email: normalizeText(u.email), formerEmails: [...new Set(u.formerEmails.map(normalizeText))] }),
      ),
      (u) => emailKey(u.email),
    ),
  };
}

/** How a stored row is named in versions and saved plans: `user:<email key>`, `role:<key>`, `company:<key>`, `organization:<key>`. */
export function rowId(type: 'organization' | 'company' | 'role' | 'user', key: string): string {
  return `${type}:${type === 'user' ? emailKey(key) : key}`;
}
