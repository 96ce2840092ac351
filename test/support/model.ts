/**
 * The reference for what converging on a configuration means, written independently of the planner:
 * the state the database must hold afterwards.
 */
import { emailKey, normalizeState, type OrgState } from '../../src/model/state.ts';

/**
 * What the organization must look like after converging on `desired`: its users (keeping a stored password
 * rotation id the configuration does not replace), plus stored users it does not name, deactivated
 * (or left as they are when unmanaged users are ignored).
 */
export function expectedState(desired: OrgState, actual: OrgState | null, unmanagedUsers: 'deactivate' | 'ignore' = 'deactivate'): OrgState {
  const claimed = new Map<string, string | null>();
  const users = desired.users.map((u) => {
    const keys = [u.email, ...u.formerEmails].map(emailKey);
    const found = keys.map((k) => actual?.users.find((a) => emailKey(a.email) === k && !claimed.has(k))).find((a) => a !== undefined);
    if (found) claimed.set(emailKey(found.email), found.resetPassword);
    return { ...u, resetPassword: u.resetPassword ?? found?.resetPassword ?? null };
  });
  const unmanaged = (actual?.users ?? [])
    .filter((a) => !claimed.has(emailKey(a.email)))
    .map((a) => (unmanagedUsers === 'deactivate' ? { ...a, active: false } : a));
  return comparable({ ...desired, users: [...users, ...unmanaged] });
}

/** The normal form without what the database does not store (former emails, password references) or the files do not say (whether a password is set). */
export function comparable(state: OrgState): OrgState {
  const normal = normalizeState(state);
  return {
    ...normal,
    users: normal.users.map(({ hasPassword: _hasPassword, ...u }) => ({ ...u, email: emailKey(u.email), formerEmails: [], initialPassword: null })),
  };
}
