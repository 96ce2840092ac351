import { Ajv } from 'ajv';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { plan } from '../../src/plan/planner.ts';
import { withDatabaseTarget } from '../../src/plan/types.ts';
import { renderPlanJson } from '../../src/render/json.ts';
import { renderPlanMarkdown } from '../../src/render/plan-markdown.ts';
import { COLOR, PLAIN, chooseStyle } from '../../src/render/style.ts';
import { renderPlanText } from '../../src/render/text.ts';
import { company, org, role, user } from '../support/builders.ts';
import { expectGolden } from '../support/golden.ts';

const require = createRequire(import.meta.url);
const planSchema = require('../../schema/plan.schema.json');

/** One plan with every kind of change, a rename, a reactivation and a sensitive field, made against a named database. */
const everyChange = withDatabaseTarget(plan({
  desired: org({
    name: 'Acme Corporation',
    companies: [company('hq', 'Headquarters'), company('eu', 'Acme Europe')],
    roles: [role('analyst', ['view_dashboards', 'run_workflows'], { description: 'Reads dashboards' }), role('ops', ['manage_users'])],
    users: [
      user('jane.doe@acme.com', { formerEmails: ['jane.smith@acme.com'], firstName: 'Jane', lastName: 'Doe', role: 'analyst' }),
      user('new.hire@acme.com', { firstName: 'New', lastName: 'Hire', company: 'eu', initialPassword: { kind: 'env', name: 'NEW_HIRE_PASSWORD' } }),
      user('back@acme.com', { firstName: 'Back', lastName: 'Again' }),
      user('leave@acme.com', { firstName: 'On', lastName: 'Leave', active: false }),
      user('admin@acme.com', { firstName: 'Ada', lastName: 'Min', role: 'ops', initialPassword: { kind: 'file', path: 'secrets/admin.txt' } }),
      user('rotate@acme.com', {
        firstName: 'Ro',
        lastName: 'Tate',
        resetPassword: '2026-11',
        initialPassword: { kind: 'hash', hash: '$scrypt$ln=17,r=8,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaGhhc2g', file: 'users.yaml', pointer: ['users', 5, 'initialPassword', 'hash'] },
      }),
    ],
  }),
  actual: org({
    name: 'Acme Inc.',
    companies: [company('hq', 'HQ'), company('old', 'Old Co')],
    roles: [role('analyst', ['view_dashboards']), role('legacy')],
    users: [
      user('jane.smith@acme.com', { firstName: 'Jane', lastName: 'Smith', role: 'viewer' }),
      user('back@acme.com', { firstName: 'Back', lastName: 'Again', active: false }),
      user('leave@acme.com', { firstName: 'On', lastName: 'Leave' }),
      user('gone@acme.com', { firstName: 'Gone', lastName: 'Away' }),
      user('rotate@acme.com', { firstName: 'Ro', lastName: 'Tate', role: 'admin' }),
    ],
  }),
}), 'db.internal:5432/platform');

/** A rename written without formerEmails, by name and by the email's local part; and an unrelated pair. */
const renamed = plan({
  desired: org({
    users: [
      user('jane.doe@acme.com', { firstName: 'Jane', lastName: 'Smith' }),
      user('bob@acme.org', { firstName: 'Robert', lastName: 'Builder' }),
      user('new.person@acme.com', { firstName: 'New', lastName: 'Person' }),
      user('keep@acme.com', { role: 'admin' }),
    ],
  }),
  actual: org({
    users: [
      user('jane.smith@acme.com', { firstName: 'Jane', lastName: 'Smith' }),
      user('bob@acme.com', { firstName: 'Bob', lastName: 'Builder' }),
      user('someone.else@acme.com', { firstName: 'Some', lastName: 'One' }),
      user('keep@acme.com', { role: 'admin' }),
    ],
  }),
});

describe('text renderer', () => {
  it('renders every kind of change, and the database it was made against (golden)', () => {
    const text = renderPlanText(everyChange);
    expectGolden('plan-every-change.txt', text);
    expect(text).toContain('Database: db.internal:5432/platform.');
  });

  it('says when a deactivation and a creation look like a rename, and how to write it (golden)', () => {
    const text = renderPlanText(renamed);
    expectGolden('plan-rename-hints.txt', text);
    expect(text).toContain('jane.doe@acme.com looks like a rename of jane.smith@acme.com (same first and last name, Jane Smith)');
    expect(text).toContain('add formerEmails: [bob@acme.com] to bob@acme.org');
    expect(text).not.toContain('new.person@acme.com looks like');
  });

  it('renders a plan with problems (golden)', () => {
    const blocked = plan({
      desired: org({ users: [] }),
      actual: org({ companies: [company('hq'), company('old')], users: [user('x@acme.com', { company: 'old', active: false })] }),
    });
    expectGolden('plan-problems.txt', renderPlanText(blocked));
  });

  it('says so when there is nothing to do (golden)', () => {
    expectGolden('plan-no-changes.txt', renderPlanText(plan({ desired: org(), actual: org() })));
  });

  it('renders guard-rail violations and ignored users (golden)', () => {
    const many = Array.from({ length: 8 }, (_, i) => user(`u${i}@acme.com`));
    const guarded = plan({
      desired: org({ users: [user('keep@acme.com')] }),
      actual: org({ users: [user('keep@acme.com'), user('boss@acme.com', { role: 'admin' }), ...many] }),
    });
    expectGolden('plan-guard-violations.txt', renderPlanText(guarded));
    const ignoring = plan({
      desired: org({ users: [user('keep@acme.com', { role: 'admin' })] }),
      actual: org({ users: [user('keep@acme.com', { role: 'admin' }), ...many] }),
      options: { unmanagedUsers: 'ignore' },
    });
    expectGolden('plan-ignored-users.txt', renderPlanText(ignoring));
  });

  it('shows a password only as sensitive, and colours only when asked', () => {
    const text = renderPlanText(everyChange, PLAIN);
    expect(text).toContain('initialPassword: (sensitive, from $NEW_HIRE_PASSWORD)');
    expect(text).not.toContain('\u001b[');
    expect(renderPlanText(everyChange, COLOR)).toContain('\u001b[32m+\u001b[39m');
  });

  it('chooses colour only on a terminal without NO_COLOR', () => {
    expect(chooseStyle({ isTTY: true, env: {} })).toBe(COLOR);
    expect(chooseStyle({ isTTY: false, env: {} })).toBe(PLAIN);
    expect(chooseStyle({ isTTY: true, env: { NO_COLOR: '1' } })).toBe(PLAIN);
    expect(chooseStyle({ isTTY: true, env: { TERM: 'dumb' } })).toBe(PLAIN);
  });
});

describe('JSON renderer', () => {
  it('renders every kind of change, and the database it was made against (golden)', () => {
    expectGolden('plan-every-change.json', renderPlanJson(everyChange));
    expect(JSON.parse(renderPlanJson(everyChange)).databaseTarget).toBe('db.internal:5432/platform');
  });

  it('lists rename hints (golden)', () => {
    expectGolden('plan-rename-hints.json', renderPlanJson(renamed));
    expect(JSON.parse(renderPlanJson(renamed)).hints.map((h: { from: string; to: string }) => `${h.from} -> ${h.to}`)).toEqual([
      'bob@acme.com -> bob@acme.org',
      'jane.smith@acme.com -> jane.doe@acme.com',
    ]);
  });

  it('conforms to schema/plan.schema.json and round-trips', () => {
    const validate = new Ajv({ allErrors: true, strict: true }).compile(planSchema);
    for (const p of [everyChange, renamed]) {
      const parsed = JSON.parse(renderPlanJson(p));
      expect(validate(parsed), JSON.stringify(validate.errors)).toBe(true);
      expect(parsed).toEqual(p);
    }
  });

  it('has the documented shape', () => {
    const simple = plan({
      desired: org({ roles: [role('analyst')], users: [user('bob@acme.com', { role: 'analyst' })] }),
      actual: org({ roles: [role('analyst')], users: [user('bob@acme.com', { role: 'viewer' })] }),
    });
    expect(JSON.parse(renderPlanJson(simple))).toEqual({
      formatVersion: 1,
      organization: 'acme',
      unmanagedUsers: 'deactivate',
      changes: [{ type: 'user', action: 'update', key: 'bob@acme.com', fields: { role: { before: 'viewer', after: 'analyst' } } }],
      ignoredUsers: [],
      sensitive: [],
      hints: [],
      problems: [],
      guards: { limits: { maxDeactivations: 'default', maxReassignments: 'default', minAdmins: 1 }, violations: [] },
      summary: { create: 0, update: 1, deactivate: 0, reactivate: 0, delete: 0 },
    });
  });
});

describe('Markdown renderer', () => {
  it('renders every kind of change in risk order, with the database and the guard-rail limits (golden)', () => {
    const markdown = renderPlanMarkdown(everyChange);
    expectGolden('plan-every-change.md', markdown);
    expect(markdown).toContain('Database: `db.internal:5432/platform`');
    expect(markdown).toContain('Guard rails: max deactivations default');
    expect(markdown).toContain('max reassignments default');
    const order = ['Sensitive changes', 'Deletions', 'Deactivations', 'Reactivations', 'Creates', 'Updates'].map((h) => markdown.indexOf(`${h} (`));
    expect(order.every((at) => at > 0)).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
  });

  it('renders a small plan with a sensitive change and Markdown in a name (golden)', () => {
    const small = plan({
      desired: org({ roles: [role('ops', ['manage_users'])], users: [user('boss@acme.com', { role: 'admin' }), user('a|b@acme.com', { role: 'ops', firstName: 'Pipe | *Star*' })] }),
      actual: org({ users: [user('boss@acme.com', { role: 'admin' }), user('gone@acme.com')] }),
    });
    expectGolden('plan.md', renderPlanMarkdown(small));
  });

  it('puts what blocks the plan first (golden)', () => {
    const many = Array.from({ length: 8 }, (_, i) => user(`u${i}@acme.com`));
    const guarded = plan({
      desired: org({ users: [user('keep@acme.com')] }),
      actual: org({ users: [user('keep@acme.com'), user('boss@acme.com', { role: 'admin' }), ...many] }),
    });
    const markdown = renderPlanMarkdown(guarded);
    expectGolden('plan-guard-violations.md', markdown);
    expect(markdown.indexOf('This plan cannot be applied')).toBeLessThan(markdown.indexOf('Deactivations ('));
  });

  it('shows rename hints (golden)', () => {
    const markdown = renderPlanMarkdown(renamed);
    expectGolden('plan-rename-hints.md', markdown);
    expect(markdown).toContain('Looks like a rename (2)');
  });

  it('never prints control, separator or bidi characters raw, and Markdown in values cannot break the table', () => {
    const hostile = 'Eve\u001b[2J\u0007\r::warning::forged\u202egnp.exe\u2028next\u0085line | `tick` <b>x</b> @team #1';
    const p = plan({
      desired: org({ users: [user('eve@acme.com', { firstName: hostile, lastName: 'Doe' })] }),
      actual: org({ users: [user('eve@acme.com', { firstName: 'Eve', lastName: 'Doe' })] }),
    });
    const markdown = renderPlanMarkdown(withDatabaseTarget(p, 'db\u001b]8;;x:5432/platform'));
    expect(markdown).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/);
    expect(markdown).toContain('\\u{1b}');
    expect(markdown).toContain('\\u{202e}');
    expect(markdown).toContain('\\u{2028}');
    expect(markdown).toContain('\\u{85}');
    const row = markdown.split('\n').find((line) => line.includes('`eve@acme.com`'))!;
    // Three cells: the pipe in the name is escaped, and the name sits in one code span.
    expect(row.replace(/\\\|/g, '').split('|')).toHaveLength(5);
  });

  it('shows an empty plan as no changes', () => {
    expect(renderPlanMarkdown(plan({ desired: org(), actual: org() }))).toContain('No changes. The database matches the configuration.');
  });
});
