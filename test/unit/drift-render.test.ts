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
  roles: [role('analyst', ['view_dashboards', 'run_workflows']), role('ops', ['run_workflows'])],
  users: [
    user('jane@acme.com', { role: 'admin' }),
    user('bob@acme.com', { role: 'analyst' }),
    user('carol@acme.com'),
    user('dan@acme.com', { active: false }),
    user('new@acme.com'),
    user('olga@acme.com', { role: 'ops' }),
    user('sam@acme.com', { active: false }),
    user('tim@acme.com'),
  ],
});
const actual = org({
  companies: [company('hq'), company('side')],
  roles: [role('analyst', ['view_dashboards']), role('ops', ['manage_users', 'run_workflows'])],
  users: [
    user('jane@acme.com', { role: 'admin', firstName: 'Janet' }),
    user('bob@acme.com', { role: 'viewer' }),
    user('carol@acme.com', { active: false }),
    user('dan@acme.com'),
    user('mallory@acme.com'),
    user('backdoor@evil.example', { role: 'admin', company: 'side' }),
    user('olga@acme.com', { role: 'ops' }),
    user('sam@acme.com', { role: 'admin' }),
    user('tim@acme.com', { role: 'admin' }),
  ],
});
const report = detectDrift({
  desired,
  actual,
  unmanagedUsers: 'deactivate',
  changedAt: times(actual, ['user:jane@acme.com', 'user:carol@acme.com', 'user:mallory@acme.com', 'user:backdoor@evil.example', 'user:sam@acme.com', 'user:tim@acme.com', 'role:analyst', 'role:ops']),
  lastApply: LAST_APPLY,
});

describe('drift detection', () => {
  it('classifies every kind of drift', () => {
    expect(report.items.map((i) => `${i.kind} ${i.type} ${i.key} ${i.afterLastApply}`)).toEqual([
      'unmanaged company side false',
      'missing company lab null',
      'edited role analyst true',
      'edited role ops true',
      'edited user bob@acme.com false',
      'edited user jane@acme.com true',
      'edited user tim@acme.com true',
      'deactivated user carol@acme.com true',
      'reactivated user dan@acme.com false',
      'reactivated user sam@acme.com true',
      'unmanaged user backdoor@evil.example true',
      'unmanaged user mallory@acme.com true',
      'missing user new@acme.com null',
    ]);
    expect(report.summary).toEqual({ edited: 5, deactivated: 1, reactivated: 2, unmanaged: 3, missing: 2, sensitive: 7 });
    expect(report.items.find((i) => i.key === 'jane@acme.com')!.fields).toEqual({ firstName: { config: 'jane', database: 'Janet' } });
  });

  it('shows the role, company and active state of every user the database holds', () => {
    const backdoor = report.items.find((i) => i.key === 'backdoor@evil.example')!;
    expect(backdoor.database).toEqual({ role: 'admin', company: 'side', active: true });
    expect(report.items.find((i) => i.key === 'carol@acme.com')!.database).toEqual({ role: 'viewer', company: 'hq', active: false });
    expect(report.items.find((i) => i.key === 'new@acme.com')!.database).toBeUndefined(); // not in the database
    expect(report.items.find((i) => i.key === 'ops')!.database).toBeUndefined();
  });

  it('lists access gained outside the files first: privileged users, privileged roles, reactivations', () => {
    expect(report.sensitive.map((s) => `${s.kind} ${s.type} ${s.key} [${s.permissions.join(' ')}]`)).toEqual([
      // An admin inserted by hand, and no file lists them.
      'privileged-user user backdoor@evil.example [manage_users manage_roles manage_companies]',
      // Their role gained manage_users outside the files.
      'privileged-user user olga@acme.com [manage_users]',
      // Kept inactive in the files, active as an admin in the database.
      'privileged-user user sam@acme.com [manage_users manage_roles manage_companies]',
      // Moved to admin outside the files.
      'privileged-user user tim@acme.com [manage_users manage_roles manage_companies]',
      'privileged-role role ops [manage_users]',
      'reactivation user dan@acme.com []',
      'reactivation user mallory@acme.com []',
    ]);
    const messages = Object.fromEntries(report.sensitive.map((s) => [s.key, s.message]));
    expect(messages).toEqual({
      'backdoor@evil.example': 'backdoor@evil.example holds manage_users, manage_roles, manage_companies through role admin, and no file lists them',
      'olga@acme.com': 'olga@acme.com holds manage_users through role ops, which the role gained outside the files',
      'sam@acme.com': 'sam@acme.com holds manage_users, manage_roles, manage_companies through role admin, and the files keep them inactive',
      'tim@acme.com': 'tim@acme.com holds manage_users, manage_roles, manage_companies through role admin, and the files give them role viewer',
      ops: 'role ops grants manage_users, which the files do not give it (1 active user holds it)',
      'dan@acme.com': 'dan@acme.com is active in the database, and the files keep them inactive',
      'mallory@acme.com': 'mallory@acme.com is active in the database, and no file lists them',
    });
    expect(report.sensitive[0]!.database).toEqual({ role: 'admin', company: 'side', active: true });
  });

  it('judges predefined roles as stored, and leaves users in no file alone with unmanagedUsers: ignore', () => {
    const stored = { ...actual, predefinedRoles: [{ key: 'admin', predefined: true, permissions: [] }, { key: 'viewer', predefined: true, permissions: ['manage_users' as const, 'view_dashboards' as const] }] };
    const ignoring = detectDrift({ desired, actual: stored, unmanagedUsers: 'ignore', changedAt: new Map(), lastApply: null });
    // Every active viewer the files list now holds manage_users; the admins hold nothing as stored; mallory and the backdoor are not roster's.
    expect(ignoring.sensitive.map((s) => `${s.kind} ${s.key} [${s.permissions.join(' ')}]`)).toEqual([
      'privileged-user bob@acme.com [manage_users]',
      'privileged-user dan@acme.com [manage_users]',
      'privileged-user olga@acme.com [manage_users]',
      'privileged-role ops [manage_users]',
      'reactivation sam@acme.com []',
    ]);
  });

  it('a rename written in the files is the same user: no gain reported for the stored email', () => {
    const renamed = org({ users: [user('boss.new@acme.com', { role: 'admin', formerEmails: ['boss@acme.com'] })] });
    const stored = org({ users: [user('boss@acme.com', { role: 'admin' })] });
    expect(detectDrift({ desired: renamed, actual: stored, unmanagedUsers: 'deactivate', changedAt: new Map(), lastApply: null }).sensitive).toEqual([]);
  });

  it('finds none when the database matches', () => {
    const none = detectDrift({ desired, actual: desired, unmanagedUsers: 'deactivate', changedAt: new Map(), lastApply: null });
    expect(none.items).toEqual([]);
    expect(none.sensitive).toEqual([]);
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
  it('text: the sensitive section comes first, the backdoor admin at its top with role, company and active state', () => {
    const text = renderDriftText(report);
    const lines = text.split('\n');
    expect(lines[3]).toBe('SENSITIVE: access gained outside the files (7)');
    expect(lines[4]).toMatch(/^ {2}!! user backdoor@evil\.example: role admin, company side, active \(changed /);
    expect(text).toContain('Drift: 7 sensitive; 5 edited,');
  });
  it('Markdown (golden): the sensitive section first, then the summary table, details after', () => {
    const markdown = renderDriftMarkdown(report);
    expectGolden('drift.md', markdown);
    expect(markdown.indexOf('### SENSITIVE')).toBeGreaterThan(0);
    expect(markdown.indexOf('### SENSITIVE')).toBeLessThan(markdown.indexOf('| Drift | Count |'));
    expect(markdown.indexOf('| Drift | Count |')).toBeLessThan(markdown.indexOf('### Edited'));
    expect(markdown).toContain('| user | `backdoor@evil.example` | role `admin`, company `side`, active |');
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
    // Each user is in the sensitive section (active, in no file) and among the unmanaged items.
    expect(big.sensitive).toHaveLength(3000);
    expect(shown + omitted).toBe(6000);
  });
});
