import { describe, expect, it } from 'vitest';
import type { OrgState, UserSpec } from '../../src/model/state.ts';
import { plan } from '../../src/plan/planner.ts';
import type { GuardLimits, GuardViolation } from '../../src/plan/types.ts';
import { company, org, role, user } from '../support/builders.ts';

const DEFAULTS: GuardLimits = { maxDeactivations: 'default', maxReassignments: 'default', minAdmins: 1 };

/** `n` active viewers u0@acme.com…, plus an administrator so that the lockout guard stays out of the way. */
function people(n: number, extra: Partial<UserSpec> = {}): UserSpec[] {
  return [user('boss@acme.com', { role: 'admin' }), ...Array.from({ length: n }, (_, i) => user(`u${i}@acme.com`, extra))];
}

function violations(desired: OrgState, actual: OrgState | null, limits: Partial<GuardLimits> = {}): GuardViolation[] {
  return [...plan({ desired, actual, options: { limits: { ...DEFAULTS, ...limits } } }).guards.violations];
}

function guardsOf(desired: OrgState, actual: OrgState | null, limits: Partial<GuardLimits> = {}): string[] {
  return violations(desired, actual, limits).map((v) => v.guard);
}

/** Keeps the first `keep` of `users` (the administrator first), deactivating the rest. */
function keepFirst(users: UserSpec[], keep: number): OrgState {
  return org({ users: users.slice(0, keep) });
}

describe('mass deactivation guard (default: more than 5 users and either more than 25% or more than 100)', () => {
  const cases: { name: string; active: number; deactivated: number; refused: boolean }[] = [
    { name: '5 of 10 pass: not more than 5', active: 10, deactivated: 5, refused: false },
    { name: '6 of 20 are refused: more than 25%', active: 20, deactivated: 6, refused: true },
    { name: '6 of 100 pass: 6%', active: 100, deactivated: 6, refused: false },
    { name: '100 of 1,000 pass: 10% and not more than 100', active: 1000, deactivated: 100, refused: false },
    { name: '101 of 1,000 are refused: more than 100', active: 1000, deactivated: 101, refused: true },
  ];
  it.each(cases)('$name', ({ active, deactivated, refused }) => {
    const users = people(active - 1); // the administrator is one of the active users
    const kept = keepFirst(users, active - deactivated);
    expect(guardsOf(kept, org({ users })).includes('mass-deactivation')).toBe(refused);
  });

  it("refuses deleting one company's users file at 50,000 users (2,510 deactivations, 5%)", () => {
    const companies = Array.from({ length: 20 }, (_, i) => company(`c${String(i).padStart(2, '0')}`));
    // 2,510 users in company c07, the other 47,490 spread over the rest.
    const users = Array.from({ length: 50_000 }, (_, i) =>
      user(`person.${i}@acme.com`, { company: i < 2510 ? 'c07' : companies[(i % 19 < 7 ? i % 19 : (i % 19) + 1)]!.key, role: i === 49_999 ? 'admin' : 'viewer' }),
    );
    expect(users.filter((u) => u.company === 'c07')).toHaveLength(2510);
    const actual = org({ companies, users });
    // users/c07.yaml deleted: the company is still listed, its users are gone from the files.
    const desired = org({ companies, users: users.filter((u) => u.company !== 'c07') });
    const found = violations(desired, actual);
    const guard = found.find((v) => v.guard === 'mass-deactivation')!;
    expect(guard, JSON.stringify(found.map((v) => v.guard))).toBeDefined();
    expect(guard.users).toHaveLength(2510);
    expect(guard.message).toContain('the plan deactivates 2510 users: 2510 of 50000 active users (5.0%) lose access');
    expect(guard.override).toBe('--max-deactivations 2510');
    // Raised on purpose, the same plan passes.
    expect(guardsOf(desired, actual, { maxDeactivations: { count: 2510 } })).toEqual([]);
    expect(guardsOf(desired, actual, { maxDeactivations: { percent: 6 } })).toEqual([]);
  });

  it("counts the holders of a role that loses a permission like deactivations: they lose access", () => {
    const ops = role('ops', ['run_workflows', 'view_dashboards']);
    const users = [...people(40), ...Array.from({ length: 20 }, (_, i) => user(`op${i}@acme.com`, { role: 'ops' }))];
    const actual = org({ roles: [ops], users });
    const stripped = org({ roles: [role('ops', ['view_dashboards'])], users });
    const found = violations(stripped, actual);
    expect(found.map((v) => v.guard)).toEqual(['mass-deactivation']);
    expect(found[0]!.users).toHaveLength(20);
    expect(found[0]!.message).toContain('takes run_workflows from the 20 active holders of role ops: 20 of 61 active users (32.8%) lose access');
    // Gaining a permission takes nothing away.
    expect(guardsOf(org({ roles: [role('ops', ['manage_companies', 'run_workflows', 'view_dashboards'])], users }), actual)).toEqual([]);
  });

  it('does not count users moved into a role, or created with it, when it loses a permission: they had nothing to lose', () => {
    const users = people(40);
    const actual = org({ roles: [role('ops', ['run_workflows', 'view_dashboards'])], users });
    const moved = users.map((u, i) => (i > 0 && i <= 20 ? { ...u, role: 'ops' } : u));
    const created = Array.from({ length: 20 }, (_, i) => user(`new${i}@acme.com`, { role: 'ops' }));
    const desired = org({ roles: [role('ops', ['view_dashboards'])], users: [...moved, ...created] });
    expect(guardsOf(desired, actual)).toEqual([]);
  });

  it('adds permission losses and deactivations together', () => {
    const ops = role('ops', ['run_workflows', 'view_dashboards']);
    const users = [...people(13), ...Array.from({ length: 3 }, (_, i) => user(`op${i}@acme.com`, { role: 'ops' }))];
    const actual = org({ roles: [ops], users });
    const lessPermissions = org({ roles: [role('ops', ['view_dashboards'])], users });
    const fewerUsers = org({ roles: [ops], users: users.slice(0, -3 - 3).concat(users.slice(-3)) });
    const both = org({ roles: [role('ops', ['view_dashboards'])], users: fewerUsers.users });
    expect(guardsOf(lessPermissions, actual)).toEqual([]); // 3 of 17
    expect(guardsOf(fewerUsers, actual)).toEqual([]); // 3 of 17
    const found = violations(both, actual); // 6 of 17, 35%
    expect(found.map((v) => v.guard)).toEqual(['mass-deactivation']);
    expect(found[0]!.message).toContain('deactivates 3 users and takes run_workflows from the 3 active holders of role ops');
  });
});

describe('mass reassignment guard (default: more than 100 users and more than 25%)', () => {
  const analyst = role('analyst');
  const moving = (active: number, moved: number) => {
    const users = people(active - 1);
    const desired = org({ roles: [analyst], users: users.map((u, i) => (i >= 1 && i <= moved ? { ...u, role: 'analyst' } : u)) });
    return { desired, actual: org({ roles: [analyst], users }) };
  };

  it('refuses moving 101 of 400 active users to another role', () => {
    const { desired, actual } = moving(400, 101);
    const found = violations(desired, actual);
    expect(found.map((v) => v.guard)).toEqual(['mass-reassignment']);
    expect(found[0]!.message).toContain('the plan moves 101 of 400 active users (25.3%) to another role or company');
    expect(found[0]!.override).toBe('--max-reassignments 101');
    expect(guardsOf(desired, actual, { maxReassignments: { count: 101 } })).toEqual([]);
  });

  it('lets 100 of 400 through, and 101 of 1,000', () => {
    expect(guardsOf(moving(400, 100).desired, moving(400, 100).actual)).toEqual([]);
    expect(guardsOf(moving(1000, 101).desired, moving(1000, 101).actual)).toEqual([]);
  });

  it('refuses moving everyone to another company (a deleted companies file)', () => {
    const users = people(299);
    const actual = org({ companies: [company('hq'), company('eu')], users });
    const desired = org({ companies: [company('hq'), company('eu')], users: users.map((u) => ({ ...u, company: 'eu' })) });
    expect(guardsOf(desired, actual)).toEqual(['mass-reassignment']);
    expect(guardsOf(desired, actual, { maxReassignments: { percent: 100 } })).toEqual([]);
  });
});

describe('lockout guard: only administrators who can log in count', () => {
  it('is not satisfied by a new administrator without a password', () => {
    const actual = org({ users: [user('boss@acme.com', { role: 'admin', hasPassword: true }), user('a@acme.com')] });
    const desired = org({ users: [user('newboss@acme.com', { role: 'admin' }), user('a@acme.com')] });
    const found = violations(desired, actual);
    expect(found.map((v) => v.guard)).toEqual(['lockout']);
    expect(found[0]!.message).toContain('no active user who can log in holds manage_users');
    expect(found[0]!.message).toContain('newboss@acme.com holds it but has no password (give initialPassword)');
    expect(found[0]!.users).toEqual(['boss@acme.com']);
  });

  it('is satisfied by a new administrator with an initial password', () => {
    const actual = org({ users: [user('boss@acme.com', { role: 'admin', hasPassword: true })] });
    const desired = org({ users: [user('newboss@acme.com', { role: 'admin', initialPassword: { kind: 'env', name: 'NEWBOSS_PASSWORD' } })] });
    expect(guardsOf(desired, actual)).toEqual([]);
  });

  it('refuses a new organization whose only administrator has no password', () => {
    expect(guardsOf(org({ users: [user('boss@acme.com', { role: 'admin' })] }), null)).toEqual(['lockout']);
    expect(guardsOf(org({ users: [user('boss@acme.com', { role: 'admin', initialPassword: { kind: 'env', name: 'P' } })] }), null)).toEqual([]);
  });

  it('does not count a stored administrator whose password hash is not set', () => {
    const actual = org({
      users: [user('nopass@acme.com', { role: 'admin', hasPassword: false }), user('boss@acme.com', { role: 'admin', hasPassword: true })],
    });
    const desired = org({ users: [user('nopass@acme.com', { role: 'admin' })] });
    const found = violations(desired, actual);
    expect(found.map((v) => v.guard)).toEqual(['lockout']);
    expect(found[0]!.users).toEqual(['boss@acme.com']);
  });

  it('counts a stored administrator who gets a password in this plan', () => {
    const actual = org({
      users: [user('nopass@acme.com', { role: 'admin', hasPassword: false }), user('boss@acme.com', { role: 'admin', hasPassword: true })],
    });
    const desired = org({ users: [user('nopass@acme.com', { role: 'admin', resetPassword: 'r1', initialPassword: { kind: 'env', name: 'P' } })] });
    expect(guardsOf(desired, actual)).toEqual([]);
  });
});
