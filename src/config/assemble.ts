/**
 * Merges parsed files into one desired organization and checks what the schema cannot:
 * exactly one organization, unique keys and emails across files, references that resolve.
 */
import type { Diagnostic, SourcePosition } from '../errors.ts';
import { isPredefinedRole, PREDEFINED_ROLES, type Permission } from '../model/permissions.ts';
import { emailKey, type CompanySpec, type OrgState, type PasswordReference, type RoleSpec, type UserSpec } from '../model/state.ts';
import { checkSuppliedHash } from '../secrets/password.ts';
import { describePath } from './schema-check.ts';
import { positionAt, type PathSegment, type SourceFile } from './source-file.ts';

/** The desired organization and where each part of it was written. */
export interface DesiredConfig {
  readonly state: OrgState;
  readonly files: readonly SourceFile[];
  /** Position of each user's `initialPassword`, by {@link emailKey} of their email. */
  readonly passwordPositions: ReadonlyMap<string, SourcePosition>;
}

interface Located<T> {
  readonly value: T;
  readonly file: SourceFile;
  readonly path: readonly PathSegment[];
}

/**
 * Assembles the organization from files that each passed the schema check (`partial` when others did not).
 * Returns the diagnostics of every cross-file problem; `config` is null when there is any.
 */
export function assembleConfig(
  files: readonly SourceFile[],
  options: { partial?: boolean } = {},
): { config: DesiredConfig | null; diagnostics: Diagnostic[] } {
  // With `partial`, some files were unusable: what they define is unknown, so missing things are not reported.
  const partial = options.partial ?? false;
  const diagnostics: Diagnostic[] = [];
  const at = (item: { file: SourceFile; path: readonly PathSegment[] }, ...rest: PathSegment[]) => positionAt(item.file, [...item.path, ...rest]);

  const organizations: Located<{ key: string; name: string }>[] = [];
  const companies: Located<CompanySpec>[] = [];
  const roles: Located<RoleSpec>[] = [];
  const users: Located<RawUser>[] = [];
  for (const file of files) {
    const root = file.value as RawFile;
    if (root.organization) organizations.push({ value: root.organization, file, path: ['organization'] });
    root.companies?.forEach((value, i) => companies.push({ value, file, path: ['companies', i] }));
    root.roles?.forEach((value, i) =>
      roles.push({
        value: { key: value.key, name: value.name, description: value.description ?? null, permissions: value.permissions },
        file,
        path: ['roles', i],
      }),
    );
    root.users?.forEach((value, i) => users.push({ value, file, path: ['users', i] }));
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

  checkUnique(companies, (c) => c.key, (c) => `duplicate company key '${c.key}'`, at, diagnostics, 'key');
  checkUnique(roles, (r) => r.key, (r) => `duplicate role key '${r.key}'`, at, diagnostics, 'key');
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
        const what = (former: boolean) => (former ? 'a former email' : 'the email');
        diagnostics.push({
          position: at(user, ...candidate.path),
          message: `email '${candidate.email}' is already used (emails are unique ignoring case, former emails included): ${what(candidate.former)} here is ${what(first.former)} of another user`,
          related: [{ position: at(first.item, ...first.path), message: 'first used here' }],
        });
        continue;
      }
      emails.set(key, { item: user, path: candidate.path, former: candidate.former });
    }
  }

  for (const user of users) {
    const hash = user.value.initialPassword?.hash;
    const problem = hash === undefined ? null : checkSuppliedHash(hash);
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

  if (diagnostics.length > 0 || partial) return { config: null, diagnostics };

  const passwordPositions = new Map<string, SourcePosition>();
  for (const user of users) {
    if (user.value.initialPassword) passwordPositions.set(emailKey(user.value.email), at(user, 'initialPassword'));
  }
  const state: OrgState = {
    organization: organizations[0]!.value,
    companies: companies.map((c) => ({ key: c.value.key, name: c.value.name })),
    roles: roles.map((r) => r.value),
    users: users.map((u) => toUserSpec(u.value)),
  };
  return { config: { state, files, passwordPositions }, diagnostics: [] };
}

interface RawUser {
  email: string;
  firstName: string;
  lastName: string;
  role: string;
  company: string;
  active?: boolean;
  formerEmails?: string[];
  initialPassword?: { env?: string; hash?: string };
}

interface RawFile {
  organization?: { key: string; name: string };
  companies?: CompanySpec[];
  roles?: { key: string; name: string; description?: string; permissions: Permission[] }[];
  users?: RawUser[];
}

function toUserSpec(raw: RawUser): UserSpec {
  let initialPassword: PasswordReference | null = null;
  if (raw.initialPassword?.env !== undefined) initialPassword = { kind: 'env', name: raw.initialPassword.env };
  else if (raw.initialPassword?.hash !== undefined) initialPassword = { kind: 'hash', hash: raw.initialPassword.hash };
  return {
    email: raw.email,
    firstName: raw.firstName,
    lastName: raw.lastName,
    role: raw.role,
    company: raw.company,
    active: raw.active ?? true,
    formerEmails: raw.formerEmails ?? [],
    initialPassword,
  };
}

function checkUnique<T>(
  items: readonly Located<T>[],
  keyOf: (value: T) => string,
  message: (value: T) => string,
  at: (item: Located<T>, ...rest: PathSegment[]) => SourcePosition,
  diagnostics: Diagnostic[],
  field: string,
): void {
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
