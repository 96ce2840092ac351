/**
 * What a plan does to a state, computed in memory: the state the database will hold after applying it.
 * Guard rails judge that future state; tests compare the real executor with it. Linear in the state's size.
 */
import { emailKey, type CompanySpec, type OrgState, type RoleSpec, type UserSpec } from '../model/state.ts';
import { COMPANY_FIELDS, ORGANIZATION_FIELDS, ROLE_FIELDS, USER_FIELDS, type FieldDescriptor, type FieldValues } from '../model/fields.ts';
import { storedEmail, type Change, type FieldChanges } from './types.ts';

/** Applies `changes` to `actual` (null: the organization does not exist yet). Pure. */
export function simulate(organization: string, actual: OrgState | null, changes: readonly Change[]): OrgState {
  let org = actual?.organization ?? { key: organization, name: '' };
  const companies = new Map<string, CompanySpec>((actual?.companies ?? []).map((c) => [c.key, c]));
  const roles = new Map<string, RoleSpec>((actual?.roles ?? []).map((r) => [r.key, r]));
  // Keyed by the stored email; a rename keeps the key, so later lookups by the old email still find the row.
  const users = new Map<string, UserSpec>((actual?.users ?? []).map((u) => [emailKey(u.email), u]));

  for (const change of changes) {
    switch (change.type) {
      case 'organization':
        org = { ...withChanges(ORGANIZATION_FIELDS, org, change.fields), key: change.key };
        break;
      case 'company':
        if (change.action === 'delete') companies.delete(change.key);
        else companies.set(change.key, { ...withChanges(COMPANY_FIELDS, companies.get(change.key) ?? {}, change.fields), key: change.key });
        break;
      case 'role': {
        if (change.action === 'delete') {
          roles.delete(change.key);
          break;
        }
        const old = roles.get(change.key);
        const role = withChanges(ROLE_FIELDS, old ?? {}, change.fields);
        roles.set(change.key, { ...role, key: change.key, description: role.description ?? null });
        break;
      }
      case 'user': {
        if (change.action === 'create') {
          users.set(emailKey(change.key), {
            ...withChanges(USER_FIELDS, {}, change.fields),
            email: change.fields.email.after!,
            active: change.active,
            formerEmails: [],
            initialPassword: null,
            resetPassword: change.fields.resetPassword?.after ?? null,
          });
          break;
        }
        const key = emailKey(storedEmail(change));
        const old = users.get(key);
        if (!old) break;
        const f = change.fields;
        users.set(key, {
          ...withChanges(USER_FIELDS, old, f),
          email: f.email?.after ?? old.email,
          resetPassword: f.resetPassword?.after ?? old.resetPassword,
          active: change.action === 'deactivate' ? false : change.action === 'reactivate' ? true : old.active,
        });
        break;
      }
    }
  }
  return { organization: org, companies: [...companies.values()], roles: [...roles.values()], users: [...users.values()] };
}

/**
 * `old` with each of `fields` the change carries set to its value after the change (null clears an optional one).
 * `old` is the stored row, or nothing for a create, whose changes carry every required field.
 */
function withChanges<Fs extends readonly FieldDescriptor[], T extends object>(fields: Fs, old: T, changes: FieldChanges<Fs>): T & FieldValues<Fs> {
  const values: Record<string, unknown> = { ...(old as object) };
  const changed: Record<string, { after: unknown } | undefined> = changes;
  for (const field of fields) {
    const change = changed[field.name];
    if (change !== undefined) values[field.name] = Array.isArray(change.after) ? [...change.after] : change.after;
  }
  // Each field holds the value its change gives it: of the field's type, set for every required field.
  return values as T & FieldValues<Fs>;
}
