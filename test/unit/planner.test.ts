import { describe, expect, it } from 'vitest';
import { plan } from '../../src/plan/planner.ts';
import type { OrgState } from '../../src/model/state.ts';
import { company, org, role, user } from '../support/builders.ts';

/** A compact view of a plan: `type action key` per change, plus changed field names. */
function outline(desired: OrgState, actual: OrgState | null): string[] {
  return plan({ desired, actual }).changes.map(
    (c) => `${c.type} ${c.action} ${c.key}${Object.keys(c.fields).length > 0 && c.action !== 'create' && c.action !== 'delete' ? ` [${Object.keys(c.fields).join(',')}]` : ''}`,
  );
}

const scenarios: { name: string; desired: OrgState; actual: OrgState | null; expected: string[] }[] = [
  {
    name: 'creates everything for a new organization, in dependency order',
    desired: org({ companies: [company('hq'), company('eu')], roles: [role('analyst')], users: [user('b@acme.com'), user('a@acme.com', { role: 'analyst' })] }),
    actual: null,
    expected: ['organization create acme', 'company create eu', 'company create hq', 'role create analyst', 'user create a@acme.com', 'user create b@acme.com'],
  },
  {
    name: 'finds no changes when the states are equal',
    desired: org({ roles: [role('analyst')], users: [user('a@acme.com')] }),
    actual: org({ roles: [role('analyst')], users: [user('a@acme.com')] }),
    expected: [],
  },
  {
    // A stored email with surrounding space is another identity, never matched (test/unit/stored-problems.test.ts).
    name: 'matches emails ignoring case',
    desired: org({ users: [user('Jane.Doe@Acme.com', { firstName: 'jane', lastName: 'doe' })] }),
    actual: org({ users: [user('jane.doe@acme.com', { firstName: 'jane', lastName: 'doe' })] }),
    expected: [],
  },
  {
    name: 'ignores Unicode normalisation differences in names',
    desired: org({ users: [user('a@acme.com', { lastName: 'Mu\u0308ller' })] }),
    actual: org({ users: [user('a@acme.com', { lastName: 'M\u00fcller' })] }),
    expected: [],
  },
  {
    name: 'renames the organization',
    desired: org({ name: 'Acme Corporation' }),
    actual: org({ name: 'Acme Inc.' }),
    expected: ['organization update acme [name]'],
  },
  {
    name: 'updates a changed user field by field',
    desired: org({ roles: [role('analyst')], users: [user('bob@acme.com', { role: 'analyst', lastName: 'Builder' })] }),
    actual: org({ roles: [role('analyst')], users: [user('bob@acme.com', { role: 'viewer', lastName: 'Smith' })] }),
    expected: ['user update bob@acme.com [lastName,role]'],
  },
  {
    name: 'deactivates a user missing from config',
    desired: org({ users: [user('a@acme.com')] }),
    actual: org({ users: [user('a@acme.com'), user('gone@acme.com')] }),
    expected: ['user deactivate gone@acme.com'],
  },
  {
    name: 'leaves an already deactivated user missing from config alone',
    desired: org({ users: [] }),
    actual: org({ users: [user('gone@acme.com', { active: false })] }),
    expected: [],
  },
  {
    name: 'deactivates a user marked active: false, keeping field edits',
    desired: org({ users: [user('a@acme.com', { active: false, firstName: 'Ann' })] }),
    actual: org({ users: [user('a@acme.com', { firstName: 'Anne' })] }),
    expected: ['user deactivate a@acme.com [firstName]'],
  },
  {
    name: 'reactivates a deactivated user back in config',
    desired: org({ users: [user('a@acme.com')] }),
    actual: org({ users: [user('a@acme.com', { active: false })] }),
    expected: ['user reactivate a@acme.com'],
  },
  {
    name: 'creates a user marked active: false as deactivated',
    desired: org({ users: [user('a@acme.com', { active: false })] }),
    actual: org({ users: [] }),
    expected: ['user create a@acme.com'],
  },
  {
    name: 'treats a new email with the old one in formerEmails as a rename, not a deactivate plus create',
    desired: org({ users: [user('jane.doe@acme.com', { formerEmails: ['jane.smith@acme.com'], firstName: 'jane' })] }),
    actual: org({ users: [user('jane.smith@acme.com', { firstName: 'jane', lastName: 'doe' })] }),
    expected: ['user update jane.doe@acme.com [email]'],
  },
  {
    name: 'renames and reactivates in one change',
    desired: org({ users: [user('new@acme.com', { formerEmails: ['old@acme.com'], firstName: 'old', lastName: 'Doe' })] }),
    actual: org({ users: [user('old@acme.com', { active: false })] }),
    expected: ['user reactivate new@acme.com [email]'],
  },
  {
    name: 'prefers the row with the current email over one with a former email',
    desired: org({ users: [user('new@acme.com', { formerEmails: ['old@acme.com'] })] }),
    actual: org({ users: [user('new@acme.com'), user('old@acme.com')] }),
    expected: ['user deactivate old@acme.com'],
  },
  {
    name: 'keeps users on the rows of their current emails even when they list each other as former emails',
    desired: org({
      users: [
        user('a@acme.com', { formerEmails: ['b@acme.com'], firstName: 'b', lastName: 'Doe' }),
        user('b@acme.com', { formerEmails: ['a@acme.com'], firstName: 'a', lastName: 'Doe' }),
      ],
    }),
    actual: org({ users: [user('a@acme.com', { firstName: 'a' }), user('b@acme.com', { firstName: 'b' })] }),
    expected: ['user update a@acme.com [firstName]', 'user update b@acme.com [firstName]'],
  },
  {
    name: 'creates, updates and deletes companies',
    desired: org({ companies: [company('hq', 'Headquarters'), company('new')], users: [] }),
    actual: org({ companies: [company('hq', 'HQ'), company('old')], users: [] }),
    expected: ['company update hq [name]', 'company create new', 'company delete old'],
  },
  {
    name: 'creates, updates and deletes custom roles, permissions compared as sets',
    desired: org({ roles: [role('a', ['run_workflows', 'view_dashboards']), role('b', ['manage_users']), role('n')] }),
    actual: org({ roles: [role('a', ['view_dashboards', 'run_workflows']), role('b', ['view_dashboards']), role('gone')] }),
    expected: ['role update b [permissions]', 'role create n', 'role delete gone'],
  },
  {
    name: 'moves users off a company before deleting it',
    desired: org({ companies: [company('hq')], users: [user('a@acme.com', { company: 'hq' })] }),
    actual: org({ companies: [company('hq'), company('old')], users: [user('a@acme.com', { company: 'old' })] }),
    expected: ['user update a@acme.com [company]', 'company delete old'],
  },
  {
    name: 'treats an empty role description like none',
    desired: org({ roles: [role('a', ['view_dashboards'], { description: '  ' })] }),
    actual: org({ roles: [role('a', ['view_dashboards'], { description: null })] }),
    expected: [],
  },
];

describe('plan', () => {
  it.each(scenarios)('$name', ({ desired, actual, expected }) => {
    expect(outline(desired, actual)).toEqual(expected);
  });

  it('records before and after values of every changed field', () => {
    const result = plan({
      desired: org({ roles: [role('analyst')], users: [user('bob@acme.com', { role: 'analyst' })] }),
      actual: org({ roles: [role('analyst')], users: [user('bob@acme.com', { role: 'viewer' })] }),
    });
    expect(result.changes).toEqual([{ type: 'user', action: 'update', key: 'bob@acme.com', fields: { role: { before: 'viewer', after: 'analyst' } } }]);
    expect(result.summary).toEqual({ create: 0, update: 1, deactivate: 0, reactivate: 0, delete: 0 });
  });

  it('refuses to delete a company that a user outside the config still belongs to, naming them', () => {
    const result = plan({
      desired: org({ companies: [company('hq')], users: [] }),
      actual: org({
        companies: [company('hq'), company('old')],
        users: [user('x@acme.com', { company: 'old', active: false }), user('y@acme.com', { company: 'old' })],
      }),
    });
    expect(result.problems).toHaveLength(1);
    expect(result.problems[0]).toMatchObject({ type: 'company', key: 'old', users: ['x@acme.com', 'y@acme.com'], userCount: 2 });
    expect(result.problems[0]!.message).toContain("cannot delete company 'old'");
  });

  it('refuses to delete a role still held by a deactivated user, naming at most five', () => {
    const users = Array.from({ length: 7 }, (_, i) => user(`u${i}@acme.com`, { role: 'gone', active: false }));
    const result = plan({ desired: org({ users: [] }), actual: org({ roles: [role('gone')], users }) });
    expect(result.problems[0]).toMatchObject({ type: 'role', key: 'gone', userCount: 7 });
    expect(result.problems[0]!.users).toHaveLength(5);
    expect(result.problems[0]!.message).toContain('and 2 more');
  });

  it('never carries a password or hash, only where it comes from', () => {
    const result = plan({
      desired: org({
        users: [
          user('a@acme.com', { initialPassword: { kind: 'env', name: 'A_PASSWORD' } }),
          user('b@acme.com', { initialPassword: { kind: 'hash', hash: '$scrypt$ln=17,r=8,p=1$c2FsdA$aGFzaA', file: 'users.yaml', pointer: ['users', 1, 'initialPassword', 'hash'] } }),
        ],
      }),
      actual: org({ users: [] }),
    });
    expect(JSON.stringify(result)).not.toContain('$scrypt$');
    expect(result.changes.map((c) => (c.type === 'user' && c.action === 'create' ? c.initialPassword : undefined))).toEqual([
      { source: 'env', name: 'A_PASSWORD' },
      { source: 'hash', file: 'users.yaml', pointer: ['users', 1, 'initialPassword', 'hash'], digest: expect.stringMatching(/^[0-9a-f]{64}$/) },
    ]);
  });

  it('does not plan a password change for an existing user whose reference changed', () => {
    const result = plan({
      desired: org({ users: [user('a@acme.com', { initialPassword: { kind: 'env', name: 'NEW' } })] }),
      actual: org({ users: [user('a@acme.com')] }),
    });
    expect(result.changes).toEqual([]);
  });

  it('is deterministic whatever the input order', () => {
    const users = [user('c@acme.com'), user('a@acme.com'), user('b@acme.com')];
    const first = plan({ desired: org({ users }), actual: org({ users: [user('z@acme.com')] }) });
    const second = plan({ desired: org({ users: [...users].reverse() }), actual: org({ users: [user('z@acme.com')] }) });
    expect(JSON.stringify(second)).toBe(JSON.stringify(first));
  });
});

describe('rename hints', () => {
  const hintsOf = (desired: OrgState, actual: OrgState, unmanagedUsers: 'deactivate' | 'ignore' = 'deactivate') =>
    plan({ desired, actual, options: { unmanagedUsers } }).hints.map((h) => `${h.from} -> ${h.to}`);

  it('pairs a deactivated user with a created one of the same first and last name, ignoring case', () => {
    const actual = org({ users: [user('jane.smith@acme.com', { firstName: 'Jane', lastName: 'Smith' })] });
    const desired = org({ users: [user('jsmith@acme.com', { firstName: 'JANE', lastName: 'smith' })] });
    expect(hintsOf(desired, actual)).toEqual(['jane.smith@acme.com -> jsmith@acme.com']);
  });

  it('pairs them by the local part of the email when the names differ', () => {
    expect(hintsOf(org({ users: [user('bob@acme.org', { firstName: 'Robert' })] }), org({ users: [user('bob@acme.com', { firstName: 'Bob' })] }))).toEqual([
      'bob@acme.com -> bob@acme.org',
    ]);
  });

  it('hints at a user left alone by unmanagedUsers: ignore too', () => {
    const hints = plan({
      desired: org({ users: [user('bob@acme.org')] }),
      actual: org({ users: [user('bob@acme.com')] }),
      options: { unmanagedUsers: 'ignore' },
    }).hints;
    expect(hints.map((h) => h.message)).toEqual([
      'bob@acme.org looks like a rename of bob@acme.com (same first and last name, bob Doe): the plan creates a new account and leaves bob@acme.com as it is (unmanagedUsers: ignore). If it is the same person, add formerEmails: [bob@acme.com] to bob@acme.org to keep the account.',
    ]);
  });

  it('gives none for a rename written with formerEmails, a stored user already deactivated, or an unrelated pair', () => {
    expect(hintsOf(org({ users: [user('new@acme.com', { formerEmails: ['old@acme.com'], firstName: 'old' })] }), org({ users: [user('old@acme.com')] }))).toEqual([]);
    expect(hintsOf(org({ users: [user('bob@acme.org')] }), org({ users: [user('bob@acme.com', { active: false })] }))).toEqual([]);
    expect(hintsOf(org({ users: [user('ann@acme.com')] }), org({ users: [user('bob@acme.com')] }))).toEqual([]);
  });
});
