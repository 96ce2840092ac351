/**
 * What each role grants, as the state says: custom roles from its roles, predefined roles as stored when the state
 * was read from the database (someone may have changed them by hand), else from the catalog.
 */
import { PREDEFINED_ROLES, type Permission } from './permissions.ts';
import type { OrgState } from './state.ts';

/**
 * The permissions of every role of `state`, by role key. A predefined role that is missing from the database, or
 * whose predefined flag was cleared, grants nothing here (users cannot be given it as it stands); a custom role's
 * own permissions win over a predefined role of the same key.
 */
export function rolePermissions(state: Pick<OrgState, 'roles' | 'predefinedRoles'>): Map<string, readonly Permission[]> {
  const permissions = new Map<string, readonly Permission[]>();
  if (state.predefinedRoles === undefined) {
    for (const [key, role] of Object.entries(PREDEFINED_ROLES)) permissions.set(key, role.permissions);
  } else {
    for (const role of state.predefinedRoles) if (role.predefined) permissions.set(role.key, role.permissions);
  }
  for (const role of state.roles) permissions.set(role.key, role.permissions);
  return permissions;
}
