/**
 * The planner: a pure function from desired and actual state to a {@link Plan}. No I/O, no clock, deterministic.
 */
import { createHash } from 'node:crypto';
import { compareStrings } from '../errors.ts';
import { emailKey, normalizeState, sortedBy, type CompanySpec, type OrgState, type RoleSpec, type UserSpec } from '../model/state.ts';
import type {
  Change,
  CompanyChange,
  FieldChange,
  GuardLimits,
  OrganizationChange,
  PasswordSource,
  Plan,
  PlanProblem,
  PlanSummary,
  RequiredFieldChanges,
  RoleChange,
  UserChange,
  UserFields,
  FieldChanges,
} from './types.ts';
import { COMPANY_FIELDS, fieldValue, ORGANIZATION_FIELDS, ROLE_FIELDS, sameValue, USER_FIELDS, type FieldDescriptor } from '../model/fields.ts';
import { PLAN_FORMAT_VERSION } from './types.ts';
import { checkGuards, DEFAULT_LIMITS } from './guards.ts';
import { renameHints } from './hints.ts';
import { screenStoredState, withoutHeld } from './stored-problems.ts';
import { findSensitiveChanges } from './sensitive.ts';
import { simulate } from './simulate.ts';

/** How many referencing users a problem names before it says "and N more". */
const REFERENCING_USERS_SHOWN = 5;

export interface PlanOptions {
  /** Users in the database but in no file: deactivate them (default) or leave them and report them. */
  readonly unmanagedUsers: 'deactivate' | 'ignore';
  /** Guard rail limits; violations are part of the plan. */
  readonly limits: GuardLimits;
}

export interface PlanInput {
  /** The organization as the configuration describes it. */
  readonly desired: OrgState;
  /** The organization as stored, or null when it does not exist yet. Must be the same organization key. */
  readonly actual: OrgState | null;
  readonly options?: Partial<PlanOptions>;
}

/**
 * Computes the changes that make `actual` equal `desired`.
 * Users are matched by email ignoring case, or by one of their `formerEmails` (a rename updates the same row);
 * stored users missing from the configuration are deactivated, never deleted. Companies and roles that some user
 * outside the configuration still references cannot be deleted: those show up in `problems`.
 * Sensitive changes and guard-rail violations are judged on the state the plan leads to.
 * Throws nothing for valid input; the configuration must already have passed validation.
 */
export function plan(input: PlanInput): Plan {
  // Stored rows roster cannot act on safely become problems, and the keys they hold are left alone on both sides.
  const screened = input.actual === null ? null : screenStoredState(input.actual);
  const desired = withoutHeld(normalizeState(input.desired), screened?.held ?? null);
  // Predefined roles as stored stay with the stored state, so guards judge what the database really grants.
  const stored = input.actual?.predefinedRoles;
  const actual = screened === null ? null : { ...normalizeState(screened.state), ...(stored ? { predefinedRoles: stored } : {}) };
  const unmanagedUsers = input.options?.unmanagedUsers ?? 'deactivate';
  // Limits from older callers (or plan files) may lack newer guards: those keep their defaults.
  const limits = { ...DEFAULT_LIMITS, ...input.options?.limits };

  const organization = screened?.held.organization ? [] : planOrganization(desired, actual);
  const companies = diffByKey(desired.companies, actual?.companies ?? [], companyChange);
  const roles = diffByKey(desired.roles, actual?.roles ?? [], roleChange);
  const { changes: users, unmanaged } = planUsers(desired.users, actual?.users ?? [], unmanagedUsers);

  const problems = [
    ...(screened?.problems ?? []),
    ...referenceProblems('company', companies, unmanaged, (u) => u.company),
    ...referenceProblems('role', roles, unmanaged, (u) => u.role),
  ];

  // Dependency order: what users point at exists before them, and disappears only after them.
  const changes: Change[] = [
    ...organization,
    ...companies.filter((c) => c.action !== 'delete'),
    ...roles.filter((c) => c.action !== 'delete'),
    ...users,
    ...roles.filter((c) => c.action === 'delete'),
    ...companies.filter((c) => c.action === 'delete'),
  ];
  // Guards and sensitive changes judge the predefined roles as stored, not as the catalog says they should be.
  const simulated = simulate(desired.organization.key, actual, changes);
  const after = actual?.predefinedRoles ? { ...simulated, predefinedRoles: actual.predefinedRoles } : simulated;
  return {
    formatVersion: PLAN_FORMAT_VERSION,
    organization: desired.organization.key,
    unmanagedUsers,
    changes,
    ignoredUsers:
      unmanagedUsers === 'ignore'
        ? unmanaged
            .filter((u) => u.active)
            .map((u) => u.email)
            .sort(compareStrings)
        : [],
    sensitive: findSensitiveChanges(changes, after),
    hints: renameHints(users, unmanaged, unmanagedUsers),
    problems,
    guards: { limits, violations: checkGuards({ changes, before: actual, after, limits }) },
    summary: summarize(changes),
  };
}

/** Counts changes per action. */
export function summarize(changes: readonly Change[]): PlanSummary {
  const summary = { create: 0, update: 0, deactivate: 0, reactivate: 0, delete: 0 };
  for (const change of changes) summary[change.action] += 1;
  return summary;
}

function planOrganization(desired: OrgState, actual: OrgState | null): OrganizationChange[] {
  const key = desired.organization.key;
  if (actual === null) {
    return [{ type: 'organization', action: 'create', key, fields: createdFields(ORGANIZATION_FIELDS, desired.organization) }];
  }
  const fields = diffFields<typeof ORGANIZATION_FIELDS>(ORGANIZATION_FIELDS, actual.organization, desired.organization);
  return Object.keys(fields).length > 0 ? [{ type: 'organization', action: 'update', key, fields }] : [];
}

function companyChange(desired: CompanySpec | undefined, actual: CompanySpec | undefined): CompanyChange | null {
  const key = (desired ?? actual)!.key;
  const fields = diffFields<typeof COMPANY_FIELDS>(COMPANY_FIELDS, actual ?? null, desired ?? null);
  if (!actual) return { type: 'company', action: 'create', key, fields };
  if (!desired) return { type: 'company', action: 'delete', key, fields };
  return Object.keys(fields).length > 0 ? { type: 'company', action: 'update', key, fields } : null;
}

function roleChange(desired: RoleSpec | undefined, actual: RoleSpec | undefined): RoleChange | null {
  const key = (desired ?? actual)!.key;
  const fields = diffFields<typeof ROLE_FIELDS>(ROLE_FIELDS, actual ?? null, desired ?? null);
  if (!actual) return { type: 'role', action: 'create', key, fields };
  if (!desired) return { type: 'role', action: 'delete', key, fields };
  return Object.keys(fields).length > 0 ? { type: 'role', action: 'update', key, fields } : null;
}

/**
 * Each field of `fields` whose value differs between `before` and `after` (null: the row does not exist on that
 * side), in descriptor order. A list is always part of a create or delete, even when empty; other values only when
 * they have one.
 */
function diffFields<Fs extends readonly FieldDescriptor[]>(fields: Fs, before: object | null, after: object | null): FieldChanges<Fs> {
  const changes: Record<string, FieldChange<unknown>> = {};
  for (const field of fields) {
    const from = before === null ? null : fieldValue(before, field);
    const to = after === null ? null : fieldValue(after, field);
    const listAppears = field.type === 'permissions' && (before === null || after === null);
    if (listAppears || !sameValue(field, from, to)) changes[field.name] = { before: from, after: to };
  }
  // Each entry is { before, after } of the field it is named after, read from specs of that field's type.
  return changes as FieldChanges<Fs>;
}

function diffByKey<T extends { key: string }, C>(
  desired: readonly T[],
  actual: readonly T[],
  diff: (desired: T | undefined, actual: T | undefined) => C | null,
): C[] {
  const actualByKey = new Map(actual.map((item) => [item.key, item]));
  const desiredByKey = new Map(desired.map((item) => [item.key, item]));
  const keys = [...new Set([...desiredByKey.keys(), ...actualByKey.keys()])].sort(compareStrings);
  const changes: C[] = [];
  for (const key of keys) {
    const change = diff(desiredByKey.get(key), actualByKey.get(key));
    if (change !== null) changes.push(change);
  }
  return changes;
}

function planUsers(
  desired: readonly UserSpec[],
  actual: readonly UserSpec[],
  unmanagedUsers: PlanOptions['unmanagedUsers'],
): { changes: UserChange[]; unmanaged: UserSpec[] } {
  const actualByEmail = new Map(actual.map((user) => [emailKey(user.email), user]));
  const claimed = new Set<UserSpec>();
  const changes: UserChange[] = [];

  for (const user of desired) {
    const stored = findStoredUser(user, actualByEmail, claimed);
    if (stored === undefined) {
      changes.push(createUser(user));
      continue;
    }
    claimed.add(stored);
    const change = userChange(user, stored);
    if (change) changes.push(change);
  }

  const unmanaged = actual.filter((user) => !claimed.has(user));
  for (const user of unmanagedUsers === 'deactivate' ? unmanaged : []) {
    if (user.active) changes.push({ type: 'user', action: 'deactivate', key: user.email, fields: {}, reason: 'not in the configuration' });
  }
  return { changes: sortedBy(changes, (change) => emailKey(change.key)), unmanaged };
}

/** The stored row a desired user owns: the one with its email, else the first with one of its former emails. */
function findStoredUser(user: UserSpec, actualByEmail: ReadonlyMap<string, UserSpec>, claimed: ReadonlySet<UserSpec>): UserSpec | undefined {
  for (const email of [user.email, ...user.formerEmails]) {
    const stored = actualByEmail.get(emailKey(email));
    if (stored !== undefined && !claimed.has(stored)) return stored;
  }
  return undefined;
}

function createUser(user: UserSpec): UserChange {
  return {
    type: 'user',
    action: 'create',
    key: user.email,
    fields: {
      email: { before: null, after: user.email },
      ...createdFields(USER_FIELDS, user),
      ...(user.resetPassword !== null ? { resetPassword: { before: null, after: user.resetPassword } } : {}),
    },
    active: user.active,
    initialPassword: passwordSource(user),
  };
}

/** A new row's fields: every required one, and the optional ones it has. */
function createdFields<Fs extends readonly FieldDescriptor[]>(fields: Fs, spec: object): RequiredFieldChanges<Fs> & FieldChanges<Fs> {
  // Required fields always have a value, so they are all there.
  return diffFields(fields, null, spec) as RequiredFieldChanges<Fs> & FieldChanges<Fs>;
}

/** Where the password comes from, for the plan: never the password or the hash itself. */
function passwordSource(user: UserSpec): PasswordSource | null {
  const ref = user.initialPassword;
  if (ref === null) return null;
  switch (ref.kind) {
    case 'env':
      return { source: 'env', name: ref.name };
    case 'file':
      return { source: 'file', path: ref.path };
    case 'hash':
      return { source: 'hash', file: ref.file, pointer: ref.pointer, digest: createHash('sha256').update(ref.hash).digest('hex') };
  }
}

function userChange(desired: UserSpec, stored: UserSpec): UserChange | null {
  const fields: { -readonly [K in keyof UserFields]: UserFields[K] } = {};
  if (emailKey(desired.email) !== emailKey(stored.email)) fields.email = { before: stored.email, after: desired.email };
  Object.assign(fields, diffFields<typeof USER_FIELDS>(USER_FIELDS, stored, desired));
  // A reset is planned once per rotation id: asking again with the same id changes nothing.
  const reset = desired.resetPassword !== null && desired.resetPassword !== stored.resetPassword;
  if (reset) fields.resetPassword = { before: stored.resetPassword, after: desired.resetPassword };
  const newPassword = reset ? passwordSource(desired) : null;
  const withPassword = newPassword ? { newPassword } : {};
  const key = desired.email;
  if (desired.active && !stored.active) {
    return { type: 'user', action: 'reactivate', key, fields, ...withPassword, reason: 'active in the configuration' };
  }
  if (!desired.active && stored.active) {
    return { type: 'user', action: 'deactivate', key, fields, ...withPassword, reason: 'active: false in the configuration' };
  }
  return Object.keys(fields).length > 0 ? { type: 'user', action: 'update', key, fields, ...withPassword } : null;
}

function referenceProblems(
  type: 'company' | 'role',
  changes: readonly (CompanyChange | RoleChange)[],
  unmanaged: readonly UserSpec[],
  reference: (user: UserSpec) => string,
): PlanProblem[] {
  const problems: PlanProblem[] = [];
  for (const change of changes) {
    if (change.action !== 'delete') continue;
    const users = unmanaged
      .filter((user) => reference(user) === change.key)
      .map((user) => user.email)
      .sort(compareStrings);
    if (users.length === 0) continue;
    const shown = users.slice(0, REFERENCING_USERS_SHOWN);
    const more = users.length > shown.length ? ` and ${users.length - shown.length} more` : '';
    problems.push({
      type,
      key: change.key,
      kind: 'still-referenced',
      users: shown,
      userCount: users.length,
      message:
        `cannot delete ${type} '${change.key}': ${users.length} user${users.length === 1 ? '' : 's'} not in the configuration ` +
        `still belong${users.length === 1 ? 's' : ''} to it (${shown.join(', ')}${more}). ` +
        `Add them to the configuration with another ${type} (active: false keeps them deactivated), or keep the ${type}.`,
    });
  }
  return problems;
}
