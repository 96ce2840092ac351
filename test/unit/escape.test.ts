/** The one escaping rule: every character that is invisible or changes what surrounds it is written as `\u{…}`. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { escapeData, escapeProperty } from '../../src/cli/github.ts';
import { formatDiagnostic } from '../../src/errors.ts';
import { escapeJson, escapeLines, escapeStrings, escapeText } from '../../src/render/escape.ts';
import { testSize } from '../support/scale.ts';

/** Characters no output may carry raw. */
const UNSAFE = [
  ...Array.from({ length: 0x20 }, (_, i) => String.fromCharCode(i)),
  ...Array.from({ length: 0x22 }, (_, i) => String.fromCharCode(0x7f + i)),
  '\u1680', ...Array.from({ length: 0xb }, (_, i) => String.fromCharCode(0x2000 + i)), '\u202f', '\u205f', '\u3000',
  '\u00ad', '\u061c', '\u200b', '\u200c', '\u200d', '\u200e', '\u200f', '\u2028', '\u2029',
  '\u202a', '\u202b', '\u202c', '\u202d', '\u202e', '\u2060', '\u2066', '\u2067', '\u2068', '\u2069', '\ufeff',
  '\ud800', '\udfff',
];
const RAW = new RegExp(`[${UNSAFE.map((c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`).join('')}]`, 'u');
/** A lone surrogate anywhere (well-formed pairs are fine). */
const hasLoneSurrogate = (text: string) => /[\ud800-\udfff]/u.test(text);

describe('escapeText', () => {
  it.each([
    ['\u001b[2J', '\\u{1b}[2J'],
    ['a\r::warning::x', 'a\\u{d}::warning::x'],
    ['bell\u0007', 'bell\\u{7}'],
    ['next\u0085line', 'next\\u{85}line'],
    ['\u202eevil', '\\u{202e}evil'],
    ['line\u2028sep', 'line\\u{2028}sep'],
    ['zero\u200bwidth\ufeff', 'zero\\u{200b}width\\u{feff}'],
    ['lone \ud800', 'lone \\u{d800}'],
    ['ivan\u00a0@acme.com', 'ivan\\u{a0}@acme.com'],
    ['thin\u2009space, ideographic\u3000space', 'thin\\u{2009}space, ideographic\\u{3000}space'],
    ['pair 😀 ok, Zoë, 李', 'pair 😀 ok, Zoë, 李'],
  ])('escapes %j', (input, expected) => {
    expect(escapeText(input)).toBe(expected);
  });

  it('leaves no unsafe character in any string', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.constantFrom(...UNSAFE), fc.string({ unit: 'binary' })), { maxLength: 20 }), (parts) => {
        const escaped = escapeText(parts.join(''));
        expect(RAW.test(escaped) || hasLoneSurrogate(escaped)).toBe(false);
      }),
      { numRuns: testSize('ROSTER_ESCAPE_RUNS', 300) },
    );
  });

  it('keeps the line breaks of messages written on several lines, and nothing else', () => {
    expect(escapeLines('first\r\nsecond\u001b')).toBe('first\\u{d}\nsecond\\u{1b}');
  });

  it('escapes every string and key of plain data, and nothing else', () => {
    expect(escapeStrings({ 'k\u202e': ['a\u0007', 1, null, { v: 'b\u2028' }], n: true })).toEqual({ 'k\\u{202e}': ['a\\u{7}', 1, null, { v: 'b\\u{2028}' }], n: true });
  });

  it('keeps JSON the same data, without raw control characters', () => {
    const data = { email: 'x\u001b\u0085\u2028\u202e\u007f\ufeff@y', lone: '\ud800' };
    const json = escapeJson(JSON.stringify(data));
    expect(JSON.parse(json)).toEqual(data);
    expect(RAW.test(json)).toBe(false);
  });

  it('is the rule of error messages too', () => {
    expect(formatDiagnostic({ position: { file: 'a.yaml', line: 1, col: 2 }, message: "unknown role 'x\u0085\u202e'" })).toBe("a.yaml:1:2: unknown role 'x\\u{85}\\u{202e}'");
  });

  it('makes GitHub workflow commands unforgeable', () => {
    expect(escapeData('bad\r::warning::forged\nsecond line 100%')).toBe('bad\\u{d}::warning::forged%0Asecond line 100%25');
    expect(escapeProperty('a\u2028b:c,d')).toBe('a\\u{2028}b%3Ac%2Cd');
  });
});
