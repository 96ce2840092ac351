/**
 * The database is input too: stored rows roster must not act on as they are. Emails not in normal form, several rows
 * that are one login, rows that do not fit the model, predefined roles changed by hand. Each becomes a plan problem
 * (apply refuses while any stands) saying what is wrong and what to do; the rows and every key they hold are kept
 * out of matching, so nothing is matched to one of several candidates by chance or created on top of them. Pure.
 */
import { compareStrings } from '../errors.ts';
import { PREDEFINED_ROLES } from '../model/permissions.ts';
import { emailFormProblem, emailKey, showStored, type OrgState, type UserSpec } from '../model/state.ts';
import type { PlanProblem } from './types.ts';

/** Keys the configuration must not act on while a problem with the stored rows that hold them stands. */
export interface HeldKeys {
  readonly organization: boolean;
  readonly companies: ReadonlySet<string>;
  readonly roles: ReadonlySet<string>;
  /** Email keys. */
  readonly users: ReadonlySet<string>;
}

export interface ScreenedState {
  /** The stored state without the users that cannot be matched safely. */
  readonly state: OrgState;
  readonly problems: PlanProblem[];
  readonly held: HeldKeys;
}

const COLLIDING_SHOWN = 5;
// Printable ASCII without space: already NFC, nothing hidden, folded by toLowerCase.
const PRINTABLE_ASCII = /^[\x21-\x7e]*$/;

/** Splits the stored state into what roster can act on and the problems with the rest. */
export function screenStoredState(actual: OrgState): ScreenedState {
  const problems: PlanProblem[] = [];
  const held = { organization: false, companies: new Set<string>(), roles: new Set<string>(), users: new Set<string>() };
  const organization = actual.organization.key;

  for (const row of actual.unreadable ?? []) {
    const key = row.key ?? `(id ${row.id})`;
    problems.push({ type: row.type, key, kind: 'unreadable-row', users: row.type === 'user' && row.key !== null ? [row.key] : [], userCount: row.type === 'user' ? 1 : 0, message: row.message });
    if (row.key === null) continue;
    if (row.type === 'organization') held.organization = true;
    else if (row.type === 'company') held.companies.add(row.key);
    else if (row.type === 'role') held.roles.add(row.key);
    else held.users.add(emailKey(row.key));
  }

  // One pass, cheap for the common case (a million printable-ASCII emails): a key per user, groups only for collisions.
  const byKey = new Map<string, UserSpec>();
  const groups = new Map<string, UserSpec[]>();
  const malformed: UserSpec[] = [];
  for (const user of actual.users) {
    const plain = PRINTABLE_ASCII.test(user.email);
    const key = plain ? user.email.toLowerCase() : emailKey(user.email);
    if (!plain && emailFormProblem(user.email) !== null) malformed.push(user);
    const first = byKey.get(key);
    if (first === undefined) byKey.set(key, user);
    else groups.set(key, [...(groups.get(key) ?? [first]), user]);
  }
  for (const user of malformed) {
    held.users.add(emailKey(user.email));
    problems.push({
      type: 'user',
      key: user.email,
      kind: 'email-not-normal',
      users: [user.email],
      userCount: 1,
      message:
        `the email '${showStored(user.email)}' stored in the database ${emailFormProblem(user.email)}, so roster never takes it ` +
        `for a user of the configuration and applies nothing while it stands. Correct it in the database (update users set ` +
        `email = '…' where email = ${sqlLiteral(user.email)} and organization_id = (select id from organizations where key = ` +
        `'${organization}')), or deactivate that account in the app if it is a stray one, then plan again.`,
    });
  }
  for (const [key, group] of groups) {
    held.users.add(key);
    const emails = group.map((u) => u.email).sort(compareStrings);
    const shown = emails.slice(0, COLLIDING_SHOWN).map((e) => `'${showStored(e)}'`);
    problems.push({
      type: 'user',
      key: emails[0]!,
      kind: 'email-collision',
      users: emails,
      userCount: emails.length,
      message:
        `${emails.length} users in the database are one login under roster's email identity (they differ only in case or ` +
        `Unicode normalisation): ${shown.join(', ')}${emails.length > shown.length ? ` and ${emails.length - shown.length} more` : ''}. ` +
        `roster will not guess which one is meant and applies nothing while they stand: change the email of all but one ` +
        `in the database (update users set email = '…' where email = ${sqlLiteral(group[1]!.email)} and organization_id = …), then plan again.`,
    });
  }
  const kept = held.users.size === 0 ? actual.users : actual.users.filter((u) => !held.users.has(emailKey(u.email)));

  problems.push(...predefinedRoleProblems(actual, organization, held.roles));
  return {
    state: { ...actual, users: kept },
    problems: problems.sort((a, b) => compareStrings(a.type, b.type) || compareStrings(a.key, b.key) || compareStrings(a.kind, b.kind)),
    held,
  };
}

/** `desired` without the companies, roles and users whose keys (or a user's former emails) a stored problem holds. */
export function withoutHeld(desired: OrgState, held: HeldKeys | null): OrgState {
  if (held === null || (held.companies.size === 0 && held.roles.size === 0 && held.users.size === 0)) return desired;
  return {
    ...desired,
    companies: desired.companies.filter((c) => !held.companies.has(c.key)),
    roles: desired.roles.filter((r) => !held.roles.has(r.key)),
    users: desired.users.filter((u) => ![u.email, ...u.formerEmails].some((email) => held.users.has(emailKey(email)))),
  };
}

/** Predefined roles as stored against the catalog: missing, unflagged, other permissions, or a custom role flagged predefined. */
function predefinedRoleProblems(actual: OrgState, organization: string, heldRoles: Set<string>): PlanProblem[] {
  if (actual.predefinedRoles === undefined) return [];
  const problems: PlanProblem[] = [];
  const restore =
    `Put the predefined roles back as roster defines them with: select roster_restore_predefined_roles('${organization}'); ` +
    `(as the database's owner), then plan again.`;
  const unreadable = new Set((actual.unreadable ?? []).filter((r) => r.type === 'role').map((r) => r.key));
  const problem = (key: string, what: string): PlanProblem => {
    const holders = actual.users.filter((u) => u.role === key).map((u) => u.email).sort(compareStrings);
    return { type: 'role', key, kind: 'predefined-role-changed', users: holders.slice(0, COLLIDING_SHOWN), userCount: holders.length, message: `${what}. ${restore}` };
  };
  for (const [key, catalog] of Object.entries(PREDEFINED_ROLES)) {
    if (unreadable.has(key)) continue;
    const stored = actual.predefinedRoles.find((r) => r.key === key);
    if (stored === undefined) {
      problems.push(problem(key, `the predefined role ${key} is missing from the database (deleted by hand), so users cannot be given it`));
      continue;
    }
    if (!stored.predefined) {
      problems.push(problem(key, `the role ${key} is no longer marked predefined in the database (roles.predefined was cleared by hand)`));
      continue;
    }
    const expected = [...catalog.permissions].sort(compareStrings);
    const missing = expected.filter((p) => !stored.permissions.includes(p));
    const extra = stored.permissions.filter((p) => !expected.includes(p));
    if (missing.length > 0 || extra.length > 0) {
      const differences = [
        ...(missing.length > 0 ? [`lacks ${missing.join(', ')}`] : []),
        ...(extra.length > 0 ? [`has ${extra.join(', ')} besides`] : []),
      ].join(' and ');
      problems.push(problem(key, `the predefined role ${key} was changed in the database: it ${differences} (roster's ${key} grants ${expected.join(', ')})`));
    }
  }
  for (const stored of actual.predefinedRoles) {
    if (stored.predefined && !Object.hasOwn(PREDEFINED_ROLES, stored.key)) {
      heldRoles.add(stored.key);
      problems.push(problem(stored.key, `the role ${stored.key} is marked predefined in the database but is not one of roster's predefined roles (${Object.keys(PREDEFINED_ROLES).join(', ')})`));
    }
  }
  return problems;
}

/** `text` as a PostgreSQL literal a person can paste: U&'…' with every character outside printable ASCII escaped. */
export function sqlLiteral(text: string): string {
  let escaped = false;
  let body = '';
  for (const c of text) {
    const code = c.codePointAt(0)!;
    if (c === "'") body += "''";
    else if (c === '\\') body += '\\\\';
    else if (code >= 0x20 && code < 0x7f) body += c;
    else {
      escaped = true;
      body += code <= 0xffff ? `\\${code.toString(16).padStart(4, '0')}` : `\\+${code.toString(16).padStart(6, '0')}`;
    }
  }
  return escaped || text.includes('\\') ? `U&'${body}'` : `'${body}'`;
}
