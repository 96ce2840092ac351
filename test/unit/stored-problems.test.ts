/** The planner on stored states roster must not act on as they are: problems, and nothing matched or created on top. */
import { describe, expect, it } from 'vitest';
import type { OrgState } from '../../src/model/state.ts';
import { PREDEFINED_ROLES } from '../../src/model/permissions.ts';
import { plan } from '../../src/plan/planner.ts';
import { sqlLiteral } from '../../src/plan/stored-problems.ts';
import { org, user } from '../support/builders.ts';

const catalog = Object.entries(PREDEFINED_ROLES).map(([key, role]) => ({ key, predefined: true, permissions: [...role.permissions].sort() }));
const stored = (parts: Partial<OrgState>): OrgState => ({ ...org(parts), predefinedRoles: catalog, unreadable: [], ...parts });
const outline = (desired: OrgState, actual: OrgState) => {
  const p = plan({ desired, actual, options: { unmanagedUsers: 'ignore' } });
  return { changes: p.changes.map((c) => `${c.type} ${c.action} ${c.key}`), problems: p.problems.map((x) => `${x.kind} ${x.type} ${x.key}`) };
};

describe('stored rows roster will not act on', () => {
  const scenarios: { name: string; desired: OrgState; actual: OrgState; changes: string[]; problems: string[] }[] = [
    {
      name: 'never matches a stored email with surrounding space to the configured user',
      desired: org({ users: [user('jane@acme.com', { role: 'admin' })] }),
      actual: stored({ users: [user(' jane@acme.com')] }),
      changes: ['user create jane@acme.com'],
      problems: ['email-not-normal user  jane@acme.com'],
    },
    {
      name: 'never matches an NFD email, and creates nothing on its key',
      desired: org({ users: [user('anna@acme.com')] }),
      actual: stored({ users: [user('jose\u0301@acme.com')] }),
      changes: ['user create anna@acme.com'],
      problems: ['email-not-normal user jose\u0301@acme.com'],
    },
    {
      name: 'refuses two stored users that are one login, and matches neither',
      desired: org({ users: [user('ivan@acme.com', { role: 'editor' })] }),
      actual: stored({ users: [user('ivan@acme.com'), user('İvan@acme.com')] }),
      changes: [],
      problems: ['email-collision user ivan@acme.com'],
    },
    {
      name: 'matches İvan to ivan when it is the only one',
      desired: org({ users: [user('ivan@acme.com', { role: 'editor' })] }),
      actual: stored({ users: [user('İvan@acme.com')] }),
      changes: ['user update ivan@acme.com'],
      problems: [],
    },
    {
      name: 'does not create a user whose stored row cannot be read',
      desired: org({ users: [user('nils@acme.com')] }),
      actual: stored({ unreadable: [{ type: 'user', key: 'nils@acme.com', id: 7, message: 'first_name is NULL' }] }),
      changes: [],
      problems: ['unreadable-row user nils@acme.com'],
    },
    {
      name: 'reports a predefined role missing, unflagged or changed, and a custom role flagged predefined',
      desired: org({}),
      actual: stored({
        predefinedRoles: [
          { key: 'admin', predefined: true, permissions: ['view_dashboards'] },
          { key: 'viewer', predefined: false, permissions: ['view_dashboards'] },
          { key: 'ops', predefined: true, permissions: [] },
        ],
      }),
      changes: [],
      problems: ['predefined-role-changed role admin', 'predefined-role-changed role editor', 'predefined-role-changed role ops', 'predefined-role-changed role viewer'],
    },
  ];
  it.each(scenarios)('$name', ({ desired, actual, changes, problems }) => {
    expect(outline(desired, actual)).toEqual({ changes, problems });
  });

  it('judges guards by the permissions stored: a stripped admin role grants nobody manage_users', () => {
    const actual = stored({ users: [user('boss@acme.com', { role: 'editor' })] });
    const desired = org({ users: [user('boss@acme.com', { role: 'admin' })] });
    const granted = plan({ desired, actual });
    expect(granted.sensitive.map((s) => s.kind)).toContain('privileged-user');
    const stripped = plan({ desired, actual: { ...actual, predefinedRoles: catalog.map((r) => (r.key === 'admin' ? { ...r, permissions: ['view_dashboards'] as const } : r)) } });
    expect(stripped.sensitive.map((s) => s.kind)).not.toContain('privileged-user');
  });

  it('writes SQL literals a person can paste, invisible characters escaped', () => {
    expect(sqlLiteral("o'brien@x.com")).toBe("'o''brien@x.com'");
    expect(sqlLiteral('boss@x.com\uFEFF')).toBe("U&'boss@x.com\\feff'");
    expect(sqlLiteral('a\\b@\u{1F600}.com')).toBe("U&'a\\\\b@\\+01f600.com'");
  });
});
