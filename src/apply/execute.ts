/**
 * Executes a plan's changes inside an open transaction: one bulk SQL statement per kind of change, in the plan's
 * dependency order, never one round trip per row. Each statement checks it touched exactly the rows it meant to.
 */
import type { DatabaseTransactionConnection } from 'slonik';
import { InternalError, PlanRejectedError } from '../errors.ts';
import { emailKey } from '../model/state.ts';
import { sql } from '../db/sql.ts';
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
  | { readonly type: 'organization'; readonly changes: readonly OrganizationChange[] }
  | { readonly type: 'company'; readonly action: CompanyChange['action']; readonly changes: readonly CompanyChange[] }
  | { readonly type: 'role'; readonly action: RoleChange['action']; readonly changes: readonly RoleChange[] }
  | { readonly type: 'user'; readonly changes: readonly UserChange[] };

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
    const sameBatch =
      last !== undefined &&
      last.type === change.type &&
      (change.type === 'user' || change.type === 'organization' || ('action' in last && last.action === change.action));
    if (sameBatch) {
      (last.changes as Change[]).push(change);
    } else if (change.type === 'organization' || change.type === 'user') {
      result.push({ type: change.type, changes: [change] } as Batch);
    } else {
      result.push({ type: change.type, action: change.action, changes: [change] } as Batch);
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
      case 'create':
        id = Number(
          await tx.oneFirst(sql.unsafe`insert into organizations (key, name) values (${change.key}, ${change.fields.name.after!}) returning id`),
        );
        break;
      case 'update': {
        const result = await tx.query(
          sql.unsafe`update organizations set name = ${change.fields.name!.after!}, updated_at = now() where id = ${requireId(id)}`,
        );
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
  const names = changes.map((c) => c.fields.name?.after ?? null);
  let result;
  switch (action) {
    case 'create':
      result = await tx.query(sql.unsafe`
        insert into companies (organization_id, key, name)
        select ${organizationId}, v.key, v.name from ${sql.unnest(zip(keys, names), ['text', 'text'])} as v (key, name)`);
      break;
    case 'update':
      result = await tx.query(sql.unsafe`
        update companies c set name = v.name, updated_at = now()
          from ${sql.unnest(zip(keys, names), ['text', 'text'])} as v (key, name)
         where c.organization_id = ${organizationId} and c.key = v.key`);
      break;
    case 'delete':
      result = await tx.query(sql.unsafe`
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
      result = await tx.query(sql.unsafe`
        insert into roles (organization_id, key, name, description)
        select ${organizationId}, v.key, v.name, v.description
          from ${sql.unnest(
            changes.map((c) => [c.key, c.fields.name?.after ?? null, c.fields.description?.after ?? null]),
            ['text', 'text', 'text'],
          )} as v (key, name, description)`);
      break;
    case 'update':
      // A column is written only where the plan changes it: has_x says so, x is the new value (possibly null).
      result = await tx.query(sql.unsafe`
        update roles r set
               name = case when v.has_name then v.name else r.name end,
               description = case when v.has_description then v.description else r.description end,
               updated_at = now()
          from ${sql.unnest(
            changes.map((c) => [
              c.key,
              c.fields.name !== undefined,
              c.fields.name?.after ?? null,
              c.fields.description !== undefined,
              c.fields.description?.after ?? null,
            ]),
            ['text', 'bool', 'text', 'bool', 'text'],
          )} as v (key, has_name, name, has_description, description)
         where r.organization_id = ${organizationId} and r.key = v.key and not r.predefined`);
      break;
    case 'delete':
      result = await tx.query(sql.unsafe`
        delete from roles where organization_id = ${organizationId} and not predefined and key = any(${sql.array(keys, 'text')})`);
      break;
    default:
      return assertNever(action);
  }
  expectRows(result.rowCount, changes.length, `${action} roles`);

  const permissionChanges = changes.filter((c) => action !== 'delete' && c.fields.permissions !== undefined);
  if (permissionChanges.length === 0) return;
  const changedKeys = sql.array(permissionChanges.map((c) => c.key), 'text');
  await tx.query(sql.unsafe`
    delete from role_permissions p using roles r
     where p.role_id = r.id and r.organization_id = ${organizationId} and r.key = any(${changedKeys})`);
  const pairs = permissionChanges.flatMap((c) => (c.fields.permissions!.after ?? []).map((permission) => [c.key, permission] as const));
  if (pairs.length === 0) return;
  const inserted = await tx.query(sql.unsafe`
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
  const creates = changes.filter((c) => c.action === 'create');
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
    const result = await tx.query(sql.unsafe`
      update users set email = 'roster-rename-' || id || '@invalid' where id = any(${sql.array(renamed, 'int8')})`);
    expectRows(result.rowCount, renamed.length, 'rename users');
  }

  const fieldEdits = edits.filter((c) => Object.keys(c.fields).length > 0);
  if (fieldEdits.length > 0) {
    const rows = fieldEdits.map((c) => [
      idOf(c),
      c.fields.email?.after ?? null,
      c.fields.firstName?.after ?? null,
      c.fields.lastName?.after ?? null,
      c.fields.role?.after ?? null,
      c.fields.company?.after ?? null,
      c.fields.resetPassword?.after ?? null,
      c.fields.resetPassword ? (passwordHashes.get(emailKey(c.key)) ?? missingHash(c.key)) : null,
    ]);
    // A null in v means "unchanged". An unknown role or company yields a null id, which the NOT NULL constraint refuses.
    const result = await tx.query(sql.unsafe`
      update users u set
             email = coalesce(v.email, u.email),
             first_name = coalesce(v.first_name, u.first_name),
             last_name = coalesce(v.last_name, u.last_name),
             role_id = case when v.role is null then u.role_id
                       else (select r.id from roles r where r.organization_id = ${organizationId} and r.key = v.role) end,
             company_id = case when v.company is null then u.company_id
                          else (select c.id from companies c where c.organization_id = ${organizationId} and c.key = v.company) end,
             password_reset_id = coalesce(v.reset_id, u.password_reset_id),
             updated_at = now()
        from ${sql.unnest(rows, ['int8', 'text', 'text', 'text', 'text', 'text', 'text', 'text'])}
             as v (id, email, first_name, last_name, role, company, reset_id, password_hash)
       where u.id = v.id`);
    expectRows(result.rowCount, fieldEdits.length, 'update users');
    // Password resets in a statement of their own that never reads a hash: the role roster runs as may write
    // password_hash, never read it (src/db/grants.ts).
    const resets = fieldEdits.filter((c) => c.fields.resetPassword !== undefined && c.fields.resetPassword.after !== null);
    if (resets.length > 0) {
      const hashes = resets.map((c) => [idOf(c), passwordHashes.get(emailKey(c.key)) ?? missingHash(c.key)]);
      const reset = await tx.query(sql.unsafe`
        update users u set password_hash = v.password_hash, updated_at = now()
          from ${sql.unnest(hashes, ['int8', 'text'])} as v (id, password_hash)
         where u.id = v.id`);
      expectRows(reset.rowCount, resets.length, 'reset passwords');
    }
  }

  const byAction = (action: 'deactivate' | 'reactivate') => sql.array(edits.filter((c) => c.action === action).map(idOf), 'int8');
  const deactivations = edits.filter((c) => c.action === 'deactivate').length;
  if (deactivations > 0) {
    const result = await tx.query(sql.unsafe`
      update users set active = false, deactivated_at = now(), updated_at = now()
       where active and id = any(${byAction('deactivate')})`);
    expectRows(result.rowCount, deactivations, 'deactivate users');
  }
  const reactivations = edits.filter((c) => c.action === 'reactivate').length;
  if (reactivations > 0) {
    const result = await tx.query(sql.unsafe`
      update users set active = true, deactivated_at = null, updated_at = now()
       where not active and id = any(${byAction('reactivate')})`);
    expectRows(result.rowCount, reactivations, 'reactivate users');
  }

  if (creates.length > 0) {
    const rows = creates.map((c) => {
      if (c.action !== 'create') throw new InternalError('unreachable');
      return [
        c.fields.email.after!,
        c.fields.firstName.after!,
        c.fields.lastName.after!,
        c.fields.role.after!,
        c.fields.company.after!,
        c.active,
        c.initialPassword ? (passwordHashes.get(emailKey(c.key)) ?? missingHash(c.key)) : null,
        c.fields.resetPassword?.after ?? null,
      ];
    });
    const result = await tx.query(sql.unsafe`
      insert into users (organization_id, email, first_name, last_name, role_id, company_id, password_hash, password_reset_id, active, deactivated_at)
      select ${organizationId}, v.email, v.first_name, v.last_name, r.id, c.id, v.password_hash, v.reset_id, v.active,
             case when v.active then null else now() end
        from ${sql.unnest(rows, ['text', 'text', 'text', 'text', 'text', 'bool', 'text', 'text'])}
             as v (email, first_name, last_name, role, company, active, password_hash, reset_id)
        join roles r on r.organization_id = ${organizationId} and r.key = v.role
        join companies c on c.organization_id = ${organizationId} and c.key = v.company`);
    expectRows(result.rowCount, creates.length, 'create users');
  }
}

function missingHash(user: string): never {
  throw new InternalError(`no password hash was resolved for ${user}`);
}

function zip<A, B>(a: readonly A[], b: readonly B[]): [A, B][] {
  return a.map((x, i) => [x, b[i]!]);
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
