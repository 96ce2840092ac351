/**
 * The two YAML parsers agree: for every file the schema accepts, the fast path (js-yaml) gives exactly the value
 * the `yaml` document API gives, or declines. Checked on generated configurations written in many YAML styles,
 * on tricky scalars, and on every YAML file in the repository.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { fastParse, NOT_FAST } from '../../src/config/fast-yaml.ts';
import { parseSourceFile } from '../../src/config/source-file.ts';
import { checkAgainstSchema } from '../../src/config/schema-check.ts';
import { orgState } from '../support/arbitraries.ts';
import { toConfigObject } from '../support/builders.ts';
import { REPO_ROOT } from '../support/cli.ts';
import { reportCounts, testSize } from '../support/scale.ts';

const runs = testSize('ROSTER_PROPERTY_RUNS', 500);

/** The slow path's value for `text`, and whether the schema accepts it. */
function slow(text: string): { value: unknown; valid: boolean } {
  const parsed = parseSourceFile('x.yaml', Buffer.from(text), { fast: false });
  if (!parsed.file) return { value: undefined, valid: false };
  return { value: parsed.file.value, valid: checkAgainstSchema(parsed.file).length === 0 };
}

/** Strings people and tools put in names: YAML look-alikes, quotes, escapes, Unicode. */
const trickyText = fc.oneof(
  fc.constantFrom(
    'yes', 'no', 'on', 'off', 'Yes', 'NO', 'true', 'False', 'null', 'Null', '~', '1e3', '0x1F', '0o17', '017', '.inf', '-.Inf', '.nan',
    '2026-11-27', '12:30:00', '1_000', '+1', '-0', '0.', '#not a comment', 'a #b', 'key: value', '- item', '[x]', '{y}', '"quoted"',
    "it's", 'back\\slash', 'tab\there', 'new\nline', ' leading', 'trailing ', '@at', '`tick`', '%percent', '|pipe', '>fold',
    'Zoë', 'Ødegaard', '李小龙', 'emoji 🎉', 'rtl \u202eevil', 'e\u0301', '=', '<<', '---', '...',
  ),
  fc.string({ unit: 'grapheme', minLength: 1, maxLength: 12 }).filter((s) => /\S/.test(s)),
);

/** The ways a configuration can be written: every serializer option that changes the text, not the data. */
const style = fc.record({
  defaultStringType: fc.constantFrom('PLAIN', 'QUOTE_DOUBLE', 'QUOTE_SINGLE', 'BLOCK_LITERAL', 'BLOCK_FOLDED'),
  defaultKeyType: fc.constantFrom(null, 'PLAIN', 'QUOTE_DOUBLE', 'QUOTE_SINGLE'),
  collectionStyle: fc.constantFrom('any', 'block', 'flow'),
  indent: fc.constantFrom(2, 4),
  indentSeq: fc.boolean(),
  lineWidth: fc.constantFrom(0, 20, 80),
  crlf: fc.boolean(),
  comments: fc.boolean(),
  documentMarkers: fc.boolean(),
});

describe('fast and full YAML parsers', () => {
  it('agree on every generated configuration the schema accepts, whatever the style', () => {
    let compared = 0;
    fc.assert(
      fc.property(orgState({ former: true }), fc.array(trickyText, { minLength: 4, maxLength: 4 }), style, (state, texts, s) => {
        const withTexts = {
          ...state,
          organization: { ...state.organization, name: texts[0]! },
          users: state.users.map((u, i) => ({ ...u, firstName: texts[(i + 1) % 4]!, lastName: texts[(i + 2) % 4]! })),
          companies: state.companies.map((c, i) => ({ ...c, name: texts[(i + 3) % 4]! })),
        };
        let text = stringify(toConfigObject(withTexts), {
          defaultStringType: s.defaultStringType as never,
          defaultKeyType: s.defaultKeyType as never,
          collectionStyle: s.collectionStyle as never,
          indent: s.indent,
          indentSeq: s.indentSeq,
          lineWidth: s.lineWidth,
          directives: s.documentMarkers,
        });
        if (s.comments) text = `# generated\n${text.replace(/\n/g, ' # note\n').replace(/\| # note|> # note|>- # note|\|- # note|[|>][-+]? # note/g, (m) => m.slice(0, -7))}`;
        if (s.crlf) text = text.replace(/\n/g, '\r\n');
        // Files are bytes: what both parsers see is the UTF-8 round trip (the serializer may split a surrogate pair).
        text = Buffer.from(text).toString('utf8');
        const reference = slow(text);
        if (!reference.valid) return; // the property is about files the schema accepts
        const fast = fastParse(text);
        if (fast === NOT_FAST) return;
        compared++;
        expect(fast, `text: ${JSON.stringify(text).replace(/[^\x20-\x7e]/gu, (c) => `\\u{${c.codePointAt(0)!.toString(16)}}`)}`).toEqual(reference.value);
      }),
      { numRuns: runs },
    );
    expect(compared).toBeGreaterThan(runs / 4);
    reportCounts('fast and full YAML parsers agree', `${runs} generated configurations, ${compared} of them valid and compared`);
  });

  it.each([
    ['plain', 'organization: {key: acme, name: Acme}\n'],
    ['every core scalar as a name', 'organization:\n  key: acme\n  name: "1e3"\ncompanies:\n  - {key: hq, name: \'yes\'}\n  - {key: eu, name: "~"}\n'],
    ['document markers and comments', '%YAML 1.2\n---\n# c\norganization: # c\n  key: acme # c\n  name: Acme # c\n...\n'],
    ['folded and literal blocks', 'organization:\n  key: acme\n  name: >-\n    Acme\n    Inc.\nroles:\n  - key: a\n    name: A\n    description: |\n      line one\n      line two\n    permissions: []\n'],
    ['escapes in double quotes', 'organization:\n  key: acme\n  name: "tab\\there \\u00e9 \\x41 \\U0001F389"\n'],
    ['a CRLF file', 'organization:\r\n  key: acme\r\n  name: Acme\r\n'],
  ])('agree on %s', (_name, text) => {
    const reference = slow(text);
    expect(reference.valid).toBe(true);
    const fast = fastParse(text);
    expect(fast).not.toBe(NOT_FAST);
    expect(fast).toEqual(reference.value);
  });

  it('leave anchors, aliases, tags and complex keys to the full parser', () => {
    for (const text of ['a: &x 1\nb: *x\n', 'a: !!str 1\n', '? a\n: 1\n', 'a: !custom 1\n']) expect(fastParse(text)).toBe(NOT_FAST);
  });

  it('agree on every YAML file in the repository that the schema accepts', () => {
    const files: string[] = [];
    const walk = (dir: string) => {
      for (const entry of readdirSync(dir, { withFileTypes: true })) {
        if (entry.isDirectory() && entry.name !== 'node_modules' && !entry.name.startsWith('.')) walk(join(dir, entry.name));
        else if (/\.ya?ml$/.test(entry.name)) files.push(join(dir, entry.name));
      }
    };
    walk(REPO_ROOT);
    let compared = 0;
    for (const file of files) {
      const text = readFileSync(file, 'utf8');
      const reference = slow(text);
      const fast = fastParse(text);
      if (!reference.valid || fast === NOT_FAST) continue;
      compared++;
      expect(fast, file).toEqual(reference.value);
    }
    expect(compared).toBeGreaterThanOrEqual(5);
    expect(parse('a: 1')).toEqual({ a: 1 });
  });
});

describe('parallel reading', () => {
  it('gives the same values on several threads as on one, in order', async () => {
    const { fastParseAll } = await import('../../src/config/parallel-parse.ts');
    const texts = Array.from({ length: 6 }, (_, f) =>
      stringify({ users: Array.from({ length: 4000 }, (_, i) => ({ email: `u${f}.${i}@x.example`, firstName: `F${i}`, lastName: 'L', role: 'viewer', company: `c${f}` })) }),
    );
    texts.push('a: &anchor 1\nb: *anchor\n');
    expect(texts.reduce((n, t) => n + t.length, 0)).toBeGreaterThan(2_000_000);
    const values = await fastParseAll(texts);
    expect(values.slice(0, -1)).toEqual(texts.slice(0, -1).map((t) => fastParse(t)));
    expect(values.at(-1)).toBe(NOT_FAST);
  });
});

describe('reading many files as one stream', () => {
  it('gives each file the value it has alone, whatever is in the batch', async () => {
    const { fastParseMany } = await import('../../src/config/fast-yaml.ts');
    const texts = [
      'organization: {key: a, name: A}\n',
      'users: []\n',
      'no: final line break',
      '---\norganization: {key: b, name: B}\n',
      '',
      '# only a comment\n',
      'a: &x 1\nb: *x\n',
      'description: |\n  kept\n',
      'broken: [\n',
      'companies:\n  - key: c\n    name: "C: quoted"\n',
    ];
    expect(fastParseMany(texts)).toEqual(texts.map((t) => fastParse(t)));
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...texts), { maxLength: 12 }), (batch) => {
        expect(fastParseMany(batch)).toEqual(batch.map((t) => fastParse(t)));
      }),
    );
  });
});
