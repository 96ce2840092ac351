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

/** What each permission allows, for the README and `--help`. */
export const PERMISSION_DESCRIPTIONS: Readonly<Record<Permission, string>> = {
  manage_users: 'create, edit and deactivate users',
  manage_roles: 'create, edit and delete custom roles',
  manage_companies: 'create, edit and delete companies',
  view_dashboards: 'view dashboards',
  create_dashboards: 'create dashboards',
  edit_dashboards: 'edit dashboards made by others',
  run_workflows: 'run workflows',
  manage_workflows: 'create, edit and delete workflows',
  view_all_companies: "see every company's data, not only one's own company",
};

/** Predefined roles exist in every organization, are identical everywhere, and roster never changes them. */
export const PREDEFINED_ROLES: Readonly<Record<string, { name: string; permissions: readonly Permission[] }>> = {
  admin: { name: 'Administrator', permissions: PERMISSIONS },
  editor: {
    name: 'Editor',
    permissions: ['view_dashboards', 'create_dashboards', 'edit_dashboards', 'run_workflows', 'manage_workflows'],
  },
  viewer: { name: 'Viewer', permissions: ['view_dashboards'] },
};

const permissionSet: ReadonlySet<string> = new Set(PERMISSIONS);

/** True when `value` names a permission of the catalog. */
export function isPermission(value: string): value is Permission {
  return permissionSet.has(value);
}

/** True when `key` is a predefined role's key. */
export function isPredefinedRole(key: string): boolean {
  return Object.hasOwn(PREDEFINED_ROLES, key);
}
