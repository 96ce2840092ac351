/**
 * What a plan does to a state, computed in memory: the state the database will hold after applying it.
 * Guard rails judge that future state; tests compare the real executor with it.
 */
import { emailKey, type OrgState, type RoleSpec, type UserSpec } from '../model/state.ts';
import { storedEmail, type Change } from './types.ts';

/** Applies `changes` to `actual` (null: the organization does not exist yet). Pure. */
export function simulate(organization: string, actual: OrgState | null, changes: readonly Change[]): OrgState {
  let state: OrgState = actual ?? { organization: { key: organization, name: '' }, companies: [], roles: [], users: [] };
  for (const change of changes) {
    switch (change.type) {
      case 'organization':
        state = { ...state, organization: { key: change.key, name: change.fields.name?.after ?? state.organization.name } };
        break;
      case 'company': {
        const others = state.companies.filter((c) => c.key !== change.key);
        const old = state.companies.find((c) => c.key === change.key);
        state = {
          ...state,
          companies: change.action === 'delete' ? others : [...others, { key: change.key, name: change.fields.name?.after ?? old!.name }],
        };
        break;
      }
      case 'role': {
        const others = state.roles.filter((r) => r.key !== change.key);
        const old = state.roles.find((r) => r.key === change.key);
        if (change.action === 'delete') {
          state = { ...state, roles: others };
          break;
        }
        const f = change.fields;
        const next: RoleSpec = {
          key: change.key,
          name: f.name ? f.name.after! : old!.name,
          description: f.description ? f.description.after : (old?.description ?? null),
          permissions: f.permissions ? [...f.permissions.after!] : old!.permissions,
        };
        state = { ...state, roles: [...others, next] };
        break;
      }
      case 'user': {
        if (change.action === 'create') {
          const created: UserSpec = {
            email: change.fields.email.after!,
            firstName: change.fields.firstName.after!,
            lastName: change.fields.lastName.after!,
            role: change.fields.role.after!,
            company: change.fields.company.after!,
            active: change.active,
            formerEmails: [],
            initialPassword: null,
            resetPassword: change.fields.resetPassword?.after ?? null,
          };
          state = { ...state, users: [...state.users, created] };
          break;
        }
        const match = emailKey(storedEmail(change));
        const old = state.users.find((u) => emailKey(u.email) === match);
        if (!old) break;
        const f = change.fields;
        const updated: UserSpec = {
          ...old,
          email: f.email?.after ?? old.email,
          firstName: f.firstName?.after ?? old.firstName,
          lastName: f.lastName?.after ?? old.lastName,
          role: f.role?.after ?? old.role,
          company: f.company?.after ?? old.company,
          resetPassword: f.resetPassword?.after ?? old.resetPassword,
          active: change.action === 'deactivate' ? false : change.action === 'reactivate' ? true : old.active,
        };
        state = { ...state, users: state.users.map((u) => (u === old ? updated : u)) };
        break;
      }
    }
  }
  return state;
}
