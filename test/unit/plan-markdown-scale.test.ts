/**
 * The pull-request comment at 50,000 users: ordered by risk, below the size limit in characters and in UTF-8 bytes,
 * and honest about what it cut. Plans are made by the planner from generated states (no database needed).
 */
import { describe, expect, it } from 'vitest';
import type { ChangeAction, Plan } from '../../src/plan/types.ts';
import type { OrgState, UserSpec } from '../../src/model/state.ts';
import { plan } from '../../src/plan/planner.ts';
import { withDatabaseTarget } from '../../src/plan/types.ts';
import { MARKDOWN_LIMIT } from '../../src/render/markdown.ts';
import { renderPlanMarkdown } from '../../src/render/plan-markdown.ts';
import { company, org, role, user } from '../support/builders.ts';

const USERS = 50_000;
const HEADINGS: readonly [string, ChangeAction][] = [
  ['Deletions', 'delete'],
  ['Deactivations', 'deactivate'],
  ['Reactivations', 'reactivate'],
  ['Creates', 'create'],
  ['Updates', 'update'],
];

/** Non-ASCII names, so that bytes and characters differ. */
function person(i: number, extra: Partial<UserSpec> = {}): UserSpec {
  return user(`firstname.lastname.${i}@subsidiary.example-organization.com`, {
    firstName: `Zoë-Łucja ${i}`,
    lastName: `Müller-Şahin 山田`,
    company: `c${i % 20}`,
    ...extra,
  });
}

/**
 * 50,000 users; the files change 1,720 roles, deactivate 10, reactivate 5, create 40 (3 as administrators),
 * and delete a company and a role nobody uses.
 */
function mixedChanges(): { actual: OrgState; desired: OrgState } {
  const companies = Array.from({ length: 20 }, (_, i) => company(`c${i}`, `Company ${i}`));
  const roles = [role('analyst', ['run_workflows', 'view_dashboards']), role('legacy')];
  const stored = Array.from({ length: USERS }, (_, i) => person(i, { role: i === 0 ? 'admin' : 'viewer', active: !(i >= 100 && i < 105) }));
  const actual = org({ companies: [...companies, company('old')], roles, users: stored });
  const wanted = stored
    .filter((_, i) => !(i >= 200 && i < 210)) // 10 deactivations
    .map((u, i) => (i >= 1000 && i < 2720 ? { ...u, role: 'analyst' } : i >= 100 && i < 105 ? { ...u, active: true } : u));
  const created = Array.from({ length: 40 }, (_, i) => person(USERS + i, { role: i < 3 ? 'admin' : 'viewer' }));
  return { actual, desired: org({ companies, roles: [roles[0]!], users: [...wanted, ...created] }) };
}

/** Rows shown per section of the Markdown, by the action each section holds. */
function shownRows(markdown: string): Map<ChangeAction, number> {
  const shown = new Map<ChangeAction, number>();
  let current: ChangeAction | null = null;
  for (const line of markdown.split('\n')) {
    const heading = /^### \S+ (\w+) \(/.exec(line);
    if (heading) current = HEADINGS.find(([title]) => title === heading[1])?.[1] ?? null;
    else if (current && /^\| (user|role|company|organization) \|/.test(line)) shown.set(current, (shown.get(current) ?? 0) + 1);
  }
  return shown;
}

/** What the closing line says was cut, by action. */
function cutRows(markdown: string): Map<ChangeAction, number> {
  const line = /_Not shown, to keep this below [\d,]+ characters: (.*)\. Run/.exec(markdown)?.[1] ?? '';
  const names: Record<string, ChangeAction> = { deletion: 'delete', deactivation: 'deactivate', reactivation: 'reactivate', create: 'create', update: 'update' };
  const cut = new Map<ChangeAction, number>();
  for (const part of line.split(', ').filter(Boolean)) {
    const [, n, name] = /^([\d,]+) (.+?)s?$/.exec(part)!;
    if (names[name!]) cut.set(names[name!]!, Number(n!.replace(/,/g, '')));
  }
  return cut;
}

function expectBelowLimit(markdown: string): void {
  expect(markdown.length).toBeLessThan(MARKDOWN_LIMIT);
  expect(Buffer.byteLength(markdown, 'utf8')).toBeLessThan(MARKDOWN_LIMIT);
}

describe('Markdown plan at 50,000 users', () => {
  const { actual, desired } = mixedChanges();
  const mixed: Plan = withDatabaseTarget(plan({ desired, actual }), 'db.internal:5432/platform');

  it('has the mixed changes the scenario describes', () => {
    expect(mixed.summary).toEqual({ create: 40 + 0, update: 1720, deactivate: 10, reactivate: 5, delete: 2 });
    expect(mixed.guards.violations).toEqual([]);
  });

  it('stays strictly below 60,000 characters and bytes, in risk order, every deactivation shown, the cut counted per action', () => {
    const markdown = renderPlanMarkdown(mixed);
    expectBelowLimit(markdown);
    const at = (text: string) => markdown.indexOf(text);
    expect(at('Sensitive changes (')).toBeGreaterThan(0);
    expect(at('Sensitive changes (')).toBeLessThan(at('Deletions ('));
    expect(at('Deletions (')).toBeLessThan(at('Deactivations ('));
    expect(at('Deactivations (')).toBeLessThan(at('Reactivations ('));
    expect(at('Reactivations (')).toBeLessThan(at('Creates ('));
    for (const change of mixed.changes.filter((c) => c.action === 'deactivate')) expect(markdown).toContain(`\`${change.key}\``);
    for (const item of mixed.sensitive) expect(markdown).toContain(item.key);

    // Whatever is not shown is counted, per action, and cut from the end of the order only.
    const shown = shownRows(markdown);
    const cut = cutRows(markdown);
    expect(cut.get('update')).toBeGreaterThan(0);
    for (const [, action] of HEADINGS) expect((shown.get(action) ?? 0) + (cut.get(action) ?? 0), action).toBe(mixed.summary[action]);
    const cutActions = HEADINGS.map(([, a]) => a).filter((a) => cut.has(a));
    const lastFull = HEADINGS.map(([, a]) => a).filter((a) => !cut.has(a) && mixed.summary[a] > 0);
    expect(Math.max(...lastFull.map((a) => HEADINGS.findIndex(([, x]) => x === a)))).toBeLessThanOrEqual(
      Math.min(...cutActions.map((a) => HEADINGS.findIndex(([, x]) => x === a))),
    );
    expect(markdown).toMatch(/### ✏️ Updates \(1,720\)\n\n<details><summary>Show the list<\/summary>/);
  });

  it('stays below the limit when everything is large: 50,000 deactivations blocked by the guard rail', () => {
    const everyoneGone = renderPlanMarkdown(plan({ desired: org({ companies: actual.companies, roles: actual.roles, users: [] }), actual }));
    expectBelowLimit(everyoneGone);
    expect(everyoneGone.indexOf('This plan cannot be applied')).toBeLessThan(everyoneGone.indexOf('Deactivations ('));
    expect(cutRows(everyoneGone).get('deactivate')).toBeGreaterThan(40_000);
  });

  it('keeps below a smaller limit too, saying what it cut', () => {
    const small = renderPlanMarkdown(mixed, 8_000);
    expect(Buffer.byteLength(small, 'utf8')).toBeLessThan(8_000);
    expect(small).toContain('Not shown, to keep this below 8,000 characters');
    for (const change of mixed.changes.filter((c) => c.action === 'deactivate')) expect(small).toContain(`\`${change.key}\``);
  });
});
