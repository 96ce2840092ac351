import { Ajv } from 'ajv';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { plan } from '../../src/plan/planner.ts';
import { renderPlanJson } from '../../src/render/json.ts';
import { COLOR, PLAIN, chooseStyle } from '../../src/render/style.ts';
import { renderPlanText } from '../../src/render/text.ts';
import { company, org, role, user } from '../support/builders.ts';
import { expectGolden } from '../support/golden.ts';

const require = createRequire(import.meta.url);
const planSchema = require('../../schema/plan.schema.json');

/** One plan with every kind of change, a rename, a reactivation and a sensitive field. */
const everyChange = plan({
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
});

describe('text renderer', () => {
  it('renders every kind of change (golden)', () => {
    expectGolden('plan-every-change.txt', renderPlanText(everyChange));
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
  it('renders every kind of change (golden)', () => {
    expectGolden('plan-every-change.json', renderPlanJson(everyChange));
  });

  it('conforms to schema/plan.schema.json and round-trips', () => {
    const validate = new Ajv({ allErrors: true, strict: true }).compile(planSchema);
    const parsed = JSON.parse(renderPlanJson(everyChange));
    expect(validate(parsed), JSON.stringify(validate.errors)).toBe(true);
    expect(parsed).toEqual(everyChange);
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
      problems: [],
      guards: { limits: { maxDeactivations: 'default', minAdmins: 1 }, violations: [] },
      summary: { create: 0, update: 1, deactivate: 0, reactivate: 0, delete: 0 },
    });
  });
});
