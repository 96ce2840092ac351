/**
 * What a plan does to a state, computed in memory: the state the database will hold after applying it.
 * Guard rails judge that future state; tests compare the real executor with it. Linear in the state's size.
 */
import { emailKey, type CompanySpec, type OrgState, type RoleSpec, type UserSpec } from '../model/state.ts';
import { storedEmail, type Change } from './types.ts';

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
        org = { key: change.key, name: change.fields.name?.after ?? org.name };
        break;
      case 'company':
        if (change.action === 'delete') companies.delete(change.key);
        else companies.set(change.key, { key: change.key, name: change.fields.name?.after ?? companies.get(change.key)!.name });
        break;
      case 'role': {
        if (change.action === 'delete') {
          roles.delete(change.key);
          break;
        }
        const old = roles.get(change.key);
        const f = change.fields;
        roles.set(change.key, {
          key: change.key,
          name: f.name ? f.name.after! : old!.name,
          description: f.description ? f.description.after : (old?.description ?? null),
          permissions: f.permissions ? [...f.permissions.after!] : old!.permissions,
        });
        break;
      }
      case 'user': {
        if (change.action === 'create') {
          users.set(emailKey(change.key), {
            email: change.fields.email.after!,
            firstName: change.fields.firstName.after!,
            lastName: change.fields.lastName.after!,
            role: change.fields.role.after!,
            company: change.fields.company.after!,
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
          ...old,
          email: f.email?.after ?? old.email,
          firstName: f.firstName?.after ?? old.firstName,
          lastName: f.lastName?.after ?? old.lastName,
          role: f.role?.after ?? old.role,
          company: f.company?.after ?? old.company,
          resetPassword: f.resetPassword?.after ?? old.resetPassword,
          active: change.action === 'deactivate' ? false : change.action === 'reactivate' ? true : old.active,
        });
        break;
      }
    }
  }
  return { organization: org, companies: [...companies.values()], roles: [...roles.values()], users: [...users.values()] };
}
