/**
 * The timeline of one user, role or company from the audit trail: every change roster applied to it (following
 * renames through the audit's email changes), then what changed outside roster since, where the triggers saw it.
 * Pure: built from the audit trail and the row as stored now.
 */
import { compareStrings } from '../errors.ts';
import { emailKey, rowId, type OrgState } from '../model/state.ts';
import type { AuditApply, AuditChange } from '../access/audit-trail.ts';
import { applyReference, changeId, type ApplyReference } from '../access/last-change.ts';

export const HISTORY_FORMAT_VERSION = 1;

/** What the timeline is about: `user` by email, `role:KEY`, `company:KEY`. */
export interface HistorySubject {
  readonly type: 'user' | 'role' | 'company';
  readonly key: string;
}

export interface HistoryFieldChange {
  readonly field: string;
  readonly before: unknown;
  readonly after: unknown;
}

export type HistoryEntry =
  | ({
      readonly source: 'roster';
      readonly action: AuditChange['action'];
      /** The row's key as that change left it (a user's email then). */
      readonly key: string;
      readonly changes: readonly HistoryFieldChange[];
    } & ApplyReference)
  | {
      readonly source: 'outside-roster';
      /** The row's change time as the triggers stamped it (updated_at). */
      readonly at: string;
      readonly action: 'create' | 'update' | 'deactivate' | 'reactivate';
      readonly key: string;
      /** The fields that differ from what roster last left, when roster's last values are known. */
      readonly changes: readonly HistoryFieldChange[];
    };

export interface HistoryReport {
  readonly formatVersion: typeof HISTORY_FORMAT_VERSION;
  readonly organization: string;
  readonly subject: HistorySubject;
  /** For users: every other email the same account had, oldest first. */
  readonly formerEmails: readonly string[];
  /** The row as stored now: null when the database does not hold it. */
  readonly current: Readonly<Record<string, unknown>> | null;
  /** Oldest first. */
  readonly entries: readonly HistoryEntry[];
}

export interface HistoryInput {
  readonly subject: HistorySubject;
  readonly stored: OrgState;
  readonly changedAt: ReadonlyMap<string, number>;
  readonly applies: readonly AuditApply[];
}

/** Parses `KEY` as the command takes it: `role:KEY`, `company:KEY`, `user:EMAIL` or an email. Null when it is none. */
export function parseSubject(text: string): HistorySubject | null {
  const match = /^(user|role|company):(.+)$/.exec(text);
  if (match) return { type: match[1] as HistorySubject['type'], key: match[2]! };
  return text.includes('@') ? { type: 'user', key: text } : null;
}

/** Builds the timeline. Pure and deterministic. Throws nothing. */
export function buildHistory(input: HistoryInput): HistoryReport {
  const { subject, stored } = input;
  const aliases = subject.type === 'user' ? userAliases(subject.key, input.applies) : new Set([`${subject.type}:${subject.key}`]);
  const matches = (change: AuditChange) => change.type === subject.type && aliases.has(changeId(change));

  const entries: HistoryEntry[] = [];
  const known: Record<string, unknown> = {};
  let lastApply: AuditApply | undefined;
  const emails: string[] = [];
  for (const apply of input.applies) {
    for (const change of apply.changes) {
      if (!matches(change)) continue;
      lastApply = apply;
      const changes: HistoryFieldChange[] =
        change.after !== null
          ? Object.entries(change.after).map(([field, after]) => ({ field, before: null, after }))
          : Object.entries(change.fields).map(([field, value]) => ({ field, before: value.before, after: value.after }));
      if (change.action === 'deactivate') changes.push({ field: 'active', before: true, after: false });
      if (change.action === 'reactivate') changes.push({ field: 'active', before: false, after: true });
      for (const c of changes) known[c.field] = c.after;
      if (change.action === 'create' && change.type === 'user') known.email = change.key;
      if (change.type === 'user' && change.fields.email) {
        const before = change.fields.email.before;
        if (typeof before === 'string' && !emails.includes(before)) emails.push(before);
      }
      entries.push({ source: 'roster', action: change.action, key: change.key, changes, ...applyReference(apply) });
    }
  }

  const current = currentRow(subject, aliases, stored);
  if (current !== null) {
    const id = current.id;
    const changedAtMs = input.changedAt.get(id);
    if (changedAtMs !== undefined && (lastApply === undefined || changedAtMs > lastApply.atMs)) {
      const differences = lastApply === undefined ? [] : differencesFrom(known, current.values);
      const active = differences.find((d) => d.field === 'active');
      entries.push({
        source: 'outside-roster',
        at: new Date(changedAtMs).toISOString(),
        action: lastApply === undefined ? 'create' : active ? (active.after === true ? 'reactivate' : 'deactivate') : 'update',
        key: current.key,
        changes: lastApply === undefined ? Object.entries(current.values).map(([field, after]) => ({ field, before: null, after })) : differences,
      });
    }
  }
  const currentEmail = current?.key ?? subject.key;
  return {
    formatVersion: HISTORY_FORMAT_VERSION,
    organization: stored.organization.key,
    subject,
    formerEmails: subject.type === 'user' ? emails.filter((e) => emailKey(e) !== emailKey(currentEmail)) : [],
    current: current?.values ?? null,
    entries,
  };
}

/**
 * Every identity (`user:<email key>`) the account known as `email` had: renames recorded in the audit trail link an
 * email before to the email after, in both directions, until nothing new is found.
 */
function userAliases(email: string, applies: readonly AuditApply[]): Set<string> {
  const aliases = new Set([rowId('user', email)]);
  const links: [string, string][] = [];
  for (const apply of applies) {
    for (const change of apply.changes) {
      const before = change.type === 'user' ? change.fields.email?.before : undefined;
      if (typeof before === 'string') links.push([rowId('user', before), changeId(change)]);
    }
  }
  for (let grown = true; grown; ) {
    grown = false;
    for (const [a, b] of links) {
      if (aliases.has(a) !== aliases.has(b)) {
        aliases.add(a);
        aliases.add(b);
        grown = true;
      }
    }
  }
  return aliases;
}

/** The subject's row as stored now, in the audit's field names. */
function currentRow(subject: HistorySubject, aliases: Set<string>, stored: OrgState): { id: string; key: string; values: Record<string, unknown> } | null {
  if (subject.type === 'user') {
    const candidates = stored.users.filter((u) => aliases.has(rowId('user', u.email)));
    // The account under the asked email first, else the newest name it was given.
    const user = candidates.find((u) => emailKey(u.email) === emailKey(subject.key)) ?? candidates.sort((a, b) => compareStrings(a.email, b.email))[0];
    if (user === undefined) return null;
    return {
      id: rowId('user', user.email),
      key: user.email,
      values: { email: user.email, firstName: user.firstName, lastName: user.lastName, role: user.role, company: user.company, active: user.active },
    };
  }
  if (subject.type === 'role') {
    const role = stored.roles.find((r) => r.key === subject.key);
    const predefined = stored.predefinedRoles?.find((r) => r.key === subject.key);
    if (role) return { id: rowId('role', role.key), key: role.key, values: { name: role.name, description: role.description, permissions: role.permissions } };
    if (predefined) return { id: rowId('role', predefined.key), key: predefined.key, values: { predefined: predefined.predefined, permissions: predefined.permissions } };
    return null;
  }
  const company = stored.companies.find((c) => c.key === subject.key);
  return company ? { id: rowId('company', company.key), key: company.key, values: { name: company.name } } : null;
}

/** The fields whose stored value differs from the one roster last left (fields roster never recorded are skipped). */
function differencesFrom(known: Record<string, unknown>, current: Record<string, unknown>): HistoryFieldChange[] {
  const result: HistoryFieldChange[] = [];
  for (const [field, value] of Object.entries(current)) {
    if (!Object.hasOwn(known, field)) continue;
    if (JSON.stringify(known[field]) !== JSON.stringify(value)) result.push({ field, before: known[field], after: value });
  }
  return result;
}
