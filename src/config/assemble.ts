/**
 * Merges parsed files into one desired organization and checks what the schema cannot:
 * exactly one organization, unique keys and emails across files, references that resolve.
 */
import { dirname, isAbsolute, join } from 'node:path';
import type { Diagnostic, SourcePosition } from '../errors.ts';
import { isPredefinedRole, PREDEFINED_ROLES, type Permission } from '../model/permissions.ts';
import { USER_FIELDS, withFieldsOf, type FieldValues } from '../model/fields.ts';
import { emailKey, rowId, type CompanySpec, type OrgState, type PasswordReference, type RoleSpec, type UserSpec } from '../model/state.ts';
import { checkSuppliedHash } from '../secrets/password.ts';
import { describePath } from './schema-check.ts';
import { positionAt, type PathSegment, type SourceFile } from './source-file.ts';

/** The desired organization and where each part of it was written. */
export interface DesiredConfig {
  readonly state: OrgState;
  /** What happens to users in the database but in no file. */
  readonly unmanagedUsers: 'deactivate' | 'ignore';
  readonly files: readonly SourceFile[];
  /** Position of each user's `initialPassword`, by {@link emailKey} of their email. */
  readonly passwordPositions: ReadonlyMap<string, SourcePosition>;
  /** Where each organization, company, role and user is written, by rowId: for editing the files. */
  readonly locations: ReadonlyMap<string, SourceLocation>;
  /** How many files the configuration has. */
  readonly fileCount: number;
  /** Loaded from the cache: `files` and `locations` are empty then (load without the cache to edit files). */
  readonly fromCache: boolean;
}

export interface SourceLocation {
  readonly file: SourceFile;
  readonly path: readonly PathSegment[];
}

interface Located<T> {
  readonly value: T;
  readonly file: SourceFile;
  readonly path: readonly PathSegment[];
}

/**
 * Assembles the organization from parsed files, schema-valid or not. `unparsed` holds the files that could not be
 * parsed (their path as shown, and their text). Every item takes part in the cross-file checks with whatever fields are usable, so that a mistake
 * the schema reports does not hide another one until the next run. Returns a config only when every item was
 * complete and there is no diagnostic here; returns the diagnostics of every cross-file problem.
 */
export function assembleConfig(
  files: readonly SourceFile[],
  options: { unparsed?: readonly { readonly path: string; readonly text: string }[] } = {},
): { config: DesiredConfig | null; diagnostics: Diagnostic[] } {
  const diagnostics: Diagnostic[] = [];
  const at = (item: { file: SourceFile; path: readonly PathSegment[] }, ...rest: PathSegment[]) => positionAt(item.file, [...item.path, ...rest]);

  /** Every `organization:` written, usable or not; the complete ones in `organizationSpecs`. */
  const organizations: Located<unknown>[] = [];
  const companies: Located<CompanySpec>[] = [];
  const roles: Located<RoleSpec>[] = [];
  const users: Located<RawUser>[] = [];
  /** Items by their usable identifying fields, complete or not: what the cross-file checks look at. */
  const companyKeys: Located<string>[] = [];
  const roleKeys: Located<string>[] = [];
  const userViews: Located<UserView>[] = [];
  // What the files say in a form that cannot be used (files that did not parse, items without a usable key),
  // as text: a name counts as possibly declared there when it appears in it, so a reference to it is not
  // reported as unknown while the other references still are.
  const unusable: string[] = (options.unparsed ?? []).map((file) => file.text);
  let complete = (options.unparsed ?? []).length === 0;
  for (const file of files) {
    if (!isObject(file.value)) {
      unusable.push(file.text);
      complete = false;
      continue;
    }
    const root = file.value;
    const each = (section: string, visit: (item: unknown, path: PathSegment[]) => boolean) => {
      const list = root[section];
      if (list === undefined) return;
      if (!Array.isArray(list)) {
        unusable.push(describeUnusable(list));
        complete = false;
        return;
      }
      list.forEach((item, i) => {
        if (!visit(item, [section, i])) complete = false;
      });
    };
    if (root.organization !== undefined) {
      organizations.push({ value: root.organization, file, path: ['organization'] });
      if (!isOrganization(root.organization)) complete = false;
    }
    each('companies', (item, path) => {
      if (isObject(item) && isText(item.key)) companyKeys.push({ value: item.key, file, path });
      else unusable.push(describeUnusable(item));
      if (!isCompany(item)) return false;
      companies.push({ value: { key: item.key, name: item.name }, file, path });
      return true;
    });
    each('roles', (item, path) => {
      if (isObject(item) && isText(item.key)) roleKeys.push({ value: item.key, file, path });
      else unusable.push(describeUnusable(item));
      if (!isRole(item)) return false;
      roles.push({ value: { key: item.key, name: item.name, description: item.description ?? null, permissions: item.permissions as Permission[] }, file, path });
      return true;
    });
    each('users', (item, path) => {
      if (isObject(item)) userViews.push({ value: userView(item), file, path });
      if (!isUser(item)) return false;
      users.push({ value: item, file, path });
      return true;
    });
  }
  let written: Set<string> | undefined;
  const mightDeclare = (name: string) => (written ??= wordsOf(unusable)).has(name);

  if (organizations.length === 0 && !mightDeclare('organization')) {
    diagnostics.push({
      position: { file: files[0]?.path ?? options.unparsed?.[0]?.path ?? '.', line: 1, col: 1 },
      message: 'no organization: add `organization: { key: …, name: … }` to exactly one file',
    });
  }
  for (const extra of organizations.slice(1)) {
    diagnostics.push({
      position: at(extra),
      message: 'organization is defined more than once; keep it in exactly one file',
      related: [{ position: at(organizations[0]!), message: 'first defined here' }],
    });
  }

  checkUnique({ items: companyKeys, keyOf: (key) => key, message: (key) => `duplicate company key '${key}'`, at, diagnostics, field: 'key' });
  checkUnique({ items: roleKeys, keyOf: (key) => key, message: (key) => `duplicate role key '${key}'`, at, diagnostics, field: 'key' });
  for (const role of roleKeys) {
    if (isPredefinedRole(role.value)) {
      diagnostics.push({
        position: at(role, 'key'),
        message: `'${role.value}' is a predefined role (${Object.keys(PREDEFINED_ROLES).join(', ')}); give the custom role another key`,
      });
    }
  }

  // Emails and former emails share one namespace: each identifies at most one user.
  const emails = new Map<string, { item: Located<UserView>; path: PathSegment[]; former: boolean }>();
  for (const user of userViews) {
    const own = user.value.email === undefined ? undefined : emailKey(user.value.email);
    const candidates: { email: string; path: PathSegment[]; former: boolean }[] = [
      ...(user.value.email === undefined ? [] : [{ email: user.value.email, path: ['email'], former: false }]),
      ...user.value.formerEmails.map(({ email, index }) => ({ email, path: ['formerEmails', index], former: true })),
    ];
    for (const candidate of candidates) {
      const key = emailKey(candidate.email);
      if (candidate.former && key === own) {
        diagnostics.push({ position: at(user, ...candidate.path), message: `formerEmails lists the user's own email '${candidate.email}'` });
        continue;
      }
      const first = emails.get(key);
      if (first) {
        if (first.item === user) continue; // the same former email twice is the schema's uniqueItems error
        const field = candidate.former ? `formerEmails: '${candidate.email}'` : `email '${candidate.email}'`;
        diagnostics.push({
          position: at(user, ...candidate.path),
          message: `${field} is already the ${first.former ? 'former ' : ''}email of another user; emails are unique ignoring case, former emails included`,
          related: [{ position: at(first.item, ...first.path), message: 'first used here' }],
        });
        continue;
      }
      emails.set(key, { item: user, path: candidate.path, former: candidate.former });
    }
  }

  for (const user of userViews) {
    if (user.value.resetPassword && !user.value.hasInitialPassword) {
      diagnostics.push({
        position: at(user, 'resetPassword'),
        message: `${describePath([...user.path, 'resetPassword'])}: a password reset needs initialPassword, where the new password comes from`,
      });
    }
    const reference = user.value.initialPassword;
    const hash = reference?.hash;
    // Only a reference the schema accepts is checked further, so each mistake is reported once.
    const checkable = typeof hash === 'string' && reference?.env === undefined && /^\$(scrypt|argon2id)\$/.test(hash);
    const problem = checkable ? checkSuppliedHash(hash) : null;
    if (problem) diagnostics.push({ position: at(user, 'initialPassword', 'hash'), message: `${describePath([...user.path, 'initialPassword', 'hash'])}: ${problem}` });
  }

  const declaredCompanies = new Set(companyKeys.map((c) => c.value));
  const declaredRoles = new Set(roleKeys.map((r) => r.value));
  for (const user of userViews) {
    const { company, role } = user.value;
    if (company !== undefined && !declaredCompanies.has(company) && !mightDeclare(company)) {
      diagnostics.push({
        position: at(user, 'company'),
        message: `unknown company '${company}'${suggest(company, declaredCompanies)}; declare it under companies`,
      });
    }
    if (role !== undefined && !isPredefinedRole(role) && !declaredRoles.has(role) && !mightDeclare(role)) {
      diagnostics.push({
        position: at(user, 'role'),
        message: `unknown role '${role}'${suggest(role, declaredRoles)}; use a predefined role (${Object.keys(PREDEFINED_ROLES).join(', ')}) or declare it under roles`,
      });
    }
  }

  const organization = organizations[0]?.value;
  if (diagnostics.length > 0 || !complete || !isOrganization(organization)) return { config: null, diagnostics };

  const passwordPositions = new Map<string, SourcePosition>();
  for (const user of users) {
    if (user.value.initialPassword) passwordPositions.set(emailKey(user.value.email), at(user, 'initialPassword'));
  }
  const state: OrgState = {
    organization: { key: organization.key, name: organization.name },
    companies: companies.map((c) => ({ key: c.value.key, name: c.value.name })),
    roles: roles.map((r) => r.value),
    users: users.map((u) => toUserSpec(u)),
  };
  const locations = new Map<string, SourceLocation>([[rowId('organization', organization.key), organizations[0]!]]);
  for (const c of companies) locations.set(rowId('company', c.value.key), c);
  for (const r of roles) locations.set(rowId('role', r.value.key), r);
  for (const u of users) locations.set(rowId('user', u.value.email), u);
  return {
    config: {
      state,
      unmanagedUsers: organization.unmanagedUsers ?? 'deactivate',
      files,
      passwordPositions,
      locations,
      fileCount: files.length,
      fromCache: false,
    },
    diagnostics: [],
  };
}

/** A user item as written: its attributes are USER_FIELDS (model/fields.ts). */
type RawUser = FieldValues<typeof USER_FIELDS> & {
  email: string;
  active?: boolean;
  formerEmails?: string[];
  initialPassword?: { env?: string; file?: string; hash?: string };
  resetPassword?: string;
};

/** What the cross-file checks can use of a user item, whatever else is wrong with it. */
interface UserView {
  readonly email?: string;
  /** Former emails that are text, with their index in the list. */
  readonly formerEmails: readonly { readonly email: string; readonly index: number }[];
  readonly role?: string;
  readonly company?: string;
  readonly resetPassword: boolean;
  /** Whether initialPassword is written at all, and its fields when it is a mapping. */
  readonly hasInitialPassword: boolean;
  readonly initialPassword?: Readonly<Record<string, unknown>>;
}

function userView(item: Readonly<Record<string, unknown>>): UserView {
  const formerEmails = Array.isArray(item.formerEmails) ? item.formerEmails : [];
  return {
    email: isText(item.email) ? item.email : undefined,
    formerEmails: formerEmails.flatMap((email: unknown, index) => (isText(email) ? [{ email, index }] : [])),
    role: isText(item.role) ? item.role : undefined,
    company: isText(item.company) ? item.company : undefined,
    resetPassword: item.resetPassword !== undefined,
    hasInitialPassword: item.initialPassword !== undefined,
    initialPassword: isObject(item.initialPassword) ? item.initialPassword : undefined,
  };
}

/** The words of `texts` (runs between YAML's and JSON's punctuation): the names they could declare. */
function wordsOf(texts: readonly string[]): Set<string> {
  const words = new Set<string>();
  for (const text of texts) for (const [word] of text.matchAll(/[^\s,:[\]{}"'#&*!|>]+/g)) words.add(word);
  return words;
}

/** An unusable part of a file as text, for {@link assembleConfig}'s "might it declare this name" test. */
function describeUnusable(value: unknown): string {
  try {
    return JSON.stringify(value) ?? '';
  } catch {
    return String(value);
  }
}

interface RawRole {
  key: string;
  name: string;
  description?: string;
  permissions: string[];
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
const isText = (value: unknown): value is string => typeof value === 'string';
const isTextList = (value: unknown): value is string[] => Array.isArray(value) && value.every(isText);

function isOrganization(value: unknown): value is { key: string; name: string; unmanagedUsers?: 'deactivate' | 'ignore' } {
  return isObject(value) && isText(value.key) && isText(value.name);
}
function isCompany(value: unknown): value is CompanySpec {
  return isObject(value) && isText(value.key) && isText(value.name);
}
function isRole(value: unknown): value is RawRole {
  return isObject(value) && isText(value.key) && isText(value.name) && isTextList(value.permissions) &&
    (value.description === undefined || isText(value.description));
}
function isUser(value: unknown): value is RawUser {
  return (
    isObject(value) && isText(value.email) &&
    USER_FIELDS.every((field) => isText(value[field.name]) || (field.optional && value[field.name] === undefined)) &&
    (value.active === undefined || typeof value.active === 'boolean') &&
    (value.formerEmails === undefined || isTextList(value.formerEmails)) &&
    (value.initialPassword === undefined || isObject(value.initialPassword)) &&
    (value.resetPassword === undefined || isText(value.resetPassword))
  );
}

function toUserSpec(located: Located<RawUser>): UserSpec {
  const raw = located.value;
  const reference = raw.initialPassword;
  let initialPassword: PasswordReference | null = null;
  if (reference?.env !== undefined) initialPassword = { kind: 'env', name: reference.env };
  else if (reference?.file !== undefined) {
    // Relative to the YAML file, kept relative to the working directory so a saved plan works from another checkout.
    initialPassword = { kind: 'file', path: isAbsolute(reference.file) ? reference.file : join(dirname(located.file.path), reference.file) };
  } else if (reference?.hash !== undefined) {
    initialPassword = { kind: 'hash', hash: reference.hash, file: located.file.path, pointer: [...located.path, 'initialPassword', 'hash'] };
  }
  return {
    ...withFieldsOf(USER_FIELDS, raw),
    email: raw.email,
    active: raw.active ?? true,
    formerEmails: raw.formerEmails ?? [],
    initialPassword,
    resetPassword: raw.resetPassword ?? null,
  };
}

/** Reports every item whose key an earlier item already has, naming both places. */
function checkUnique<T>(options: {
  readonly items: readonly Located<T>[];
  readonly keyOf: (value: T) => string;
  readonly message: (value: T) => string;
  readonly at: (item: Located<T>, ...rest: PathSegment[]) => SourcePosition;
  readonly diagnostics: Diagnostic[];
  /** The field that holds the key, pointed at in messages. */
  readonly field: string;
}): void {
  const { items, keyOf, message, at, diagnostics, field } = options;
  const first = new Map<string, Located<T>>();
  for (const item of items) {
    const key = keyOf(item.value);
    const previous = first.get(key);
    if (previous) {
      diagnostics.push({
        position: at(item, field),
        message: message(item.value),
        related: [{ position: at(previous, field), message: 'first defined here' }],
      });
    } else {
      first.set(key, item);
    }
  }
}

function suggest(name: string, known: ReadonlySet<string>): string {
  const near = [...known].filter((k) => k.startsWith(name.slice(0, 3)) || name.startsWith(k.slice(0, 3))).sort();
  return near.length > 0 ? ` (known: ${near.slice(0, 5).join(', ')})` : '';
}
