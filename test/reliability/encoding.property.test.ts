/**
 * Injection and encoding, property-based: random Unicode (every plane, combining marks, right-to-left, emoji, SQL and
 * YAML metacharacters, quotes, backslashes) in every free-text field, written to YAML, applied, read back, exported
 * and planned again. Stored and exported exactly as written (in its normal form: NFC, trimmed), and the export plans
 * to nothing. ROSTER_ENCODING_RUNS sets the number of cases (default 40).
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import fc from 'fast-check';
import { parse } from 'yaml';
import { beforeAll, describe, expect, it } from 'vitest';
import { readOrganization } from '../../src/db/read-state.ts';
import { normalizeText, type OrgState } from '../../src/model/state.ts';
import { company, org, role, toConfigObject, user } from '../support/builders.ts';
import { runRoster, tempDir, writeConfig } from '../support/cli.ts';
import { useTestDatabase, type TestDatabase } from '../support/database.ts';
import { reportCounts, testSize } from '../support/scale.ts';

const RUNS = testSize('ROSTER_ENCODING_RUNS', 40);

const database = useTestDatabase();
let db: TestDatabase;
beforeAll(() => {
  db = database();
});

const SPICE = ["'", '"', '\\', ';', '--', '/*', '$$', '%s', '${x}', '`', ': ', '# ', '- ', '&a', '*a', '!!', '\t', 'e\u0301', '\u202e', '\u200d', '👩‍💻', '🎉', 'ﷺ', '𝔘', '\uFEFF', 'null', 'NO'];

/** Free text as people might type it, or paste it: any code point but NUL, with the usual suspects mixed in. */
const text = (maxLength: number) =>
  fc
    .array(fc.oneof(fc.string({ unit: 'binary', maxLength: 6 }), fc.constantFrom(...SPICE)), { minLength: 1, maxLength: 8 })
    .map((parts) => parts.join('').replace(/\0/g, '').slice(0, maxLength))
    .filter((value) => /\S/.test(value) && normalizeText(value).length > 0 && !/[\uD800-\uDFFF]/.test(value.replace(/[\uD800-\uDBFF][\uDC00-\uDFFF]/g, '')));

describe('every free-text field', () => {
  it(`stores, shows and exports random Unicode exactly (${RUNS} cases)`, async () => {
    let n = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(text(100), { minLength: 7, maxLength: 7 }), text(200), async (names, description) => {
        const key = `enc-${n++}`;
        const [orgName, companyName, roleName, first1, last1, first2, last2] = names as [string, string, string, string, string, string, string];
        const state: OrgState = org({
          key,
          name: orgName,
          companies: [company('hq', companyName)],
          roles: [role('custom', ['view_dashboards'], { name: roleName, description })],
          users: [
            user(`admin@${key}.test`, { role: 'admin', firstName: first1, lastName: last1 }),
            user(`member@${key}.test`, { role: 'custom', firstName: first2, lastName: last2 }),
          ],
        });
        const dir = await writeConfig({ 'org.yaml': toConfigObject(state) });
        const applied = await runRoster(['apply', dir, '--yes', '--min-admins', '0', '--database-url', db.url]); // the admin has no password
        expect(applied.code, applied.stderr).toBe(0);

        // Stored exactly: what the database holds is each value's normal form, nothing else.
        const stored = (await readOrganization(db.pool, key))!.state;
        expect(stored.organization.name).toBe(normalizeText(orgName));
        expect(stored.companies[0]!.name).toBe(normalizeText(companyName));
        expect(stored.roles[0]).toMatchObject({ name: normalizeText(roleName), description: normalizeText(description) });
        const byEmail = [...stored.users].sort((a, b) => a.email.localeCompare(b.email));
        expect(byEmail.map((u) => [u.firstName, u.lastName])).toEqual([
          [normalizeText(first1), normalizeText(last1)],
          [normalizeText(first2), normalizeText(last2)],
        ]);

        // Shown exactly: the JSON plan of a rename carries both names unchanged.
        const renamed = await writeConfig({ 'org.yaml': toConfigObject({ ...state, organization: { key, name: `${orgName} ✓` } }) });
        const planned = await runRoster(['plan', renamed, '--format', 'json', '--database-url', db.url]);
        expect(JSON.parse(planned.stdout).changes[0].fields.name).toEqual({ before: normalizeText(orgName), after: normalizeText(`${orgName} ✓`) });

        // Exported exactly, and the export plans to nothing.
        const out = await tempDir();
        expect((await runRoster(['export', '--out', out, '--organization', key, '--database-url', db.url])).code).toBe(0);
        const exported = parse(await readFile(join(out, 'users.yaml'), 'utf8')) as { users: { firstName: string; lastName: string }[] };
        expect(exported.users.map((u) => [u.firstName, u.lastName])).toEqual(byEmail.map((u) => [u.firstName, u.lastName]));
        const replanned = await runRoster(['plan', out, '--database-url', db.url]);
        expect(replanned.code, replanned.stderr).toBe(0);
        expect(replanned.stdout).toContain('No changes.');
      }),
      { numRuns: RUNS },
    );
    reportCounts('injection and encoding', `${RUNS} organizations of random text in every free-text field, each applied, planned, exported and re-planned`);
  }, 3_600_000);
});
