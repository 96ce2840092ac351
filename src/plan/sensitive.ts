/**
 * Changes a reviewer must not miss in a long plan: users gaining user, role or company management, roles gaining
 * those permissions, reactivations, email changes and password resets.
 */
import { compareStrings } from '../errors.ts';
import type { Permission } from '../model/permissions.ts';
import { rolePermissions } from '../model/role-permissions.ts';
import type { OrgState } from '../model/state.ts';
import type { Change, SensitiveChange } from './types.ts';

/** Most dangerous first. */
const KIND_ORDER: readonly SensitiveChange['kind'][] = ['privileged-user', 'privileged-role', 'reactivation', 'email-change', 'password-reset'];

export const PRIVILEGED_PERMISSIONS: readonly Permission[] = ['manage_users', 'manage_roles', 'manage_companies'];

/** Lists the sensitive changes in `changes`, judged against the roles as they will be after the plan. */
export function findSensitiveChanges(changes: readonly Change[], after: OrgState): SensitiveChange[] {
  const granted = rolePermissions(after); // predefined roles as stored, when `after` was read from the database
  const privilegesOf = (role: string) => (granted.get(role) ?? []).filter((p) => PRIVILEGED_PERMISSIONS.includes(p));
  const result: SensitiveChange[] = [];
  const usersByEmail = new Map(after.users.map((u) => [u.email, u]));
  const activeHolders = new Map<string, number>();
  for (const u of after.users) if (u.active) activeHolders.set(u.role, (activeHolders.get(u.role) ?? 0) + 1);

  for (const change of changes) {
    if (change.type === 'role' && change.action !== 'delete') {
      const before = new Set(change.fields.permissions?.before ?? []);
      const gained = (change.fields.permissions?.after ?? []).filter((p) => PRIVILEGED_PERMISSIONS.includes(p) && !before.has(p));
      if (gained.length > 0) {
        const holders = activeHolders.get(change.key) ?? 0;
        result.push({
          kind: 'privileged-role',
          type: 'role',
          key: change.key,
          message: `role ${change.key} gains ${gained.join(', ')} (${holders} active user${holders === 1 ? ' holds' : 's hold'} it)`,
        });
      }
    }
    if (change.type !== 'user') continue;
    const finalUser = usersByEmail.get(change.fields.email?.after ?? change.key) ?? null;
    const granted = change.action === 'create' ? change.fields.role.after : change.fields.role?.after;
    if (granted && finalUser?.active) {
      const privileges = privilegesOf(granted);
      if (privileges.length > 0) {
        result.push({
          kind: 'privileged-user',
          type: 'user',
          key: change.key,
          message: `${change.key} ${change.action === 'create' ? 'is created with' : 'moves to'} role ${granted}, which grants ${privileges.join(', ')}`,
        });
      }
    }
    if (change.action === 'reactivate') {
      const role = finalUser?.role ?? '?';
      const privileges = privilegesOf(role);
      result.push({
        kind: 'reactivation',
        type: 'user',
        key: change.key,
        message: `${change.key} regains access (role ${role}${privileges.length > 0 ? `, which grants ${privileges.join(', ')}` : ''})`,
      });
    }
    if (change.action !== 'create' && change.fields.email) {
      result.push({
        kind: 'email-change',
        type: 'user',
        key: change.key,
        message: `login changes from ${change.fields.email.before} to ${change.fields.email.after}`,
      });
    }
    if (change.action !== 'create' && change.fields.resetPassword) {
      result.push({ kind: 'password-reset', type: 'user', key: change.key, message: `${change.key} gets a new password (rotation ${change.fields.resetPassword.after})` });
    }
  }
  return result.sort((a, b) => KIND_ORDER.indexOf(a.kind) - KIND_ORDER.indexOf(b.kind) || compareStrings(a.key, b.key));
}
