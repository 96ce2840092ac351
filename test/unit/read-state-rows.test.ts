/** The hand-written check of a users row (fast at a million rows) accepts exactly what its zod schema accepts. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fitsUserRow, parseUserRow, USER_ROW } from '../../src/db/read-state.ts';

/** A stored user's values by column name, in the order the users query builds them. */
const byName: Record<string, unknown> = {
  email: 'a@x.com', first_name: 'First', last_name: 'Last', role_id: 1, company_id: 2, active: true, password_reset_id: null,
  xmin: '123', updated_at: 1.7e12, id: 9, has_password: false,
};
const valid = USER_ROW.map((column) => (column.name in byName ? byName[column.name] : null));
const anyValue = fc.oneof(fc.string(), fc.constantFrom('', ' ', '\t', 'x'), fc.integer(), fc.double(), fc.boolean(), fc.constant(null), fc.constant(undefined));

describe('fitsUserRow', () => {
  it('accepts a stored user', () => {
    expect(fitsUserRow(valid)).toBe(true);
    expect(parseUserRow(valid)).toBe(true);
  });

  it('agrees with the zod schema on rows with any field replaced, and on other shapes', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: valid.length - 1 }), anyValue, (index, value) => {
        const row: unknown[] = [...valid];
        row[index] = value;
        expect(fitsUserRow(row)).toBe(parseUserRow(row));
      }),
      { numRuns: 2000 },
    );
    fc.assert(
      fc.property(fc.oneof(fc.array(anyValue, { maxLength: valid.length + 1 }), anyValue), (row) => {
        expect(fitsUserRow(row)).toBe(parseUserRow(row));
      }),
    );
  });
});
