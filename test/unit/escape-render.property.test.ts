/**
 * Every renderer, for any hostile text in the stored state: the plan (text, JSON, Markdown) and the drift report
 * (text, JSON, Markdown) carry no raw control, separator, bidirectional, zero-width or BOM character, and no value can
 * start a line of its own.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { detectDrift } from '../../src/drift/detect.ts';
import { plan } from '../../src/plan/planner.ts';
import { renderDriftJson, renderDriftMarkdown, renderDriftText } from '../../src/render/drift.ts';
import { renderPlanJson } from '../../src/render/json.ts';
import { renderPlanMarkdown } from '../../src/render/plan-markdown.ts';
import { COLOR, PLAIN } from '../../src/render/style.ts';
import { renderPlanText } from '../../src/render/text.ts';
import { company, org, role, user } from '../support/builders.ts';
import { testSize } from '../support/scale.ts';

/** What no output may carry raw (besides the line feed that separates lines, and ESC in roster's own colours). */
const RAW = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u00ad\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2064\u2066-\u2069\ufeff]|[\ud800-\udfff]/u;
/** roster's own colour sequences, the only ESC allowed (with the COLOR style). */
const OWN_COLOURS = /\u001b\[(?:1|2|22|31|32|33|36|39)m/g;

const HOSTILE = ['\u001b[2J', '\r::warning::forged', '\u0007', '\u0085', '\u202e', '\u2028', '\u2029', '\u200b', '\ufeff', '\u007f', '\t', '\n', '\ud800', '\u2066'];
const hostileText = fc
  .array(fc.oneof(fc.constantFrom(...HOSTILE), fc.string({ unit: 'grapheme', maxLength: 3 })), { minLength: 1, maxLength: 6 })
  .map((parts) => `x${parts.join('')}`);

describe('every renderer, for hostile text from the database', () => {
  it('shows no raw unsafe character and lets no value start a line', () => {
    let escapedShown = 0;
    fc.assert(
      fc.property(hostileText, hostileText, hostileText, (first, last, companyName) => {
        const desired = org({ companies: [company('hq', 'HQ')], roles: [role('ops', ['view_dashboards'])], users: [user('a@acme.com', { role: 'admin' }), user('b@acme.com')] });
        const actual = org({
          name: companyName,
          companies: [company('hq', companyName), company('old', last)],
          roles: [role('ops', ['view_dashboards'], { description: first })],
          users: [user('a@acme.com', { role: 'admin', firstName: first, lastName: last }), user('b@acme.com', { firstName: last }), user('stray@acme.com', { firstName: first })],
        });
        const planned = plan({ desired, actual });
        const report = detectDrift({ desired, actual, unmanagedUsers: 'deactivate', changedAt: new Map(), lastApply: { at: '2026-11-20T10:00:00.000Z', actor: first, gitCommit: last } });
        const outputs = {
          'plan text': renderPlanText(planned, PLAIN),
          'plan text, coloured': renderPlanText(planned, COLOR).replace(OWN_COLOURS, ''),
          'plan JSON': renderPlanJson(planned),
          'plan Markdown': renderPlanMarkdown(planned),
          'drift text': renderDriftText(report, PLAIN),
          'drift JSON': renderDriftJson(report),
          'drift Markdown': renderDriftMarkdown(report),
        };
        for (const [what, text] of Object.entries(outputs)) {
          expect(RAW.exec(text), `${what}: ${JSON.stringify(text)}`).toBeNull();
          expect(/^(?:::|x)/m.test(text), `${what} lets a value start a line`).toBe(false);
        }
        expect(JSON.parse(outputs['plan JSON'])).toEqual(JSON.parse(JSON.stringify(planned)));
        if (outputs['plan text'].includes('\\u{') && outputs['drift text'].includes('\\u{')) escapedShown++;
      }),
      { numRuns: testSize('ROSTER_ESCAPE_RENDER_RUNS', 200) },
    );
    // The hostile values reached the output (escaped), rather than being screened out before rendering.
    expect(escapedShown).toBeGreaterThan(0);
  });
});
