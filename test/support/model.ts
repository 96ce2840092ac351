/**
 * A model of what applying a plan means, on in-memory states: the reference the real executor is checked against.
 */
import { emailKey, normalizeState, type OrgState, type UserSpec } from '../../src/model/state.ts';
import { storedEmail, type Plan } from '../../src/plan/types.ts';

/** Applies `plan` to `actual` (null: nothing exists yet) the way the database should. */
export function applyToState(actual: OrgState | null, plan: Plan): OrgState {
  let state: OrgState = actual ?? { organization: { key: plan.organization, name: '' }, companies: [], roles: [], users: [] };
  for (const change of plan.changes) {
    switch (change.type) {
      case 'organization':
        state = { ...state, organization: { key: change.key, name: change.fields.name?.after ?? state.organization.name } };
        break;
      case 'company':
        state = {
          ...state,
          companies:
            change.action === 'delete'
              ? state.companies.filter((c) => c.key !== change.key)
              : [...state.companies.filter((c) => c.key !== change.key), { key: change.key, name: change.fields.name?.after ?? state.companies.find((c) => c.key === change.key)!.name }],
        };
        break;
      case 'role': {
        const old = state.roles.find((r) => r.key === change.key);
        const others = state.roles.filter((r) => r.key !== change.key);
        state = {
          ...state,
          roles:
            change.action === 'delete'
              ? others
              : [
                  ...others,
                  {
                    key: change.key,
                    name: change.fields.name ? change.fields.name.after! : old!.name,
                    description: change.fields.description ? change.fields.description.after : (old?.description ?? null),
                    permissions: change.fields.permissions ? [...change.fields.permissions.after!] : old!.permissions,
                  },
                ],
        };
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
          };
          state = { ...state, users: [...state.users, created] };
          break;
        }
        const match = emailKey(storedEmail(change));
        const old = state.users.find((u) => emailKey(u.email) === match)!;
        const f = change.fields;
        const updated: UserSpec = {
          ...old,
          email: f.email?.after ?? old.email,
          firstName: f.firstName?.after ?? old.firstName,
          lastName: f.lastName?.after ?? old.lastName,
          role: f.role?.after ?? old.role,
          company: f.company?.after ?? old.company,
          active: change.action === 'deactivate' ? false : change.action === 'reactivate' ? true : old.active,
        };
        state = { ...state, users: state.users.map((u) => (u === old ? updated : u)) };
        break;
      }
    }
  }
  return state;
}

/** What the organization must look like after converging on `desired`: its users, plus stored users it does not name, deactivated. */
export function expectedState(desired: OrgState, actual: OrgState | null): OrgState {
  const claimed = new Set<string>();
  for (const u of desired.users) {
    const keys = [u.email, ...u.formerEmails].map(emailKey);
    const found = keys.find((k) => actual?.users.some((a) => emailKey(a.email) === k && !claimed.has(k)));
    if (found) claimed.add(found);
  }
  const unmanaged = (actual?.users ?? []).filter((a) => !claimed.has(emailKey(a.email))).map((a) => ({ ...a, active: false }));
  return comparable({ ...desired, users: [...desired.users, ...unmanaged] });
}

/** The normal form without what the database does not store (former emails, password references). */
export function comparable(state: OrgState): OrgState {
  const normal = normalizeState(state);
  return {
    ...normal,
    users: normal.users.map((u) => ({ ...u, email: emailKey(u.email), formerEmails: [], initialPassword: null })),
  };
}
