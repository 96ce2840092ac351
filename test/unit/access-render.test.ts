/**
 * The access review, history and diff as pure functions: built from small in-memory states and a made-up audit trail,
 * rendered in every format against golden files, with hostile values (HTML, formulas, bidirectional overrides).
 */
import { describe, expect, it } from 'vitest';
import { parseAuditChanges, type AuditApply } from '../../src/access/audit-trail.ts';
import { buildAccessReport } from '../../src/access/report.ts';
import { diffConfigurations } from '../../src/diff/config-diff.ts';
import { buildHistory } from '../../src/history/timeline.ts';
import { rowId } from '../../src/model/state.ts';
import { csvField, renderAccessCsv } from '../../src/render/access-csv.ts';
import { escapeHtml, renderAccessHtml } from '../../src/render/access-html.ts';
import { renderAccessJson } from '../../src/render/access-json.ts';
import { renderAccessMarkdown } from '../../src/render/access-markdown.ts';
import { renderAccessText } from '../../src/render/access-text.ts';
import { renderDiffMarkdown } from '../../src/render/diff-markdown.ts';
import { renderDiffText } from '../../src/render/diff-text.ts';
import { renderHistoryMarkdown } from '../../src/render/history-markdown.ts';
import { renderHistoryText } from '../../src/render/history-text.ts';
import { company, org, role, user } from '../support/builders.ts';
import { expectGolden } from '../support/golden.ts';

const T0 = Date.parse('2026-01-05T10:00:00.000Z');
const applied = (id: number, minutes: number, changes: string): AuditApply => ({
  id,
  atMs: T0 + minutes * 60_000,
  actor: `ci-${id}`,
  databaseRole: 'roster_runner',
  gitCommit: `c0ffee${id}`,
  changes: parseAuditChanges(changes).changes,
});

const stored = {
  ...org({
    companies: [company('hq'), company('labs', 'Labs <b>')],
    roles: [role('analyst', ['view_dashboards', 'run_workflows']), role('ops', ['manage_users', 'view_dashboards'])],
    users: [
      user('ann@acme.test', { role: 'admin' }),
      user('ben@acme.test', { role: 'ops', company: 'labs' }),
      user('eve@acme.test', { firstName: '<script>alert(1)</script>', lastName: '=1+1\u202e', role: 'analyst', company: 'labs' }),
      user('old@acme.test', { active: false }),
    ],
  }),
  predefinedRoles: [
    { key: 'admin', predefined: true, permissions: ['manage_users', 'manage_roles', 'manage_companies', 'view_dashboards'] as const },
    { key: 'editor', predefined: true, permissions: ['view_dashboards', 'create_dashboards'] as const },
    { key: 'viewer', predefined: true, permissions: ['view_dashboards'] as const },
  ],
};
const applies = [
  applied(1, 0, JSON.stringify([
    { type: 'role', action: 'create', key: 'ops', fields: { name: { before: null, after: 'Role ops' }, permissions: { before: null, after: ['view_dashboards'] } } },
    { type: 'user', action: 'create', key: 'ann@acme.test', after: { firstName: 'ann', lastName: 'Doe', role: 'admin', company: 'hq', active: true, initialPassword: 'set' } },
    { type: 'user', action: 'create', key: 'ben@acme.test', after: { firstName: 'ben', lastName: 'Doe', role: 'viewer', company: 'labs', active: true, initialPassword: 'none' } },
  ])),
  applied(2, 60, JSON.stringify([{ type: 'user', action: 'update', key: 'ben@acme.test', fields: { role: { before: 'viewer', after: 'ops' } } }, { nonsense: true }])),
];
const changedAt = new Map([
  [rowId('user', 'ann@acme.test'), T0],
  [rowId('user', 'ben@acme.test'), T0 + 60 * 60_000],
  // eve was inserted by hand; the ops role gained manage_users by hand
  [rowId('user', 'eve@acme.test'), T0 + 90 * 60_000],
  [rowId('role', 'ops'), T0 + 95 * 60_000],
]);
const report = buildAccessReport({
  stored,
  changedAt,
  applies,
  desired: org({ companies: [company('hq'), company('labs')], users: [user('ann@acme.test', { role: 'admin' }), user('ben@acme.test', { role: 'viewer', company: 'labs' })] }),
  filters: { company: null, role: null, permission: null },
  generatedAt: '2026-01-05T12:00:00.000Z',
});

describe('access review (pure)', () => {
  it('judges permissions as stored, finds the holders of manage_* and each last change', () => {
    expect(report.privilegedHolders).toEqual([
      { permission: 'manage_users', users: ['ann@acme.test', 'ben@acme.test'] },
      { permission: 'manage_roles', users: ['ann@acme.test'] },
      { permission: 'manage_companies', users: ['ann@acme.test'] },
    ]);
    // admin as stored lacks most of the catalog's permissions
    expect(report.users[0]!.permissions).toEqual(['manage_users', 'manage_roles', 'manage_companies', 'view_dashboards']);
    expect(report.users.map((u) => [u.email, u.lastChange.source, u.matchesFiles])).toEqual([
      ['ann@acme.test', 'roster', true],
      ['ben@acme.test', 'roster', false],
      ['eve@acme.test', 'outside-roster', false],
    ]);
  });

  it('renders every format as the golden files say', () => {
    expectGolden('access.txt', renderAccessText(report));
    expectGolden('access.md', renderAccessMarkdown(report));
    expectGolden('access.csv', renderAccessCsv(report));
    expectGolden('access.json', renderAccessJson(report));
    expectGolden('access.html', renderAccessHtml(report));
  });

  it('lets no markup, formula or bidirectional override through', () => {
    const html = renderAccessHtml(report);
    expect(html).not.toContain('<script');
    expect(html).not.toContain('Labs <b>');
    expect(html).toContain('Labs &lt;b&gt;');
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt; =1+1\\u{202e}');
    for (const output of [html, renderAccessText(report), renderAccessMarkdown(report), renderAccessCsv(report), renderAccessJson(report)]) expect(output).not.toContain('\u202e');
    expect(escapeHtml(`"'&`)).toBe('&quot;&#39;&amp;');
    expect(['=A1', '+1', '-1', '@x', '\tx', '\rx', 'a,b', 'say "hi"'].map(csvField)).toEqual(["'=A1", "'+1", "'-1", "'@x", '\\u{9}x', '\\u{d}x', '"a,b"', '"say ""hi"""']);
  });
});

describe('history (pure)', () => {
  it("shows a role's change outside roster against what roster last wrote", () => {
    const history = buildHistory({ subject: { type: 'role', key: 'ops' }, stored, changedAt, applies });
    expect(history.entries.at(-1)).toEqual({
      source: 'outside-roster',
      at: '2026-01-05T11:35:00.000Z',
      action: 'update',
      key: 'ops',
      changes: [{ field: 'permissions', before: ['view_dashboards'], after: ['manage_users', 'view_dashboards'] }],
    });
    expectGolden('history-role.txt', renderHistoryText(history));
    expectGolden('history-user.md', renderHistoryMarkdown(buildHistory({ subject: { type: 'user', key: 'ben@acme.test' }, stored, changedAt, applies })));
  });
});

describe('diff (pure)', () => {
  it('groups the changes between two configurations and judges them on the files', () => {
    const base = org({ users: [user('ann@acme.test', { role: 'admin' }), user('bob@acme.test'), user('cy@acme.test')] });
    const head = org({ users: [user('ann@acme.test', { role: 'admin' }), user('bobby@acme.test', { formerEmails: ['bob@acme.test'], role: 'admin' }), user('dee@acme.test')] });
    const diff = diffConfigurations({ base, head, unmanagedUsers: 'deactivate', baseLabel: 'main', headLabel: 'working tree' });
    expect(diff.renames.map((c) => c.key)).toEqual(['bobby@acme.test']);
    expect(diff.removals.map((c) => c.key)).toEqual(['cy@acme.test']);
    expect(diff.creates.map((c) => c.key)).toEqual(['dee@acme.test']);
    expect(diff.sensitive.map((s) => s.kind)).toEqual(['privileged-user', 'email-change']);
    expectGolden('diff.txt', renderDiffText(diff));
    expectGolden('diff.md', renderDiffMarkdown(diff));
  });
});
