/**
 * The least privilege roster needs to run plan, apply, drift and export: read its tables, write the rows it
 * manages, never delete a user, never change the schema. Migrations run as the schema's owner; this role does not.
 */
import type { DatabaseTransactionConnection } from 'slonik';
import { UserError } from '../errors.ts';
import { sql, trustedScript } from './sql.ts';

/** Each table roster touches, with the privileges it needs there. */
const RUNTIME_PRIVILEGES: readonly { readonly table: string; readonly privileges: readonly ('select' | 'insert' | 'update' | 'delete')[] }[] = [
  { table: 'roster_migrations', privileges: ['select'] },
  { table: 'roster_database', privileges: ['select'] },
  { table: 'permissions', privileges: ['select'] },
  { table: 'organizations', privileges: ['select', 'insert', 'update'] },
  // Companies and custom roles no user references any more are deleted when the configuration drops them.
  { table: 'companies', privileges: ['select', 'insert', 'update', 'delete'] },
  { table: 'roles', privileges: ['select', 'insert', 'update', 'delete'] },
  { table: 'role_permissions', privileges: ['select', 'insert', 'delete'] },
  // Users are deactivated, never deleted: no DELETE.
  { table: 'users', privileges: ['select', 'insert', 'update'] },
  { table: 'audit_applies', privileges: ['select', 'insert'] },
];

/**
 * Grants `role` exactly {@link RUNTIME_PRIVILEGES} (and connecting to the database and using its schema), after
 * revoking whatever it had on roster's tables. Run by the schema's owner, in the migration's transaction.
 * Throws {@link UserError} when the role does not exist.
 */
export async function grantRuntimePrivileges(tx: DatabaseTransactionConnection, role: string): Promise<void> {
  if (!/^[^\0$]{1,63}$/.test(role)) throw new UserError(`'${role}' cannot be granted to: a role name has 1 to 63 characters, without $`);
  const exists = await tx.maybeOneFirst(sql.unsafe`select 1 from pg_roles where rolname = ${role}`);
  if (exists === null) {
    throw new UserError(`there is no database role '${role}' to grant to: create it first (create role ${role} login password '…'), then run migrate again`);
  }
  const database = String(await tx.oneFirst(sql.unsafe`select current_database()`));
  await tx.query(trustedScript(grantScript(role, database)));
}

/** The statements that give `role` exactly roster's runtime privileges in `database`. */
export function grantScript(role: string, database: string): string {
  const grantee = quoteIdentifier(role);
  return [
    `grant connect on database ${quoteIdentifier(database)} to ${grantee}`,
    `grant usage on schema public to ${grantee}`,
    ...RUNTIME_PRIVILEGES.flatMap(({ table, privileges }) => [
      `revoke all on ${quoteIdentifier(table)} from ${grantee}`,
      `grant ${privileges.join(', ')} on ${quoteIdentifier(table)} to ${grantee}`,
    ]),
  ].join(';\n') + ';';
}

/** An SQL identifier, quoted: any text is safe inside. */
function quoteIdentifier(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}
