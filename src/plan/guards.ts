/**
 * Guard rails: a pure function from a plan's effect and limits to violations. Apply refuses while any stands,
 * unless the person raises the limit explicitly.
 */
import { compareStrings } from '../errors.ts';
import { PREDEFINED_ROLES, type Permission } from '../model/permissions.ts';
import { emailKey, type OrgState } from '../model/state.ts';
import type { Change, GuardLimits, GuardViolation } from './types.ts';

/** In the spirit of peribolos and octoDNS: more than 5 users and more than 25% of the active ones is too many at once. */
const DEFAULT_MAX_DEACTIVATIONS = { count: 5, percent: 25 };
export const DEFAULT_LIMITS: GuardLimits = { maxDeactivations: 'default', minAdmins: 1 };
const USERS_SHOWN = 20;

/** Returns every guard rail the changes break, going from `before` to `after`. */
export function checkGuards(options: {
  readonly changes: readonly Change[];
  readonly before: OrgState | null;
  readonly after: OrgState;
  readonly limits: GuardLimits;
}): GuardViolation[] {
  const violations: GuardViolation[] = [];
  const { limits, before, after } = options;

  const deactivated = options.changes
    .filter((c) => c.type === 'user' && c.action === 'deactivate')
    .map((c) => c.key)
    .sort(compareStrings);
  const activeBefore = before?.users.filter((u) => u.active).length ?? 0;
  const share = activeBefore === 0 ? 0 : (deactivated.length / activeBefore) * 100;
  const limit = limits.maxDeactivations;
  const tooMany =
    limit === 'default'
      ? deactivated.length > DEFAULT_MAX_DEACTIVATIONS.count && share > DEFAULT_MAX_DEACTIVATIONS.percent
      : 'count' in limit
        ? deactivated.length > limit.count
        : share > limit.percent;
  if (tooMany) {
    const allowed =
      limit === 'default'
        ? `more than ${DEFAULT_MAX_DEACTIVATIONS.count} users and more than ${DEFAULT_MAX_DEACTIVATIONS.percent}% of the active ones`
        : 'count' in limit
          ? `more than ${limit.count}`
          : `more than ${limit.percent}% of the active users`;
    const shown = deactivated.slice(0, USERS_SHOWN);
    violations.push({
      guard: 'mass-deactivation',
      users: deactivated,
      override: `--max-deactivations ${deactivated.length}`,
      message:
        `the plan deactivates ${deactivated.length} of ${activeBefore} active users (${share.toFixed(1)}%), ${allowed} at once: ` +
        `${shown.join(', ')}${deactivated.length > shown.length ? ` and ${deactivated.length - shown.length} more` : ''}. ` +
        `If that is intended, raise the limit with --max-deactivations ${deactivated.length} (or a percentage, e.g. ${Math.ceil(share)}%).`,
    });
  }

  // A plan locks people out when it leaves too few administrators and either takes some away or creates the
  // organization that way. An organization that already has too few is not made worse by an unrelated change.
  const admins = usersHolding(after, 'manage_users');
  const adminsBefore = before ? usersHolding(before, 'manage_users') : [];
  if (admins.length < limits.minAdmins && (before === null || admins.length < adminsBefore.length)) {
    const lost = adminsBefore.filter((email) => !admins.some((a) => emailKey(a) === emailKey(email)));
    violations.push({
      guard: 'lockout',
      users: lost,
      override: `--min-admins ${admins.length}`,
      message:
        `after this plan ${admins.length === 0 ? 'no active user holds' : `only ${admins.length} active user${admins.length === 1 ? '' : 's'} hold`} ` +
        `manage_users (at least ${limits.minAdmins} required), so nobody could manage users in the app` +
        `${lost.length > 0 ? `; it takes manage_users from ${lost.slice(0, USERS_SHOWN).join(', ')}` : ''}. ` +
        `Keep an administrator active, or pass --min-admins ${admins.length} if that is intended.`,
    });
  }
  return violations;
}

/** Emails of the active users whose role grants `permission`, sorted. */
export function usersHolding(state: OrgState, permission: Permission): string[] {
  const granting = new Set<string>();
  for (const [key, role] of Object.entries(PREDEFINED_ROLES)) if (role.permissions.includes(permission)) granting.add(key);
  for (const role of state.roles) if (role.permissions.includes(permission)) granting.add(role.key);
  return state.users
    .filter((u) => u.active && granting.has(u.role))
    .map((u) => u.email)
    .sort(compareStrings);
}

/** Parses `--max-deactivations N|P%`. Returns null for anything else. */
export function parseMaxDeactivations(text: string): GuardLimits['maxDeactivations'] | null {
  const percent = /^(\d{1,3}(?:\.\d+)?)%$/.exec(text);
  if (percent) return Number(percent[1]) <= 100 ? { percent: Number(percent[1]) } : null;
  return /^\d{1,9}$/.test(text) ? { count: Number(text) } : null;
}

/** How a limit reads in messages and plans. */
export function describeMaxDeactivations(limit: GuardLimits['maxDeactivations']): string {
  if (limit === 'default') return `default (more than ${DEFAULT_MAX_DEACTIVATIONS.count} users and more than ${DEFAULT_MAX_DEACTIVATIONS.percent}%)`;
  return 'count' in limit ? String(limit.count) : `${limit.percent}%`;
}
