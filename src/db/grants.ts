/**
 * The least privilege roster needs, in two sizes. The runtime role (plan, apply, drift, export) reads what roster
 * reads and writes only the columns roster writes: it never reads a password hash, never deletes a user, never
 * changes the schema, never flags a role predefined, and adds to the audit trail only through
 * roster_record_apply(). The read-only role (plan, drift, export) holds exactly the reads. Migrations run as the
 * schema's owner; neither role does.
 */
import type { DatabaseTransactionConnection } from 'slonik';
import { UserError } from '../errors.ts';
import { USER_FIELDS } from '../model/fields.ts';
import { z } from 'zod';
import { sql, trustedScript } from './sql.ts';

/** The columns of a table a privilege covers: `'all'` for the whole table, else these columns only. */
type Columns = 'all' | readonly string[];

interface TableGrant {
  readonly table: string;
  readonly select?: Columns;
  readonly insert?: Columns;
  readonly update?: Columns;
  readonly delete?: true;
}

/** The columns of users' attributes (model/fields.ts), read and written like the rest of a user. */
const USER_FIELD_COLUMNS = USER_FIELDS.map((field) => field.column);

/** Every table roster keeps: each grant starts by revoking whatever the role had on these. */
const ROSTER_TABLES = [
  'roster_migrations',
  'roster_database',
  'permissions',
  'organizations',
  'companies',
  'roles',
  'role_permissions',
  'users',
  'audit_applies',
] as const;

/** The function through which the audit trail grows (migration 0007), with its argument types. */
export const RECORD_APPLY_FUNCTION = 'roster_record_apply(bigint, text, text, text, text, jsonb, json)';

/**
 * What plan, drift, export, access and history read (src/db/read-state.ts, fingerprint.ts, migrate.ts, export,
 * src/access/audit-trail.ts). Row versions
 * (`xmin`) and places (`ctid`) are columns too. Never `users.password_hash`: `has_password` says whether there is one.
 */
const READS: readonly TableGrant[] = [
  { table: 'roster_migrations', select: 'all' },
  { table: 'roster_database', select: 'all' },
  { table: 'organizations', select: 'all' },
  { table: 'companies', select: 'all' },
  { table: 'roles', select: 'all' },
  { table: 'role_permissions', select: 'all' },
  {
    table: 'users',
    select: ['id', 'organization_id', 'email', ...USER_FIELD_COLUMNS, 'active', 'has_password', 'password_reset_id', 'updated_at', 'xmin', 'ctid'],
  },
  // The changes say who changed each row (access reviews, history); the audit trail never holds a password or hash.
  { table: 'audit_applies', select: ['id', 'organization_id', 'applied_at', 'actor', 'git_commit', 'database_role', 'changes'] },
];

/**
 * What apply writes (src/apply/execute.ts), column by column. Companies and custom roles no user references any
 * more are deleted when the configuration drops them; users are deactivated, never deleted. A password hash can be
 * written (created users, password resets) but not read back.
 */
const WRITES: readonly TableGrant[] = [
  { table: 'organizations', insert: ['key', 'name'], update: ['name', 'updated_at'] },
  { table: 'companies', insert: ['organization_id', 'key', 'name'], update: ['name', 'updated_at'], delete: true },
  { table: 'roles', insert: ['organization_id', 'key', 'name', 'description'], update: ['name', 'description', 'updated_at'], delete: true },
  { table: 'role_permissions', insert: ['role_id', 'permission'], delete: true },
  {
    table: 'users',
    insert: ['organization_id', 'email', ...USER_FIELD_COLUMNS, 'password_hash', 'password_reset_id', 'active', 'deactivated_at'],
    update: ['email', ...USER_FIELD_COLUMNS, 'password_hash', 'password_reset_id', 'active', 'deactivated_at', 'updated_at'],
  },
];

export interface GrantOptions {
  /** The role to grant to (it must exist). */
  readonly role: string;
  /** The database the role may connect to. */
  readonly database: string;
  /** Only what plan, drift and export read: no writes, no audit. */
  readonly readOnly: boolean;
}

/**
 * Grants `role` exactly the runtime privileges (or, `readOnly`, exactly the reads), after revoking whatever it had
 * on roster's tables and audit function, so running it again (with or without `readOnly`) sets rather than adds.
 * Run by the schema's owner, in the migration's transaction. Throws {@link UserError} when the role does not exist.
 */
export async function grantPrivileges(tx: DatabaseTransactionConnection, options: { role: string; readOnly: boolean }): Promise<void> {
  const { role } = options;
  if (!/^[^\0$]{1,63}$/.test(role)) throw new UserError(`'${role}' cannot be granted to: a role name has 1 to 63 characters, without $`);
  const exists = await tx.maybeOneFirst(sql.type(z.object({ found: z.literal(1) }))`select 1 as found from pg_roles where rolname = ${role}`);
  if (exists === null) {
    throw new UserError(`there is no database role '${role}' to grant to: create it first (create role ${role} login password '…'), then run migrate again`);
  }
  const database = await tx.oneFirst(sql.type(z.object({ name: z.string() }))`select current_database()::text as name`);
  await tx.query(trustedScript(grantScript({ role, database, readOnly: options.readOnly })));
}

/** The statements that give a role exactly roster's runtime privileges (or its reads) in a database. */
export function grantScript(options: GrantOptions): string {
  const grantee = quoteIdentifier(options.role);
  const grants = options.readOnly ? READS : [...READS, ...WRITES];
  const statements = [
    `grant connect on database ${quoteIdentifier(options.database)} to ${grantee}`,
    `grant usage on schema public to ${grantee}`,
    // Revoking a table's privileges revokes its column privileges too.
    `revoke all on ${ROSTER_TABLES.map(quoteIdentifier).join(', ')} from ${grantee}`,
    `revoke all on function ${RECORD_APPLY_FUNCTION} from ${grantee}`,
    ...grants.flatMap(tableGrants(grantee)),
  ];
  if (!options.readOnly) statements.push(`grant execute on function ${RECORD_APPLY_FUNCTION} to ${grantee}`);
  return statements.join(';\n') + ';';
}

/** One `grant` per privilege a table entry names. */
function tableGrants(grantee: string): (grant: TableGrant) => string[] {
  return (grant) => {
    const table = quoteIdentifier(grant.table);
    const privileges: [string, Columns | undefined][] = [
      ['select', grant.select],
      ['insert', grant.insert],
      ['update', grant.update],
      ['delete', grant.delete ? 'all' : undefined],
    ];
    return privileges
      .filter((entry): entry is [string, Columns] => entry[1] !== undefined)
      .map(([privilege, columns]) =>
        columns === 'all'
          ? `grant ${privilege} on ${table} to ${grantee}`
          : `grant ${privilege} (${columns.map(quoteIdentifier).join(', ')}) on ${table} to ${grantee}`,
      );
  };
}

/** An SQL identifier, quoted: any text is safe inside. */
function quoteIdentifier(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}
