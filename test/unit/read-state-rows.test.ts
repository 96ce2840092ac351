/** The hand-written check of a users row (fast at a million rows) accepts exactly what its zod schema accepts. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fitsUserRow, parseUserRow } from '../../src/db/read-state.ts';

const valid = ['a@x.com', 'First', 'Last', 1, 2, true, null, '123', 1.7e12, 9, false];
const anyValue = fc.oneof(fc.string(), fc.constantFrom('', ' ', '\t', 'x'), fc.integer(), fc.double(), fc.boolean(), fc.constant(null), fc.constant(undefined));

describe('fitsUserRow', () => {
  it('accepts a stored user', () => {
    expect(fitsUserRow(valid)).toBe(true);
    expect(parseUserRow(valid)).toBe(true);
  });

  it('agrees with the zod schema on rows with any field replaced, and on other shapes', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 10 }), anyValue, (index, value) => {
        const row: unknown[] = [...valid];
        row[index] = value;
        expect(fitsUserRow(row)).toBe(parseUserRow(row));
      }),
      { numRuns: 2000 },
    );
    fc.assert(
      fc.property(fc.oneof(fc.array(anyValue, { maxLength: 12 }), anyValue), (row) => {
        expect(fitsUserRow(row)).toBe(parseUserRow(row));
      }),
    );
  });
});
