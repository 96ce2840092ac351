/**
 * The platform's fixed permission catalog and its predefined roles.
 * schema/roster.schema.json and the database migrations carry the same lists; tests keep the three in step.
 */

export const PERMISSIONS = [
  'manage_users',
  'manage_roles',
  'manage_companies',
  'view_dashboards',
  'create_dashboards',
  'edit_dashboards',
  'run_workflows',
  'manage_workflows',
  'view_all_companies',
] as const;

export type Permission = (typeof PERMISSIONS)[number];

/** Predefined roles exist in every organization, are identical everywhere, and roster never changes them. */
export const PREDEFINED_ROLES: Readonly<Record<string, { name: string; permissions: readonly Permission[] }>> = {
  admin: { name: 'Administrator', permissions: PERMISSIONS },
  editor: {
    name: 'Editor',
    permissions: ['view_dashboards', 'create_dashboards', 'edit_dashboards', 'run_workflows', 'manage_workflows'],
  },
  viewer: { name: 'Viewer', permissions: ['view_dashboards'] },
};

/** True when `key` is a predefined role's key. */
export function isPredefinedRole(key: string): boolean {
  return Object.hasOwn(PREDEFINED_ROLES, key);
}
