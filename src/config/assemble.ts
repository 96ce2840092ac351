/**
 * Merges parsed files into one desired organization and checks what the schema cannot:
 * exactly one organization, unique keys and emails across files, references that resolve.
 */
import { dirname, isAbsolute, join } from 'node:path';
import type { Diagnostic, SourcePosition } from '../errors.ts';
import { isPredefinedRole, PREDEFINED_ROLES, type Permission } from '../model/permissions.ts';
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
 * Assembles the organization from parsed files, schema-valid or not (`partial` when some files could not be parsed).
 * Returns a config only when the files passed the schema (the caller knows) and there is no diagnostic here.
 * Returns the diagnostics of every cross-file problem; `config` is null when there is any.
 */
export function assembleConfig(
  files: readonly SourceFile[],
  options: { partial?: boolean } = {},
): { config: DesiredConfig | null; diagnostics: Diagnostic[] } {
  // With `partial`, some files or items were unusable: what they define is unknown, so missing things are not reported.
  const diagnostics: Diagnostic[] = [];
  const at = (item: { file: SourceFile; path: readonly PathSegment[] }, ...rest: PathSegment[]) => positionAt(item.file, [...item.path, ...rest]);

  const organizations: Located<{ key: string; name: string; unmanagedUsers?: 'deactivate' | 'ignore' }>[] = [];
  const companies: Located<CompanySpec>[] = [];
  const roles: Located<RoleSpec>[] = [];
  const users: Located<RawUser>[] = [];
  let partial = options.partial ?? false;
  for (const file of files) {
    if (!isObject(file.value)) partial = true;
    const root = (isObject(file.value) ? file.value : {}) as Record<string, unknown>;
    // Items the schema rejected still take part when their identifying fields are usable, so that cross-file
    // problems are reported in the same run; anything unusable makes the picture partial.
    const usable = <T>(section: string, guard: (item: unknown) => item is T, add: (item: T, path: PathSegment[]) => void) => {
      const list = root[section];
      if (list === undefined) return;
      if (!Array.isArray(list)) {
        partial = true;
        return;
      }
      list.forEach((item, i) => (guard(item) ? add(item, [section, i]) : (partial = true)));
    };
    if (root.organization !== undefined) {
      if (isOrganization(root.organization)) organizations.push({ value: root.organization, file, path: ['organization'] });
      else partial = true;
    }
    usable('companies', isCompany, (value, path) => companies.push({ value, file, path }));
    usable('roles', isRole, (value, path) =>
      roles.push({
        value: { key: value.key, name: value.name, description: value.description ?? null, permissions: value.permissions as Permission[] },
        file,
        path,
      }),
    );
    usable('users', isUser, (value, path) => users.push({ value, file, path }));
  }

  if (organizations.length === 0 && !partial) {
    diagnostics.push({
      position: { file: files[0]?.path ?? '.', line: 1, col: 1 },
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

  checkUnique({ items: companies, keyOf: (c) => c.key, message: (c) => `duplicate company key '${c.key}'`, at, diagnostics, field: 'key' });
  checkUnique({ items: roles, keyOf: (r) => r.key, message: (r) => `duplicate role key '${r.key}'`, at, diagnostics, field: 'key' });
  for (const role of roles) {
    if (isPredefinedRole(role.value.key)) {
      diagnostics.push({
        position: at(role, 'key'),
        message: `'${role.value.key}' is a predefined role (${Object.keys(PREDEFINED_ROLES).join(', ')}); give the custom role another key`,
      });
    }
  }

  // Emails and former emails share one namespace: each identifies at most one user.
  const emails = new Map<string, { item: Located<RawUser>; path: PathSegment[]; former: boolean }>();
  for (const user of users) {
    const own = emailKey(user.value.email);
    const candidates: { email: string; path: PathSegment[]; former: boolean }[] = [
      { email: user.value.email, path: ['email'], former: false },
      ...(user.value.formerEmails ?? []).map((email, i) => ({ email, path: ['formerEmails', i], former: true })),
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

  for (const user of users) {
    if (user.value.resetPassword !== undefined && user.value.initialPassword === undefined) {
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

  const companyKeys = new Set(companies.map((c) => c.value.key));
  const roleKeys = new Set(roles.map((r) => r.value.key));
  for (const user of partial ? [] : users) {
    if (!companyKeys.has(user.value.company)) {
      diagnostics.push({
        position: at(user, 'company'),
        message: `unknown company '${user.value.company}'${suggest(user.value.company, companyKeys)}; declare it under companies`,
      });
    }
    if (!isPredefinedRole(user.value.role) && !roleKeys.has(user.value.role)) {
      diagnostics.push({
        position: at(user, 'role'),
        message: `unknown role '${user.value.role}'${suggest(user.value.role, roleKeys)}; use a predefined role (${Object.keys(PREDEFINED_ROLES).join(', ')}) or declare it under roles`,
      });
    }
  }

  if (diagnostics.length > 0 || partial || options.partial) return { config: null, diagnostics };

  const passwordPositions = new Map<string, SourcePosition>();
  for (const user of users) {
    if (user.value.initialPassword) passwordPositions.set(emailKey(user.value.email), at(user, 'initialPassword'));
  }
  const state: OrgState = {
    organization: { key: organizations[0]!.value.key, name: organizations[0]!.value.name },
    companies: companies.map((c) => ({ key: c.value.key, name: c.value.name })),
    roles: roles.map((r) => r.value),
    users: users.map((u) => toUserSpec(u)),
  };
  const organization = organizations[0]!.value;
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

interface RawUser {
  email: string;
  firstName: string;
  lastName: string;
  role: string;
  company: string;
  active?: boolean;
  formerEmails?: string[];
  initialPassword?: { env?: string; file?: string; hash?: string };
  resetPassword?: string;
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
    isObject(value) && isText(value.email) && isText(value.firstName) && isText(value.lastName) && isText(value.role) && isText(value.company) &&
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
    email: raw.email,
    firstName: raw.firstName,
    lastName: raw.lastName,
    role: raw.role,
    company: raw.company,
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
