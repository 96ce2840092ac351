/**
 * Executes a plan's changes inside an open transaction: one bulk SQL statement per kind of change, in the plan's
 * dependency order, never one round trip per row. Each statement checks it touched exactly the rows it meant to.
 */
import type { DatabaseTransactionConnection, ListSqlToken } from 'slonik';
import { COMPANY_FIELDS, ORGANIZATION_FIELDS, ROLE_FIELDS, USER_FIELDS, type FieldDescriptor } from '../model/fields.ts';
import { InternalError, PlanRejectedError } from '../errors.ts';
import { emailKey } from '../model/state.ts';
import { NoRows, sql } from '../db/sql.ts';
import { z } from 'zod';
import {
  storedEmail,
  type Change,
  type CompanyChange,
  type OrganizationChange,
  type RoleChange,
  type UserChange,
} from '../plan/types.ts';

export interface ExecuteOptions {
  readonly tx: DatabaseTransactionConnection;
  /** The organization's id, or null when the plan creates it. */
  readonly organizationId: number | null;
  readonly changes: readonly Change[];
  /** Password hashes for created users, by email key. */
  readonly passwordHashes: ReadonlyMap<string, string>;
  /** Ids of the stored users, by email key, as read under the same lock. */
  readonly userIds: ReadonlyMap<string, number>;
}

/** A run of consecutive changes of the same type and action: one statement. */
type Batch =
  | { readonly type: 'organization'; readonly changes: OrganizationChange[] }
  | { readonly type: 'company'; readonly action: CompanyChange['action']; readonly changes: CompanyChange[] }
  | { readonly type: 'role'; readonly action: RoleChange['action']; readonly changes: RoleChange[] }
  | { readonly type: 'user'; readonly changes: UserChange[] };

/**
 * Runs every change. Returns the organization's id (new when the plan created it).
 * Throws {@link ConcurrentChangeError} when a statement touches a different number of rows than planned (the rows
 * changed under the apply); the caller's transaction then rolls back.
 */
export async function executeChanges(options: ExecuteOptions): Promise<number> {
  let organizationId = options.organizationId;
  for (const batch of batches(options.changes)) {
    switch (batch.type) {
      case 'organization':
        organizationId = await applyOrganization(options.tx, organizationId, batch.changes);
        break;
      case 'company':
        await applyCompanies(options.tx, requireId(organizationId), batch.action, batch.changes);
        break;
      case 'role':
        await applyRoles(options.tx, requireId(organizationId), batch.action, batch.changes);
        break;
      case 'user':
        await applyUsers(options.tx, requireId(organizationId), batch.changes, options.passwordHashes, options.userIds);
        break;
      default:
        return assertNever(batch);
    }
  }
  return requireId(organizationId);
}

/** Groups consecutive changes: all user changes form one batch (their order within it is the executor's). */
function batches(changes: readonly Change[]): Batch[] {
  const result: Batch[] = [];
  for (const change of changes) {
    const last = result.at(-1);
    switch (change.type) {
      case 'organization':
        if (last?.type === 'organization') last.changes.push(change);
        else result.push({ type: 'organization', changes: [change] });
        break;
      case 'company':
        if (last?.type === 'company' && last.action === change.action) last.changes.push(change);
        else result.push({ type: 'company', action: change.action, changes: [change] });
        break;
      case 'role':
        if (last?.type === 'role' && last.action === change.action) last.changes.push(change);
        else result.push({ type: 'role', action: change.action, changes: [change] });
        break;
      case 'user':
        if (last?.type === 'user') last.changes.push(change);
        else result.push({ type: 'user', changes: [change] });
        break;
      default:
        return assertNever(change);
    }
  }
  return result;
}

async function applyOrganization(
  tx: DatabaseTransactionConnection,
  organizationId: number | null,
  changes: readonly OrganizationChange[],
): Promise<number> {
  let id = organizationId;
  for (const change of changes) {
    switch (change.action) {
      case 'create': {
        const values = [change.key, ...columnFields(ORGANIZATION_FIELDS).map((field) => after(change.fields, field))];
        id = Number(
          await tx.oneFirst(sql.type(z.object({ id: z.number() }))`
            insert into organizations (${columnList(['key'], ORGANIZATION_FIELDS)})
            values (${sql.join(values, sql.fragment`, `)}) returning id::int as id`),
        );
        break;
      }
      case 'update': {
        const row = [[requireId(id), ...flagged(change.fields, ORGANIZATION_FIELDS)]];
        const result = await tx.query(sql.type(NoRows)`
          update organizations o set ${assignments('o', ORGANIZATION_FIELDS)}, updated_at = now()
            from ${sql.unnest(row, ['int8', ...flaggedTypes(ORGANIZATION_FIELDS)])} as v (${aliasList(['id'], ORGANIZATION_FIELDS, true)})
           where o.id = v.id`);
        expectRows(result.rowCount, 1, `update organization ${change.key}`);
        break;
      }
      default:
        return assertNever(change);
    }
  }
  return requireId(id);
}

async function applyCompanies(
  tx: DatabaseTransactionConnection,
  organizationId: number,
  action: CompanyChange['action'],
  changes: readonly CompanyChange[],
): Promise<void> {
  const keys = changes.map((c) => c.key);
  let result;
  switch (action) {
    case 'create':
      result = await tx.query(sql.type(NoRows)`
        insert into companies (${columnList(['organization_id', 'key'], COMPANY_FIELDS)})
        select ${organizationId}, ${valueList(['key'], COMPANY_FIELDS)}
          from ${sql.unnest(changes.map((c) => [c.key, ...columnFields(COMPANY_FIELDS).map((field) => after(c.fields, field))]), ['text', ...valueTypes(COMPANY_FIELDS)])}
               as v (${aliasList(['key'], COMPANY_FIELDS, false)})`);
      break;
    case 'update':
      result = await tx.query(sql.type(NoRows)`
        update companies c set ${assignments('c', COMPANY_FIELDS)}, updated_at = now()
          from ${sql.unnest(changes.map((c) => [c.key, ...flagged(c.fields, COMPANY_FIELDS)]), ['text', ...flaggedTypes(COMPANY_FIELDS)])}
               as v (${aliasList(['key'], COMPANY_FIELDS, true)})
         where c.organization_id = ${organizationId} and c.key = v.key`);
      break;
    case 'delete':
      result = await tx.query(sql.type(NoRows)`
        delete from companies where organization_id = ${organizationId} and key = any(${sql.array(keys, 'text')})`);
      break;
    default:
      return assertNever(action);
  }
  expectRows(result.rowCount, changes.length, `${action} companies`);
}

async function applyRoles(
  tx: DatabaseTransactionConnection,
  organizationId: number,
  action: RoleChange['action'],
  changes: readonly RoleChange[],
): Promise<void> {
  const keys = changes.map((c) => c.key);
  let result;
  switch (action) {
    case 'create':
      result = await tx.query(sql.type(NoRows)`
        insert into roles (${columnList(['organization_id', 'key'], ROLE_FIELDS)})
        select ${organizationId}, ${valueList(['key'], ROLE_FIELDS)}
          from ${sql.unnest(changes.map((c) => [c.key, ...columnFields(ROLE_FIELDS).map((field) => after(c.fields, field))]), ['text', ...valueTypes(ROLE_FIELDS)])}
               as v (${aliasList(['key'], ROLE_FIELDS, false)})`);
      break;
    case 'update':
      result = await tx.query(sql.type(NoRows)`
        update roles r set ${assignments('r', ROLE_FIELDS)}, updated_at = now()
          from ${sql.unnest(changes.map((c) => [c.key, ...flagged(c.fields, ROLE_FIELDS)]), ['text', ...flaggedTypes(ROLE_FIELDS)])}
               as v (${aliasList(['key'], ROLE_FIELDS, true)})
         where r.organization_id = ${organizationId} and r.key = v.key and not r.predefined`);
      break;
    case 'delete':
      result = await tx.query(sql.type(NoRows)`
        delete from roles where organization_id = ${organizationId} and not predefined and key = any(${sql.array(keys, 'text')})`);
      break;
    default:
      return assertNever(action);
  }
  expectRows(result.rowCount, changes.length, `${action} roles`);

  const permissionChanges = changes.filter((c) => action !== 'delete' && c.fields.permissions !== undefined);
  if (permissionChanges.length === 0) return;
  const changedKeys = sql.array(permissionChanges.map((c) => c.key), 'text');
  await tx.query(sql.type(NoRows)`
    delete from role_permissions p using roles r
     where p.role_id = r.id and r.organization_id = ${organizationId} and r.key = any(${changedKeys})`);
  const pairs = permissionChanges.flatMap((c) => (c.fields.permissions!.after ?? []).map((permission) => [c.key, permission] as const));
  if (pairs.length === 0) return;
  const inserted = await tx.query(sql.type(NoRows)`
    insert into role_permissions (role_id, permission)
    select r.id, v.permission
      from ${sql.unnest(pairs, ['text', 'text'])} as v (role_key, permission)
      join roles r on r.organization_id = ${organizationId} and r.key = v.role_key`);
  expectRows(inserted.rowCount, pairs.length, 'set role permissions');
}

async function applyUsers(
  tx: DatabaseTransactionConnection,
  organizationId: number,
  changes: readonly UserChange[],
  passwordHashes: ReadonlyMap<string, string>,
  userIds: ReadonlyMap<string, number>,
): Promise<void> {
  const creates = changes.filter((c): c is Extract<UserChange, { action: 'create' }> => c.action === 'create');
  const edits = changes.filter((c): c is Exclude<UserChange, { action: 'create' }> => c.action !== 'create');

  // Existing rows are addressed by id from here on: a rename must not lose track of its row.
  const idOf = (c: Exclude<UserChange, { action: 'create' }>) => {
    const id = userIds.get(emailKey(storedEmail(c)));
    if (id === undefined) throw new InternalError(`the plan changes user ${storedEmail(c)}, who is not stored; nothing was applied`);
    return id;
  };

  // Renames go through a placeholder first, so that swapping two users' emails never trips the unique index.
  const renamed = edits.filter((c) => c.fields.email !== undefined).map(idOf);
  if (renamed.length > 0) {
    const result = await tx.query(sql.type(NoRows)`
      update users set email = 'roster-rename-' || id || '@invalid' where id = any(${sql.array(renamed, 'int8')})`);
    expectRows(result.rowCount, renamed.length, 'rename users');
  }

  const fieldEdits = edits.filter((c) => Object.keys(c.fields).length > 0);
  if (fieldEdits.length > 0) {
    const rows = fieldEdits.map((c) => [
      idOf(c),
      c.fields.email !== undefined,
      c.fields.email?.after ?? null,
      ...flagged(c.fields, USER_FIELDS),
      c.fields.resetPassword !== undefined,
      c.fields.resetPassword?.after ?? null,
    ]);
    // has_x says whether the plan changes x; x is then its new value, null clearing it. An unknown role or company
    // yields a null id, which the NOT NULL constraint refuses.
    const result = await tx.query(sql.type(NoRows)`
      update users u set
             email = case when v.has_email then v.email else u.email end,
             ${assignments('u', USER_FIELDS, organizationId)},
             password_reset_id = case when v.has_reset_id then v.reset_id else u.password_reset_id end,
             updated_at = now()
        from ${sql.unnest(rows, ['int8', 'bool', 'text', ...flaggedTypes(USER_FIELDS), 'bool', 'text'])}
             as v (${aliasList(['id', 'has_email', 'email'], USER_FIELDS, true)}, has_reset_id, reset_id)
       where u.id = v.id`);
    expectRows(result.rowCount, fieldEdits.length, 'update users');
    // Password resets in a statement of their own that never reads a hash: the role roster runs as may write
    // password_hash, never read it (src/db/grants.ts).
    const resets = fieldEdits.filter((c) => c.fields.resetPassword !== undefined && c.fields.resetPassword.after !== null);
    if (resets.length > 0) {
      const hashes = resets.map((c) => [idOf(c), passwordHashes.get(emailKey(c.key)) ?? missingHash(c.key)]);
      const reset = await tx.query(sql.type(NoRows)`
        update users u set password_hash = v.password_hash, updated_at = now()
          from ${sql.unnest(hashes, ['int8', 'text'])} as v (id, password_hash)
         where u.id = v.id`);
      expectRows(reset.rowCount, resets.length, 'reset passwords');
    }
  }

  const byAction = (action: 'deactivate' | 'reactivate') => sql.array(edits.filter((c) => c.action === action).map(idOf), 'int8');
  const deactivations = edits.filter((c) => c.action === 'deactivate').length;
  if (deactivations > 0) {
    const result = await tx.query(sql.type(NoRows)`
      update users set active = false, deactivated_at = now(), updated_at = now()
       where active and id = any(${byAction('deactivate')})`);
    expectRows(result.rowCount, deactivations, 'deactivate users');
  }
  const reactivations = edits.filter((c) => c.action === 'reactivate').length;
  if (reactivations > 0) {
    const result = await tx.query(sql.type(NoRows)`
      update users set active = true, deactivated_at = null, updated_at = now()
       where not active and id = any(${byAction('reactivate')})`);
    expectRows(result.rowCount, reactivations, 'reactivate users');
  }

  if (creates.length > 0) {
    const rows = creates.map((c) => [
      c.fields.email.after,
      ...columnFields(USER_FIELDS).map((field) => after(c.fields, field)),
      c.active,
      c.action === 'create' && c.initialPassword ? (passwordHashes.get(emailKey(c.key)) ?? missingHash(c.key)) : null,
      c.fields.resetPassword?.after ?? null,
    ]);
    // A reference is joined with the table it names: an unknown role or company leaves the row out, which the row count catches.
    const references = USER_FIELDS.filter((field) => field.type === 'reference');
    const joins = references.map((field, i) => {
      const alias = sql.identifier([`ref_${i}`]);
      return sql.fragment`${field.optional ? sql.fragment`left join` : sql.fragment`join`} ${sql.identifier([field.references])} ${alias}
        on ${alias}.organization_id = ${organizationId} and ${alias}.key = ${sql.identifier(['v', valueAlias(field)])}`;
    });
    const selected = USER_FIELDS.map((field) =>
      field.type === 'reference' ? sql.fragment`${sql.identifier([`ref_${references.indexOf(field)}`, 'id'])}` : sql.fragment`${sql.identifier(['v', valueAlias(field)])}`,
    );
    const result = await tx.query(sql.type(NoRows)`
      insert into users (organization_id, email, ${columnList([], USER_FIELDS)}, password_hash, password_reset_id, active, deactivated_at)
      select ${organizationId}, v.email, ${sql.join(selected, sql.fragment`, `)}, v.password_hash, v.reset_id, v.active,
             case when v.active then null else now() end
        from ${sql.unnest(rows, ['text', ...valueTypes(USER_FIELDS), 'bool', 'text', 'text'])}
             as v (${aliasList(['email'], USER_FIELDS, false)}, active, password_hash, reset_id)
        ${sql.join(joins, sql.fragment` `)}`);
    expectRows(result.rowCount, creates.length, 'create users');
  }
}

function missingHash(user: string): never {
  throw new InternalError(`no password hash was resolved for ${user}`);
}

// SQL for the fields a descriptor lists (model/fields.ts) that live in the entity's own table. Every one is written
// the same way: in an update, has_x says whether the plan changes x, and x is then its new value (null clears it).

/** The fields of `fields` stored in a column of the entity's table (permissions live in role_permissions). */
function columnFields(fields: readonly FieldDescriptor[]): (FieldDescriptor & { readonly column: string })[] {
  return fields.filter((field): field is FieldDescriptor & { readonly column: string } => field.column !== null);
}

/** The alias of a field's new value in `v`. */
function valueAlias(field: FieldDescriptor): string {
  return `new_${field.name}`;
}

/** `lead…, column…`: the columns an insert writes. */
function columnList(lead: readonly string[], fields: readonly FieldDescriptor[]): ListSqlToken {
  const names = [...lead, ...columnFields(fields).map((field) => field.column)];
  return sql.join(names.map((name) => sql.identifier([name])), sql.fragment`, `);
}

/** `v.lead…, v.new_x…`: the values an insert selects from `v`. */
function valueList(lead: readonly string[], fields: readonly FieldDescriptor[]): ListSqlToken {
  const names = [...lead, ...columnFields(fields).map(valueAlias)];
  return sql.join(names.map((name) => sql.identifier(['v', name])), sql.fragment`, `);
}

/** The names of `v`'s columns: `lead…`, then per field `has_x, new_x` (`flags`) or `new_x`. */
function aliasList(lead: readonly string[], fields: readonly FieldDescriptor[], flags: boolean): ListSqlToken {
  const names = [...lead, ...columnFields(fields).flatMap((field) => (flags ? [`has_${field.name}`, valueAlias(field)] : [valueAlias(field)]))];
  return sql.join(names.map((name) => sql.identifier([name])), sql.fragment`, `);
}

/** The type of each field's value in `v`: text, or the key (text) a reference names. */
function valueTypes(fields: readonly FieldDescriptor[]): string[] {
  return columnFields(fields).map(() => 'text');
}

function flaggedTypes(fields: readonly FieldDescriptor[]): string[] {
  return columnFields(fields).flatMap(() => ['bool', 'text']);
}

/** `column = case when v.has_x then v.new_x else t.column end, …`; a reference looks its key up in its table. */
function assignments(table: string, fields: readonly FieldDescriptor[], organizationId?: number): ListSqlToken {
  return sql.join(
    columnFields(fields).map((field) => {
      const column = sql.identifier([field.column]);
      const value = sql.identifier(['v', valueAlias(field)]);
      const next =
        field.type === 'reference'
          ? sql.fragment`(select x.id from ${sql.identifier([field.references!])} x where x.organization_id = ${requireId(organizationId ?? null)} and x.key = ${value})`
          : sql.fragment`${value}`;
      return sql.fragment`${column} = case when ${sql.identifier(['v', `has_${field.name}`])} then ${next} else ${sql.identifier([table, field.column])} end`;
    }),
    sql.fragment`, `,
  );
}

/** A field's value after the change, as text for SQL (null: none). */
function after(changes: object, field: FieldDescriptor): string | null {
  const value = fieldChangeOf(changes, field)?.after ?? null;
  return value === null ? null : String(value);
}

/** Per field stored in a column: whether the change carries it, and its value after. */
function flagged(changes: object, fields: readonly FieldDescriptor[]): (boolean | string | null)[] {
  return columnFields(fields).flatMap((field) => [fieldChangeOf(changes, field) !== undefined, after(changes, field)]);
}

function fieldChangeOf(changes: object, field: FieldDescriptor): { readonly after: unknown } | undefined {
  const change: unknown = (changes as Record<string, unknown>)[field.name];
  return typeof change === 'object' && change !== null && 'after' in change ? change : undefined;
}

function requireId(id: number | null): number {
  if (id === null) throw new InternalError('the plan changes an organization that does not exist and does not create it');
  return id;
}

/**
 * A statement changed another number of rows than the plan said: the rows changed under the apply (the app or a
 * statement by hand, between roster's read and its write). The transaction rolls back.
 */
export class ConcurrentChangeError extends PlanRejectedError {}

function expectRows(actual: number, expected: number, what: string): void {
  if (actual !== expected) {
    throw new ConcurrentChangeError(
      `the database changed while roster was applying: the step "${what}" changed ${actual} row${actual === 1 ? '' : 's'} where the plan ` +
        `expected ${expected}, so someone (the app or a statement by hand) changed those rows at the same time. Nothing was applied. ` +
        `Run roster plan again to see the database as it is now, then apply.`,
    );
  }
}

function assertNever(value: never): never {
  throw new InternalError(`unhandled change: ${JSON.stringify(value)}`);
}
