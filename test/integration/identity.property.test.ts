/**
 * The core promise of the email identity: roster's emailKey and PostgreSQL's roster_email_key (migration 0006) give
 * the same key for any text, so what roster matches is what the unique index enforces. Checked on the real server
 * with random Unicode, weighted towards what case folding and normalisation touch.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { sql } from '../../src/db/sql.ts';
import { FOLD_FROM } from '../../src/model/email-fold.ts';
import { emailKey } from '../../src/model/state.ts';
import { useTestDatabase } from '../support/database.ts';

const database = useTestDatabase();

/** Characters where folding or NFC does something: letters with case, combining marks, compatibility forms. */
const INTERESTING = [
  ...'AZaz@.İıIiΣσςKkÅåǅǄǆẞßÉéÖöŉſﬀ',
  '\u0301', '\u0308', '\u0327', '\u0345', '\u212A', '\u212B', '\u2126', '\u1E9E', '\uFB01', '\u0130', '\u03A3',
  '\u1100', '\u1161', '\u11A8', '\uAC00', '\u00A0', '\uFEFF', '\u200B', '\u0041\u030A', '\u10A0', '\u{10400}', '\u{1E900}',
];

const char = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...INTERESTING) },
  { weight: 2, arbitrary: fc.string({ unit: 'grapheme-ascii', minLength: 1, maxLength: 1 }) },
  { weight: 2, arbitrary: fc.integer({ min: 0x80, max: 0x24ff }).map((c) => String.fromCodePoint(c)) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }) },
);
// PostgreSQL text holds no NUL; unpaired surrogates cannot be sent as UTF-8.
const text = fc.array(char, { maxLength: 24 }).map((parts) => parts.join('').replace(/\0/g, '')).filter((s) => !/\p{Cs}/u.test(s));

async function keysInDatabase(emails: readonly string[]): Promise<string[]> {
  const rows = await database().pool.any(sql.unsafe`
    select roster_email_key(e) as key from unnest(${sql.array(emails as string[], 'text')}) with ordinality as t (e, n) order by n`);
  return rows.map((r) => String(r.key));
}

describe('roster_email_key and emailKey', () => {
  it('agree on every text (random Unicode, in batches on the real server)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(text, { minLength: 1, maxLength: 200 }), async (emails) => {
        expect(await keysInDatabase(emails)).toEqual(emails.map(emailKey));
      }),
      { numRuns: 100 },
    );
  });

  it('agree on every single code point of the fold table and of the Basic Multilingual Plane', async () => {
    const all: string[] = [];
    for (let c = 1; c <= 0xffff; c++) if (c < 0xd800 || c > 0xdfff) all.push(`x${String.fromCodePoint(c)}@a`);
    for (const c of FOLD_FROM) if (c > 0xffff) all.push(`x${String.fromCodePoint(c)}@a`);
    for (let i = 0; i < all.length; i += 8192) {
      const batch = all.slice(i, i + 8192);
      expect(await keysInDatabase(batch)).toEqual(batch.map(emailKey));
    }
  });

  it('the unique index refuses two spellings of one login (case, NFC/NFD, dotted capital I)', async () => {
    const pool = database().pool;
    await pool.query(sql.unsafe`insert into organizations (key, name) values ('ident', 'Ident')`);
    await pool.query(sql.unsafe`insert into companies (organization_id, key, name) select id, 'hq', 'HQ' from organizations where key = 'ident'`);
    const insert = (email: string) =>
      pool.query(sql.unsafe`
        insert into users (organization_id, email, first_name, last_name, role_id, company_id)
        select o.id, ${email}, 'A', 'B', r.id, c.id from organizations o join roles r on r.organization_id = o.id and r.key = 'viewer'
          join companies c on c.organization_id = o.id where o.key = 'ident'`);
    await insert('jos\u00e9@ident.com');
    await expect(insert('jose\u0301@ident.com')).rejects.toThrow(/unique/);
    await insert('ivan@ident.com');
    await expect(insert('İvan@ident.com')).rejects.toThrow(/unique/);
    await expect(insert('IVAN@ident.com')).rejects.toThrow(/unique/);
    // Not the same login: roster reports such a row rather than matching it.
    await insert('ivan@ident.com\uFEFF');
  });
});
