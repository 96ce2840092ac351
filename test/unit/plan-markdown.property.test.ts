/**
 * The Markdown plan's promises for any plan: strictly below its limit in characters and UTF-8 bytes, sections in risk
 * order, nothing dropped silently (rows shown plus rows counted as cut equal the plan's summary, per action), and
 * no raw control, separator or bidirectional character.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { UserSpec } from '../../src/model/state.ts';
import { plan } from '../../src/plan/planner.ts';
import type { ChangeAction } from '../../src/plan/types.ts';
import { renderPlanMarkdown } from '../../src/render/plan-markdown.ts';
import { company, org, role, user } from '../support/builders.ts';
import { reportCounts, testSize } from '../support/scale.ts';

const RUNS = testSize('ROSTER_MARKDOWN_RUNS', 60);
const ORDER: readonly [string, ChangeAction][] = [
  ['Deletions', 'delete'],
  ['Deactivations', 'deactivate'],
  ['Reactivations', 'reactivate'],
  ['Creates', 'create'],
  ['Updates', 'update'],
];
const CUT_NAMES: Record<string, ChangeAction> = { deletion: 'delete', deactivation: 'deactivate', reactivation: 'reactivate', create: 'create', update: 'update' };

/** Names mixing Markdown, multi-byte and astral characters, and characters that must never come out raw. */
const name = fc
  .array(fc.constantFrom('a', 'Zoë', '山田', '😀', '|', '`', '*', '<b>', '@team', '#1', '\u001b[2J', '\r', '\u202e', '\u2028', '\u0085', ' '), { minLength: 1, maxLength: 12 })
  .map((parts) => `N${parts.join('')}`);

const scenario = fc.record({
  size: fc.integer({ min: 0, max: 400 }),
  seed: fc.array(fc.record({ keep: fc.nat({ max: 9 }), first: name, changeRole: fc.boolean(), inactive: fc.nat({ max: 19 }) }), { minLength: 400, maxLength: 400 }),
  created: fc.array(name, { maxLength: 200 }),
  limit: fc.integer({ min: 3_000, max: 60_000 }),
});

function shownPerAction(markdown: string): Map<ChangeAction, number> {
  const shown = new Map<ChangeAction, number>();
  let current: ChangeAction | null = null;
  for (const line of markdown.split('\n')) {
    const heading = /^### \S+ (\w+) \(/.exec(line);
    if (heading) current = ORDER.find(([title]) => title === heading[1])?.[1] ?? null;
    else if (current && /^\| (user|role|company|organization) \|/.test(line)) shown.set(current, (shown.get(current) ?? 0) + 1);
  }
  return shown;
}

function cutPerAction(markdown: string): Map<ChangeAction, number> {
  const cut = new Map<ChangeAction, number>();
  const line = /_Not shown, to keep this below [\d,]+ characters: (.*)\. Run/.exec(markdown)?.[1] ?? '';
  for (const part of line.split(', ').filter(Boolean)) {
    const [, n, word] = /^([\d,]+) (.+?)s?$/.exec(part)!;
    if (CUT_NAMES[word!]) cut.set(CUT_NAMES[word!]!, Number(n!.replace(/,/g, '')));
  }
  return cut;
}

describe('Markdown plan, any plan', () => {
  it(`keeps its promises (${RUNS} random plans)`, () => {
    let cutPlans = 0;
    fc.assert(
      fc.property(scenario, ({ size, seed, created, limit }) => {
        const stored: UserSpec[] = Array.from({ length: size }, (_, i) =>
          user(`user.${i}@acme.com`, { firstName: seed[i]!.first, role: i === 0 ? 'admin' : 'viewer', active: seed[i]!.inactive !== 0 }),
        );
        const wanted = stored
          .filter((_, i) => i === 0 || seed[i]!.keep !== 0)
          .map((u, i) => ({ ...u, active: true, role: i > 0 && seed[i]!.changeRole ? 'ops' : u.role, lastName: i % 7 === 3 ? `${u.lastName}✓` : u.lastName }));
        const desired = org({
          companies: [company('hq')],
          roles: [role('ops')],
          users: [...wanted, ...created.map((first, i) => user(`new.${i}@acme.com`, { firstName: first }))],
        });
        const actual = org({ companies: [company('hq'), company('gone')], roles: [role('ops'), role('old')], users: stored });
        const p = plan({ desired, actual });
        const markdown = renderPlanMarkdown(p, limit);

        expect(markdown.length).toBeLessThan(limit);
        expect(Buffer.byteLength(markdown, 'utf8')).toBeLessThan(limit);
        expect(markdown).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/);
        const shown = shownPerAction(markdown);
        const cut = cutPerAction(markdown);
        if (cut.size > 0) cutPlans++;
        for (const [, action] of ORDER) expect((shown.get(action) ?? 0) + (cut.get(action) ?? 0)).toBe(p.summary[action]);
        // Cut from the end only: once an action is cut, no later action shows a row.
        const firstCut = ORDER.findIndex(([, a]) => cut.has(a));
        if (firstCut >= 0) for (const [, later] of ORDER.slice(firstCut + 1)) expect(shown.get(later) ?? 0).toBe(0);
        const headings = ORDER.map(([title]) => markdown.indexOf(`${title} (`)).filter((at) => at >= 0);
        expect([...headings].sort((a, b) => a - b)).toEqual(headings);
      }),
      { numRuns: RUNS },
    );
    reportCounts('markdown plans', `${RUNS} random plans, ${cutPlans} of them cut to their limit`);
    expect(cutPlans).toBeGreaterThan(0);
  });
});
