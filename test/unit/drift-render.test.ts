import { Ajv } from 'ajv';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { detectDrift } from '../../src/drift/detect.ts';
import { rowId, type OrgState } from '../../src/model/state.ts';
import { renderDriftJson, renderDriftMarkdown, renderDriftText } from '../../src/render/drift.ts';
import { MARKDOWN_LIMIT } from '../../src/render/markdown.ts';
import { company, org, role, user } from '../support/builders.ts';
import { expectGolden } from '../support/golden.ts';

const require = createRequire(import.meta.url);
const LAST_APPLY = { at: '2026-11-20T10:00:00.000Z', actor: 'ci@acme.com', gitCommit: 'abc123' };

/** Row times: everything created before the last apply; `changed` rows changed after it. */
function times(state: OrgState, changed: string[]): Map<string, number> {
  const rows = [
    rowId('organization', state.organization.key),
    ...state.companies.map((c) => rowId('company', c.key)),
    ...state.roles.map((r) => rowId('role', r.key)),
    ...state.users.map((u) => rowId('user', u.email)),
  ];
  return new Map(
    rows.map((r) => [r, Date.parse(changed.includes(r) ? '2026-11-25T16:30:00.000Z' : '2026-11-20T10:00:00.000Z')]),
  );
}

const desired = org({
  companies: [company('hq'), company('lab')],
  roles: [role('analyst', ['view_dashboards', 'run_workflows'])],
  users: [
    user('jane@acme.com', { role: 'admin' }),
    user('bob@acme.com', { role: 'analyst' }),
    user('carol@acme.com'),
    user('dan@acme.com', { active: false }),
    user('new@acme.com'),
  ],
});
const actual = org({
  companies: [company('hq'), company('side')],
  roles: [role('analyst', ['view_dashboards'])],
  users: [
    user('jane@acme.com', { role: 'admin', firstName: 'Janet' }),
    user('bob@acme.com', { role: 'viewer' }),
    user('carol@acme.com', { active: false }),
    user('dan@acme.com'),
    user('mallory@acme.com'),
  ],
});
const report = detectDrift({
  desired,
  actual,
  unmanagedUsers: 'deactivate',
  changedAt: times(actual, ['user:jane@acme.com', 'user:carol@acme.com', 'user:mallory@acme.com', 'role:analyst']),
  lastApply: LAST_APPLY,
});

describe('drift detection', () => {
  it('classifies every kind of drift', () => {
    expect(report.items.map((i) => `${i.kind} ${i.type} ${i.key} ${i.afterLastApply}`)).toEqual([
      'unmanaged company side false',
      'missing company lab null',
      'edited role analyst true',
      'edited user bob@acme.com false',
      'edited user jane@acme.com true',
      'deactivated user carol@acme.com true',
      'reactivated user dan@acme.com false',
      'unmanaged user mallory@acme.com true',
      'missing user new@acme.com null',
    ]);
    expect(report.summary).toEqual({ edited: 3, deactivated: 1, reactivated: 1, unmanaged: 2, missing: 2 });
    expect(report.items.find((i) => i.key === 'jane@acme.com')!.fields).toEqual({ firstName: { config: 'jane', database: 'Janet' } });
  });

  it('finds none when the database matches', () => {
    const none = detectDrift({ desired, actual: desired, unmanagedUsers: 'deactivate', changedAt: new Map(), lastApply: null });
    expect(none.items).toEqual([]);
    expect(renderDriftText(none)).toContain('No drift.');
  });
});

describe('drift renderers', () => {
  it('text (golden)', () => expectGolden('drift.txt', renderDriftText(report)));
  it('JSON (golden), valid against schema/drift.schema.json', () => {
    const json = renderDriftJson(report);
    expectGolden('drift.json', json);
    const validate = new Ajv({ strict: true, allowUnionTypes: true }).compile(require('../../schema/drift.schema.json'));
    expect(validate(JSON.parse(json)), JSON.stringify(validate.errors)).toBe(true);
  });
  it('Markdown (golden): summary table first, details after', () => {
    const markdown = renderDriftMarkdown(report);
    expectGolden('drift.md', markdown);
    expect(markdown.indexOf('| Drift | Count |')).toBeLessThan(markdown.indexOf('### '));
  });
});

describe('Markdown size cap', () => {
  const many = (n: number) => Array.from({ length: n }, (_, i) => user(`someone.with.a.long.address.${i}@example-organization.com`));

  it('keeps a drift report below 60,000 characters and says honestly how many items it left out', () => {
    const big = detectDrift({ desired: org({ users: [] }), actual: org({ users: many(3000) }), unmanagedUsers: 'deactivate', changedAt: new Map(), lastApply: null });
    const markdown = renderDriftMarkdown(big);
    expect(markdown.length).toBeLessThan(MARKDOWN_LIMIT + 200);
    expect(markdown.length).toBeLessThan(65_536);
    const shown = markdown.split('\n').filter((l) => l.startsWith('| user |')).length;
    const omitted = Number(/_(\d+) more items not shown/.exec(markdown)![1]);
    expect(shown).toBeGreaterThan(100);
    expect(shown + omitted).toBe(3000);
  });
});
