/**
 * Guard rails: a pure function from a plan's effect and limits to violations. Apply refuses while any stands,
 * unless the person raises the limit explicitly.
 *
 * They are built to catch the everyday accident, a deleted or emptied file: a whole company's users deactivated,
 * a role stripped of what its holders need, everyone moved to another role, the last administrator gone.
 */
import { compareStrings } from '../errors.ts';
import type { Permission } from '../model/permissions.ts';
import { rolePermissions } from '../model/role-permissions.ts';
import { emailKey, type OrgState, type UserSpec } from '../model/state.ts';
import { storedEmail, type Change, type GuardLimits, type GuardViolation, type UserLimit } from './types.ts';

/**
 * The default rules. Deactivations (and users losing a permission): more than 5 users and either more than 25% of the
 * active ones or more than 100 (a deleted company's file is a small share of a large organization, yet never routine).
 * Reassignments (role or company): more than 100 users and more than 25% of the active ones.
 */
export const DEFAULT_RULES = {
  deactivations: { atLeastOver: 5, percentOver: 25, countOver: 100 },
  reassignments: { countOver: 100, percentOver: 25 },
} as const;
export const DEFAULT_LIMITS: GuardLimits = { maxDeactivations: 'default', maxReassignments: 'default', minAdmins: 1 };
const USERS_SHOWN = 20;

/** Returns every guard rail the changes break, going from `before` to `after`. */
export function checkGuards(options: {
  readonly changes: readonly Change[];
  readonly before: OrgState | null;
  readonly after: OrgState;
  readonly limits: GuardLimits;
}): GuardViolation[] {
  const limits = { ...DEFAULT_LIMITS, ...options.limits };
  const { changes, before, after } = options;
  const activeBefore = before?.users.filter((u) => u.active).length ?? 0;
  const violations: GuardViolation[] = [];
  const deactivation = massDeactivation(changes, before, after, activeBefore, limits.maxDeactivations);
  if (deactivation) violations.push(deactivation);
  const reassignment = massReassignment(changes, before, activeBefore, limits.maxReassignments);
  if (reassignment) violations.push(reassignment);
  const lockout = lockoutOf(changes, before, after, limits.minAdmins);
  if (lockout) violations.push(lockout);
  return violations;
}

/**
 * Users deactivated, plus the users who held a role that loses a permission and still hold it, active, afterwards:
 * both lose access they had. (Users moved into the role, or created with it, had nothing to lose.)
 */
function massDeactivation(
  changes: readonly Change[],
  before: OrgState | null,
  after: OrgState,
  activeBefore: number,
  limit: UserLimit,
): GuardViolation | null {
  const deactivated = changes.filter((c) => c.type === 'user' && c.action === 'deactivate').map((c) => c.key);
  const counted = new Set(deactivated.map(emailKey));
  // Each stored holder's role before the plan, by the email it has after it (a rename changes the email, not the row).
  const renamed = new Map<string, string>();
  for (const c of changes) if (c.type === 'user' && c.action !== 'create' && c.fields.email) renamed.set(emailKey(storedEmail(c)), emailKey(c.key));
  const roleBefore = new Map<string, string>();
  for (const u of before?.users ?? []) if (u.active) roleBefore.set(renamed.get(emailKey(u.email)) ?? emailKey(u.email), u.role);
  const losses: { role: string; removed: Permission[]; holders: string[] }[] = [];
  for (const change of changes) {
    if (change.type !== 'role' || change.action !== 'update' || !change.fields.permissions) continue;
    const kept = new Set(change.fields.permissions.after ?? []);
    const removed = (change.fields.permissions.before ?? []).filter((p) => !kept.has(p));
    if (removed.length === 0) continue;
    const holders = after.users
      .filter((u) => u.active && u.role === change.key && roleBefore.get(emailKey(u.email)) === change.key && !counted.has(emailKey(u.email)))
      .map((u) => u.email);
    for (const email of holders) counted.add(emailKey(email));
    if (holders.length > 0) losses.push({ role: change.key, removed, holders });
  }
  const affected = [...deactivated, ...losses.flatMap((l) => l.holders)].sort(compareStrings);
  const rule = DEFAULT_RULES.deactivations;
  const share = percentOf(affected.length, activeBefore);
  const tooMany =
    limit === 'default'
      ? affected.length > rule.atLeastOver && (share > rule.percentOver || affected.length > rule.countOver)
      : exceeds(limit, affected.length, share);
  if (!tooMany) return null;
  const what = [
    ...(deactivated.length > 0 ? [`deactivates ${deactivated.length} user${deactivated.length === 1 ? '' : 's'}`] : []),
    ...losses.map((l) => `takes ${l.removed.join(', ')} from the ${l.holders.length} active holder${l.holders.length === 1 ? '' : 's'} of role ${l.role}`),
  ].join(' and ');
  return {
    guard: 'mass-deactivation',
    users: affected,
    override: `--max-deactivations ${affected.length}`,
    message:
      `the plan ${what}: ${affected.length} of ${activeBefore} active users (${share.toFixed(1)}%) lose access, ` +
      `${overLimit(limit, describeMaxDeactivations(limit))}: ${listed(affected)}. ` +
      `If that is intended, raise the limit with --max-deactivations ${affected.length} (or a percentage, e.g. ${Math.ceil(share)}%).`,
  };
}

/** Active users moved to another role or company (a deleted roles or companies file moves everyone). */
function massReassignment(changes: readonly Change[], before: OrgState | null, activeBefore: number, limit: UserLimit): GuardViolation | null {
  const activeStored = new Set((before?.users ?? []).filter((u) => u.active).map((u) => emailKey(u.email)));
  const moved = changes
    .filter((c) => c.type === 'user' && c.action === 'update' && (c.fields.role || c.fields.company) && activeStored.has(emailKey(storedEmail(c))))
    .map((c) => c.key)
    .sort(compareStrings);
  const rule = DEFAULT_RULES.reassignments;
  const share = percentOf(moved.length, activeBefore);
  const tooMany = limit === 'default' ? moved.length > rule.countOver && share > rule.percentOver : exceeds(limit, moved.length, share);
  if (!tooMany) return null;
  return {
    guard: 'mass-reassignment',
    users: moved,
    override: `--max-reassignments ${moved.length}`,
    message:
      `the plan moves ${moved.length} of ${activeBefore} active users (${share.toFixed(1)}%) to another role or company, ` +
      `${overLimit(limit, describeMaxReassignments(limit))}: ${listed(moved)}. ` +
      `If that is intended, raise the limit with --max-reassignments ${moved.length} (or a percentage, e.g. ${Math.ceil(share)}%).`,
  };
}

/**
 * A plan locks people out when it leaves too few administrators who can log in (active, with a password) and either
 * takes some away or creates the organization that way. An organization that already has too few is not made worse
 * by an unrelated change.
 */
function lockoutOf(changes: readonly Change[], before: OrgState | null, after: OrgState, minAdmins: number): GuardViolation | null {
  // Whether each user has a password after the plan: a creation with initialPassword, a planned reset, else as stored.
  const passwordAfter = new Map<string, boolean>();
  for (const change of changes) {
    if (change.type !== 'user') continue;
    if (change.action === 'create') passwordAfter.set(emailKey(change.key), change.initialPassword !== null);
    else if (change.newPassword) passwordAfter.set(emailKey(change.key), true);
  }
  const canLogInAfter = (u: UserSpec) => passwordAfter.get(emailKey(u.email)) ?? u.hasPassword !== false;
  const holdersAfter = usersHolding(after, 'manage_users');
  const admins = holdersAfter.filter(canLogInAfter).map((u) => u.email);
  const adminsBefore = before ? usersHolding(before, 'manage_users').filter((u) => u.hasPassword !== false).map((u) => u.email) : [];
  if (admins.length >= minAdmins || (before !== null && admins.length >= adminsBefore.length)) return null;
  const remaining = new Set(admins.map(emailKey));
  const lost = adminsBefore.filter((email) => !remaining.has(emailKey(email)));
  const passwordless = holdersAfter.filter((u) => !canLogInAfter(u)).map((u) => u.email);
  return {
    guard: 'lockout',
    users: lost,
    override: `--min-admins ${admins.length}`,
    message:
      `after this plan ${admins.length === 0 ? 'no active user who can log in holds' : `only ${admins.length} active user${admins.length === 1 ? '' : 's'} who can log in hold`} ` +
      `manage_users (at least ${minAdmins} required), so nobody could manage users in the app` +
      `${lost.length > 0 ? `; it takes manage_users from ${listed(lost)}` : ''}` +
      `${passwordless.length > 0 ? `; ${listed(passwordless)} ${passwordless.length === 1 ? 'holds' : 'hold'} it but ${passwordless.length === 1 ? 'has' : 'have'} no password (give initialPassword)` : ''}. ` +
      `Keep an administrator who can log in, or pass --min-admins ${admins.length} if that is intended.`,
  };
}

/** The active users whose role grants `permission`, sorted by email. */
export function usersHolding(state: OrgState, permission: Permission): UserSpec[] {
  // As stored: a predefined role stripped by hand grants only what it still holds.
  const granting = new Set([...rolePermissions(state)].filter(([, permissions]) => permissions.includes(permission)).map(([key]) => key));
  return state.users.filter((u) => u.active && granting.has(u.role)).sort((a, b) => compareStrings(a.email, b.email));
}

function percentOf(count: number, total: number): number {
  return total === 0 ? (count === 0 ? 0 : 100) : (count / total) * 100;
}

function exceeds(limit: Exclude<UserLimit, 'default'>, count: number, share: number): boolean {
  return 'count' in limit ? count > limit.count : share > limit.percent;
}

/** `which the default rule refuses (…)` or `more than the limit of N users`. */
function overLimit(limit: UserLimit, described: string): string {
  return limit === 'default' ? `which the default rule refuses ${described.replace(/^default /, '')}` : `more than the limit of ${described}`;
}

function listed(emails: readonly string[]): string {
  const shown = emails.slice(0, USERS_SHOWN);
  return `${shown.join(', ')}${emails.length > shown.length ? ` and ${emails.length - shown.length} more` : ''}`;
}

/** Parses `--max-deactivations` or `--max-reassignments`: `N` users or `P%` of the active ones. Returns null for anything else. */
export function parseUserLimit(text: string): Exclude<UserLimit, 'default'> | null {
  const percent = /^(\d{1,3}(?:\.\d+)?)%$/.exec(text);
  if (percent) return Number(percent[1]) <= 100 ? { percent: Number(percent[1]) } : null;
  return /^\d{1,9}$/.test(text) ? { count: Number(text) } : null;
}

/** How the deactivation limit reads in messages and plans. */
export function describeMaxDeactivations(limit: UserLimit | undefined): string {
  const rule = DEFAULT_RULES.deactivations;
  if (limit === undefined || limit === 'default') {
    return `default (more than ${rule.atLeastOver} users and either more than ${rule.percentOver}% of the active ones or more than ${rule.countOver})`;
  }
  return describeLimit(limit);
}

/** How the reassignment limit reads in messages and plans. */
export function describeMaxReassignments(limit: UserLimit | undefined): string {
  const rule = DEFAULT_RULES.reassignments;
  if (limit === undefined || limit === 'default') return `default (more than ${rule.countOver} users and more than ${rule.percentOver}% of the active ones)`;
  return describeLimit(limit);
}

function describeLimit(limit: Exclude<UserLimit, 'default'>): string {
  return 'count' in limit ? `${limit.count} users` : `${limit.percent}% of the active users`;
}
