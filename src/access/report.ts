/**
 * The access review: a pure function from the organization as stored (and its audit trail, and optionally the
 * files) to plain data that every access renderer reads. schema/access.schema.json documents its JSON form.
 */
import { compareStrings } from '../errors.ts';
import { PERMISSIONS, PREDEFINED_ROLES, isPredefinedRole, type Permission } from '../model/permissions.ts';
import { rolePermissions } from '../model/role-permissions.ts';
import { emailKey, normalizeText, rowId, sortedBy, type OrgState, type UserSpec } from '../model/state.ts';
import { PRIVILEGED_PERMISSIONS } from '../plan/sensitive.ts';
import type { AuditApply } from './audit-trail.ts';
import { lastApplies, lastChangeOf, type LastChange } from './last-change.ts';

export const ACCESS_FORMAT_VERSION = 1;

/** Who the review covers: every active user, or those of one company, one role, or who hold one permission. */
export interface AccessFilters {
  readonly company: string | null;
  readonly role: string | null;
  readonly permission: Permission | null;
}

export interface AccessRole {
  readonly key: string;
  readonly name: string;
  readonly predefined: boolean;
  /** As stored (predefined roles too: someone may have changed them by hand). */
  readonly permissions: readonly Permission[];
  /** Active users under review holding it. */
  readonly activeUsers: number;
  /** Whether it grants a manage_* permission. */
  readonly privileged: boolean;
  /**
   * Custom roles: the last change of the role or its permissions, by an apply or outside roster. Null for predefined
   * roles, which roster never changes (their permissions are judged as stored).
   */
  readonly lastChange: LastChange | null;
}

export interface AccessCompany {
  readonly key: string;
  readonly name: string;
  /** Active users under review in it. */
  readonly activeUsers: number;
  /** Active users under review by role key (every role present, 0 when none). */
  readonly usersByRole: Readonly<Record<string, number>>;
}

export interface AccessUser {
  readonly email: string;
  readonly firstName: string;
  readonly lastName: string;
  readonly role: string;
  readonly company: string;
  /** Effective permissions, in catalog order. */
  readonly permissions: readonly Permission[];
  /** The manage_* ones among them. */
  readonly privileged: readonly Permission[];
  readonly lastChange: LastChange;
  /** Whether the stored row matches the files: null when no files were given. */
  readonly matchesFiles: boolean | null;
  /** What differs from the files (empty when it matches, or without files). */
  readonly differences: readonly string[];
}

export interface AccessReport {
  readonly formatVersion: typeof ACCESS_FORMAT_VERSION;
  readonly organization: { readonly key: string; readonly name: string };
  /** When the review was made (ISO 8601), given by the caller: the builder reads no clock. */
  readonly generatedAt: string;
  readonly filters: AccessFilters;
  readonly comparedWithFiles: boolean;
  /** The permission catalog, in order: the columns of the roles × permissions matrix. */
  readonly permissions: readonly Permission[];
  readonly privilegedPermissions: readonly Permission[];
  readonly roles: readonly AccessRole[];
  readonly companies: readonly AccessCompany[];
  /** For each manage_* permission, every active user under review holding it, by email. */
  readonly privilegedHolders: readonly { readonly permission: Permission; readonly users: readonly string[] }[];
  /** Active users under review, by email. */
  readonly users: readonly AccessUser[];
  /** Users of the files that the database does not hold (only with files). */
  readonly missingFromDatabase: readonly string[];
  /** Stored rows roster cannot read, which the review therefore leaves out (their messages). */
  readonly unreadable: readonly string[];
  readonly summary: {
    readonly activeUsers: number;
    readonly deactivatedUsers: number;
    readonly privilegedUsers: number;
    readonly changedOutsideRoster: number;
    readonly notMatchingFiles: number;
  };
}

export interface AccessInput {
  /** The organization as stored (read-state.ts). */
  readonly stored: OrgState;
  /** Each stored row's change time, by rowId (read-state.ts). */
  readonly changedAt: ReadonlyMap<string, number>;
  /** The audit trail, oldest first. */
  readonly applies: readonly AuditApply[];
  /** The organization as the files describe it, or null without files. */
  readonly desired: OrgState | null;
  readonly filters: AccessFilters;
  readonly generatedAt: string;
}

/** Builds the access review. Pure and deterministic. Throws nothing. */
export function buildAccessReport(input: AccessInput): AccessReport {
  const { stored, filters } = input;
  const granted = rolePermissions(stored);
  const permissionsOf = (role: string) => {
    const held = new Set(granted.get(role) ?? []);
    return PERMISSIONS.filter((p) => held.has(p));
  };
  const last = lastApplies(input.applies);
  const desiredUsers = input.desired === null ? null : new Map(input.desired.users.map((u) => [emailKey(u.email), u]));

  const reviewed = sortedBy(
    stored.users.filter(
      (u) =>
        u.active &&
        (filters.company === null || u.company === filters.company) &&
        (filters.role === null || u.role === filters.role) &&
        (filters.permission === null || (granted.get(u.role) ?? []).includes(filters.permission)),
    ),
    (u) => emailKey(u.email),
  );

  const users: AccessUser[] = reviewed.map((u) => {
    const permissions = permissionsOf(u.role);
    const id = rowId('user', u.email);
    const differences = desiredUsers === null ? [] : differencesFromFiles(u, desiredUsers.get(emailKey(u.email)));
    return {
      email: u.email,
      firstName: u.firstName,
      lastName: u.lastName,
      role: u.role,
      company: u.company,
      permissions,
      privileged: permissions.filter((p) => PRIVILEGED_PERMISSIONS.includes(p)),
      lastChange: lastChangeOf(input.changedAt.get(id), last.get(id)),
      matchesFiles: desiredUsers === null ? null : differences.length === 0,
      differences,
    };
  });

  const roleKeys = [
    ...(stored.predefinedRoles ?? Object.keys(PREDEFINED_ROLES).map((key) => ({ key, predefined: true }))).filter((r) => r.predefined).map((r) => r.key),
    ...stored.roles.map((r) => r.key),
  ];
  const holders = new Map<string, number>();
  for (const u of users) holders.set(u.role, (holders.get(u.role) ?? 0) + 1);
  const roles: AccessRole[] = [...new Set(roleKeys)]
    .sort((a, b) => Number(isPredefinedRole(b)) - Number(isPredefinedRole(a)) || compareStrings(a, b))
    .map((key) => {
      const permissions = permissionsOf(key);
      const custom = stored.roles.find((r) => r.key === key);
      return {
        key,
        name: custom?.name ?? PREDEFINED_ROLES[key]?.name ?? key,
        predefined: custom === undefined,
        permissions,
        activeUsers: holders.get(key) ?? 0,
        privileged: permissions.some((p) => PRIVILEGED_PERMISSIONS.includes(p)),
        lastChange: custom === undefined || !(input.changedAt.has(rowId('role', key)) || last.has(rowId('role', key)))
          ? null
          : lastChangeOf(input.changedAt.get(rowId('role', key)), last.get(rowId('role', key))),
      };
    });

  const companies: AccessCompany[] = [...stored.companies]
    .sort((a, b) => compareStrings(a.key, b.key))
    .map((c) => {
      const usersByRole: Record<string, number> = {};
      for (const r of roles) usersByRole[r.key] = 0;
      let activeUsers = 0;
      for (const u of users) {
        if (u.company !== c.key) continue;
        activeUsers++;
        usersByRole[u.role] = (usersByRole[u.role] ?? 0) + 1;
      }
      return { key: c.key, name: c.name, activeUsers, usersByRole };
    });

  const privilegedHolders = PRIVILEGED_PERMISSIONS.map((permission) => ({
    permission,
    users: users.filter((u) => u.permissions.includes(permission)).map((u) => u.email),
  }));

  const storedKeys = new Set(stored.users.map((u) => emailKey(u.email)));
  const missingFromDatabase =
    input.desired === null
      ? []
      : input.desired.users
          .filter((u) => u.active && !storedKeys.has(emailKey(u.email)) && !u.formerEmails.some((e) => storedKeys.has(emailKey(e))))
          .map((u) => u.email)
          .sort(compareStrings);

  return {
    formatVersion: ACCESS_FORMAT_VERSION,
    organization: { key: stored.organization.key, name: stored.organization.name },
    generatedAt: input.generatedAt,
    filters,
    comparedWithFiles: input.desired !== null,
    permissions: [...PERMISSIONS],
    privilegedPermissions: [...PRIVILEGED_PERMISSIONS],
    roles,
    companies,
    privilegedHolders,
    users,
    missingFromDatabase,
    unreadable: (stored.unreadable ?? []).map((row) => row.message),
    summary: {
      activeUsers: users.length,
      deactivatedUsers: stored.users.filter((u) => !u.active).length,
      privilegedUsers: users.filter((u) => u.privileged.length > 0).length,
      changedOutsideRoster: users.filter((u) => u.lastChange.source === 'outside-roster').length,
      notMatchingFiles: users.filter((u) => u.matchesFiles === false).length,
    },
  };
}

/** How the stored user differs from the files' user of the same email, one short phrase per field. */
function differencesFromFiles(stored: UserSpec, desired: UserSpec | undefined): string[] {
  if (desired === undefined) return ['not in the files'];
  const differences: string[] = [];
  if (!desired.active) differences.push('deactivated in the files');
  const fields = [
    ['role', stored.role, desired.role],
    ['company', stored.company, desired.company],
    ['firstName', normalizeText(stored.firstName), normalizeText(desired.firstName)],
    ['lastName', normalizeText(stored.lastName), normalizeText(desired.lastName)],
  ] as const;
  for (const [field, actual, wanted] of fields) if (actual !== wanted) differences.push(`${field} ${actual} (files: ${wanted})`);
  return differences;
}
