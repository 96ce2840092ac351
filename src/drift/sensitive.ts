/**
 * Drift as a security signal: access the database grants that the files do not. Pure. It compares what each active
 * stored user can do (their role's permissions as stored, predefined roles included) with what the files give the
 * same user, so a privilege gained by any route shows: a user inserted by hand, moved to another role, kept
 * inactive in the files, or whose role gained a permission.
 */
import { compareStrings } from '../errors.ts';
import type { Permission } from '../model/permissions.ts';
import { rolePermissions } from '../model/role-permissions.ts';
import { emailFormProblem, emailKey, sortedBy, type OrgState, type UserSpec } from '../model/state.ts';
import { PRIVILEGED_PERMISSIONS } from '../plan/sensitive.ts';
import type { SensitiveDrift, SensitiveDriftKind, StoredUserSummary } from './types.ts';

export interface SensitiveDriftInput {
  readonly desired: OrgState;
  readonly actual: OrgState;
  /** With `ignore`, users in no file are not roster's: they are not judged. */
  readonly unmanagedUsers: 'deactivate' | 'ignore';
  /** When a stored row last changed, and whether after roster's last apply (drift's own rule). */
  readonly changeOf: (type: 'user' | 'role', key: string) => { readonly changedAt: string | null; readonly afterLastApply: boolean | null };
}

/** Most dangerous first. */
const KIND_ORDER: readonly SensitiveDriftKind[] = ['privileged-user', 'privileged-role', 'reactivation'];

/** A user's role, company and active state as stored. */
export function storedUserSummary(user: UserSpec): StoredUserSummary {
  return { role: user.role, company: user.company, active: user.active };
}

/** Lists the access the database grants beyond the files, most dangerous first, then by key. Throws nothing. */
export function findSensitiveDrift(input: SensitiveDriftInput): SensitiveDrift[] {
  const { desired, actual } = input;
  const stored = rolePermissions(actual); // predefined roles as stored: someone may have changed them by hand
  const files = rolePermissions(desired); // predefined roles from the catalog, custom roles as the files define them
  // In catalog order (manage_users first), whatever order they are stored in.
  const privileged = (grants: ReadonlyMap<string, readonly Permission[]>, role: string) =>
    PRIVILEGED_PERMISSIONS.filter((p) => (grants.get(role) ?? []).includes(p));
  const listedUser = filesUserLookup(desired.users);
  const result: SensitiveDrift[] = [];

  for (const user of sortedBy(actual.users, (u) => emailKey(u.email))) {
    if (!user.active) continue;
    const listed = listedUser(user.email);
    if (listed === undefined && input.unmanagedUsers === 'ignore') continue;
    const given = new Set(listed?.active ? privileged(files, listed.role) : []);
    const gained = privileged(stored, user.role).filter((p) => !given.has(p));
    const entry = (kind: SensitiveDriftKind, permissions: readonly Permission[], message: string): SensitiveDrift => ({
      kind,
      type: 'user',
      key: user.email,
      permissions,
      database: storedUserSummary(user),
      ...input.changeOf('user', user.email),
      message,
    });
    if (gained.length > 0) {
      const why =
        listed === undefined
          ? 'and no file lists them'
          : !listed.active
            ? 'and the files keep them inactive'
            : listed.role !== user.role
              ? `and the files give them role ${listed.role}`
              : 'which the role gained outside the files';
      result.push(entry('privileged-user', gained, `${user.email} holds ${gained.join(', ')} through role ${user.role}, ${why}`));
    } else if (listed === undefined || !listed.active) {
      const why = listed === undefined ? 'no file lists them' : 'the files keep them inactive';
      result.push(entry('reactivation', [], `${user.email} is active in the database, and ${why}`));
    }
  }

  const holders = new Map<string, number>();
  for (const user of actual.users) if (user.active) holders.set(user.role, (holders.get(user.role) ?? 0) + 1);
  const filesRoles = new Map(desired.roles.map((r) => [r.key, r]));
  for (const role of [...actual.roles].sort((a, b) => compareStrings(a.key, b.key))) {
    const inFiles = filesRoles.get(role.key);
    const given = new Set(inFiles === undefined ? [] : privileged(files, role.key));
    const gained = PRIVILEGED_PERMISSIONS.filter((p) => role.permissions.includes(p) && !given.has(p));
    if (gained.length === 0) continue;
    const count = holders.get(role.key) ?? 0;
    result.push({
      kind: 'privileged-role',
      type: 'role',
      key: role.key,
      permissions: gained,
      ...input.changeOf('role', role.key),
      message:
        `role ${role.key} grants ${gained.join(', ')}${inFiles === undefined ? ' and is in no file' : ', which the files do not give it'} ` +
        `(${count} active user${count === 1 ? ' holds' : 's hold'} it)`,
    });
  }
  return result.sort((a, b) => KIND_ORDER.indexOf(a.kind) - KIND_ORDER.indexOf(b.kind));
}

/**
 * The files' user for a stored email: the one with that email, else the first listing it among its formerEmails
 * (the planner's rule). A stored email not in normal form is never taken for a user of the files.
 */
function filesUserLookup(users: readonly UserSpec[]): (storedEmail: string) => UserSpec | undefined {
  const byEmail = new Map<string, UserSpec>();
  const byFormer = new Map<string, UserSpec>();
  for (const user of users) {
    byEmail.set(emailKey(user.email), user);
    for (const former of user.formerEmails) if (!byFormer.has(emailKey(former))) byFormer.set(emailKey(former), user);
  }
  return (storedEmail) => {
    if (emailFormProblem(storedEmail) !== null) return undefined;
    const key = emailKey(storedEmail);
    return byEmail.get(key) ?? byFormer.get(key);
  };
}
