/**
 * Hints: advice for the people reading a plan, never acted on. Today one kind: a user the plan creates who looks
 * like a stored user it deactivates (or leaves alone) under another email, i.e. a rename written without
 * `formerEmails`, which would give the person a new, empty account and take away the old one.
 */
import { compareStrings } from '../errors.ts';
import { emailKey, normalizeText, type UserSpec } from '../model/state.ts';
import type { Change, PlanHint } from './types.ts';

/** How many look-alikes one new user is compared with in hints; more means the name is too common to tell. */
const CANDIDATES_SHOWN = 3;

/**
 * Pairs each created user with the stored users missing from the configuration (`unmanaged`, active only) that share
 * its first and last name, or the local part of its email. Sorted by the created user, then the stored one. Pure.
 */
export function renameHints(changes: readonly Change[], unmanaged: readonly UserSpec[], unmanagedUsers: 'deactivate' | 'ignore'): PlanHint[] {
  const byName = new Map<string, UserSpec[]>();
  const byLocalPart = new Map<string, UserSpec[]>();
  for (const user of unmanaged) {
    if (!user.active) continue;
    push(byName, nameKey(user.firstName, user.lastName), user);
    push(byLocalPart, localPart(user.email), user);
  }
  if (byName.size === 0) return [];
  const hints: PlanHint[] = [];
  for (const change of changes) {
    if (change.type !== 'user' || change.action !== 'create' || !change.active) continue;
    const sameName = byName.get(nameKey(change.fields.firstName.after!, change.fields.lastName.after!)) ?? [];
    const sameLocal = byLocalPart.get(localPart(change.key)) ?? [];
    const candidates = [...new Set([...sameName, ...sameLocal])].sort((a, b) => compareStrings(emailKey(a.email), emailKey(b.email)));
    for (const old of candidates.slice(0, CANDIDATES_SHOWN)) {
      const why = sameName.includes(old) ? `same first and last name, ${old.firstName} ${old.lastName}` : `same local part of the email, ${localPart(old.email)}`;
      const fate = unmanagedUsers === 'deactivate' ? `deactivates ${old.email}` : `leaves ${old.email} as it is (unmanagedUsers: ignore)`;
      hints.push({
        kind: 'possible-rename',
        from: old.email,
        to: change.key,
        message:
          `${change.key} looks like a rename of ${old.email} (${why}): the plan creates a new account and ${fate}. ` +
          `If it is the same person, add formerEmails: [${old.email}] to ${change.key} to keep the account.`,
      });
    }
  }
  return hints.sort((a, b) => compareStrings(emailKey(a.to), emailKey(b.to)) || compareStrings(emailKey(a.from), emailKey(b.from)));
}

function push(map: Map<string, UserSpec[]>, key: string, user: UserSpec): void {
  const list = map.get(key);
  if (list) list.push(user);
  else map.set(key, [user]);
}

function nameKey(firstName: string, lastName: string): string {
  return `${normalizeText(firstName).toLowerCase()}\u0000${normalizeText(lastName).toLowerCase()}`;
}

function localPart(email: string): string {
  const key = emailKey(email);
  const at = key.lastIndexOf('@');
  return at < 0 ? key : key.slice(0, at);
}
