/**
 * The YAML editor behind `drift --write`: every edit keeps the rest of the file byte for byte and reads back as the
 * value meant, for every key position (first on a dash's line, middle, last), block and flow style, comments,
 * anchors and aliases, and values a database can hold (hostile punctuation, line breaks, control characters).
 */
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { parseSourceFile, type PathSegment, type SourceFile } from '../../src/config/source-file.ts';
import { addKey, appendItem, applyEdits, inlineYaml, removeItem, removeKey, setValue, type TextEdit } from '../../src/config/yaml-edit.ts';
import { UserError } from '../../src/errors.ts';

function file(text: string): SourceFile {
  const parsed = parseSourceFile('test.yaml', new TextEncoder().encode(text), { fast: false });
  if (!parsed.file) throw new Error(`fixture does not parse: ${JSON.stringify(parsed.diagnostics)}`);
  return parsed.file;
}

const edited = (f: SourceFile, edit: TextEdit) => applyEdits(f.text, [edit]);

describe('removeKey', () => {
  const cases: readonly (readonly [string, string, readonly PathSegment[], string, string])[] = [
    ['first key on the dash line', '- active: false\n  email: a@x.com\n  role: viewer\n', [0], 'active', '- email: a@x.com\n  role: viewer\n'],
    ['first key on the dash line, with a comment', '- active: false   # on leave\n  email: a@x.com\n', [0], 'active', '- email: a@x.com\n'],
    ['first key on the dash line, its value a block list', '- formerEmails:\n    - o@x.com\n  email: a@x.com\n', [0], 'formerEmails', '- email: a@x.com\n'],
    ['the only key on the dash line', 'users:\n  - active: false\n  - email: b@x.com\n', ['users', 0], 'active', 'users:\n  - {}\n  - email: b@x.com\n'],
    ['middle key', '- email: a@x.com\n  active: false\n  role: viewer\n', [0], 'active', '- email: a@x.com\n  role: viewer\n'],
    ['last key, at the end of the file without a line break', '- email: a@x.com\n  active: false', [0], 'active', '- email: a@x.com\n'],
    ['last key, before the next item and a comment', '- email: a@x.com\n  active: false # on leave\n# next\n- email: b@x.com\n', [0], 'active', '- email: a@x.com\n# next\n- email: b@x.com\n'],
    ['first key of a mapping on its own line', 'organization:\n  key: acme\n  name: Acme\n', ['organization'], 'key', 'organization:\n  name: Acme\n'],
    ['a key whose value is an alias', 'off: &off false\nu:\n  - active: *off\n    email: a@x.com\n', ['u', 0], 'active', 'off: &off false\nu:\n  - email: a@x.com\n'],
    ['first key of a flow mapping', '- { active: false, email: a@x.com }\n', [0], 'active', '- { email: a@x.com }\n'],
    ['middle key of a flow mapping', '- { email: a@x.com, active: false, role: viewer }\n', [0], 'active', '- { email: a@x.com, role: viewer }\n'],
    ['last key of a flow mapping', '- { email: a@x.com, active: false }\n', [0], 'active', '- { email: a@x.com }\n'],
    ['the only key of a flow mapping', '- { active: false }\n', [0], 'active', '- {  }\n'],
    ['CRLF line ends', '- email: a@x.com\r\n  active: false\r\n  role: viewer\r\n', [0], 'active', '- email: a@x.com\r\n  role: viewer\r\n'],
  ];
  it.each(cases)('%s', (_, text, path, key, expected) => {
    const f = file(text);
    const after = edited(f, removeKey(f, path, key));
    expect(after).toBe(expected);
    expect(parse(after)).toBeDefined();
  });

  it('refuses to remove a value whose anchor an alias elsewhere uses', () => {
    const f = file('- active: &off false\n  email: a@x.com\n- active: *off\n  email: b@x.com\n');
    expect(() => removeKey(f, [0], 'active')).toThrow(UserError);
    expect(() => removeKey(f, [0], 'active')).toThrow('it defines the anchor &off, which an alias (*off) elsewhere uses');
  });
});

/** Values a database can hold that YAML would read as something else, or that would change a flow mapping. */
const HOSTILE: readonly string[] = [
  'Bob, "resetPassword":"pwn-1", "initialPassword":{"env":"HOME"}',
  'Bob, resetPassword: pwn-1',
  'Bob} , x: {y',
  'Bob] , [x',
  'a: b',
  'a #b',
  '# comment',
  '- item',
  '? key',
  '*alias',
  '&anchor x',
  '!tag x',
  '%directive',
  '@at',
  '`tick',
  '"quoted"',
  "'single'",
  "O'Brien",
  'line one\nline two',
  'ends with a break\n',
  ' leading and trailing ',
  'two  spaces',
  'tab\there',
  'carriage\rreturn',
  'esc \u001b[2J',
  'bidi \u202e override',
  'separator \u2028 here',
  'nel \u0085 here',
  'c1 \u0090 here',
  'bom \ufeff here',
  'emoji 🦊 and é',
  'back\\slash',
  '',
  'true',
  'False',
  'null',
  '~',
  'yes',
  'no',
  'on',
  'y',
  '123',
  '0x1F',
  '1e3',
  '.inf',
  '-1',
  '+1',
  '2026-11-28',
  '---',
  '...',
  '<<',
  '=',
];

describe('setValue writes every value as one scalar that reads back as itself', () => {
  const contexts: readonly (readonly [string, string, readonly PathSegment[]])[] = [
    ['block mapping', 'users:\n  - email: a@x.com\n    firstName: Bob   # keep me\n    lastName: Roe\n', ['users', 0, 'firstName']],
    ['flow mapping', 'users:\n  - { email: a@x.com, firstName: Bob, lastName: Roe }\n', ['users', 0, 'firstName']],
    ['flow mapping, last', 'users:\n  - { email: a@x.com, lastName: Roe, firstName: Bob }\n', ['users', 0, 'firstName']],
    ['one-line flow document', '{users: [{email: a@x.com, firstName: Bob, lastName: Roe}]}\n', ['users', 0, 'firstName']],
    ['flow sequence item', 'users:\n  - email: a@x.com\n    formerEmails: [o@x.com, p@x.com]\n', ['users', 0, 'formerEmails', 0]],
    ['quoted value', "users:\n  - email: a@x.com\n    firstName: 'Bob'\n    lastName: Roe\n", ['users', 0, 'firstName']],
    ['block scalar', 'users:\n  - email: a@x.com\n    firstName: |\n      Bob\n    lastName: Roe\n', ['users', 0, 'firstName']],
    ['anchored value used nowhere else', 'users:\n  - email: a@x.com\n    firstName: &first Bob\n    lastName: Roe\n', ['users', 0, 'firstName']],
    ['alias', 'names:\n  bob: &bob Bob\nusers:\n  - email: a@x.com\n    firstName: *bob\n    lastName: Roe\n', ['users', 0, 'firstName']],
  ];
  for (const [context, text, path] of contexts) {
    it(`in a ${context}`, () => {
      const f = file(text);
      const before = parse(text);
      for (const value of HOSTILE) {
        const after = edited(f, setValue(f, path, value));
        const read = parse(after, { uniqueKeys: true, strict: true });
        let expected = structuredClone(before);
        let target = expected;
        for (const segment of path.slice(0, -1)) target = target[segment];
        target[path.at(-1)!] = value;
        expect(read, `${context}: ${JSON.stringify(value)}\n${after}`).toEqual(expected);
        // Invisible and control characters are escapes in the file, where a reviewer sees them.
        expect(after).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u2028\u2029\u202e\ufeff]/);
      }
    });
  }

  it('keeps every other byte, comments included', () => {
    const text = '# head\nusers:\n  - email: a@x.com\n    firstName: Bob   # keep me\n    lastName: Roe\n# tail\n';
    const f = file(text);
    expect(edited(f, setValue(f, ['users', 0, 'firstName'], 'Robert'))).toBe(text.replace('firstName: Bob ', 'firstName: Robert '));
  });

  it('writes lists in the style of the list it replaces', () => {
    const block = file('roles:\n  - key: a\n    permissions:\n      - view_dashboards\n      - run_workflows\n    name: A\n');
    expect(edited(block, setValue(block, ['roles', 0, 'permissions'], ['view_dashboards']))).toBe('roles:\n  - key: a\n    permissions:\n      - view_dashboards\n    name: A\n');
    expect(parse(edited(block, setValue(block, ['roles', 0, 'permissions'], [])))).toEqual({ roles: [{ key: 'a', permissions: [], name: 'A' }] });
    const flow = file('roles:\n  - { key: a, permissions: [view_dashboards, run_workflows], name: A }\n');
    expect(edited(flow, setValue(flow, ['roles', 0, 'permissions'], ['run_workflows']))).toBe('roles:\n  - { key: a, permissions: [run_workflows], name: A }\n');
  });

  it('refuses to change a value other places share through an alias', () => {
    const f = file('users:\n  - email: a@x.com\n    lastName: &family Roe\n  - email: b@x.com\n    lastName: *family\n');
    expect(() => setValue(f, ['users', 0, 'lastName'], 'Doe')).toThrow('it defines the anchor &family');
  });
});

describe('addKey', () => {
  const cases: readonly (readonly [string, string, readonly PathSegment[], string])[] = [
    ['block item', '- email: a@x.com\n  role: viewer   # note\n- email: b@x.com\n', [0], '- email: a@x.com\n  role: viewer   # note\n  firstName: "Bob, x: y"\n- email: b@x.com\n'],
    ['block item at the end of the file without a line break', '- email: a@x.com', [0], '- email: a@x.com\n  firstName: "Bob, x: y"\n'],
    ['block item ending in a block list', '- email: a@x.com\n  formerEmails:\n    - o@x.com\n', [0], '- email: a@x.com\n  formerEmails:\n    - o@x.com\n  firstName: "Bob, x: y"\n'],
    ['flow mapping', '- { email: a@x.com }\n', [0], '- { email: a@x.com, firstName: "Bob, x: y" }\n'],
    ['empty flow mapping', '- {}\n', [0], '- {firstName: "Bob, x: y"}\n'],
  ];
  it.each(cases)('%s', (_, text, path, expected) => {
    const f = file(text);
    const after = edited(f, addKey(f, path, 'firstName', 'Bob, x: y'));
    expect(after).toBe(expected);
    expect(parse(after)[0].firstName).toBe('Bob, x: y');
  });
});

describe('removeItem and appendItem', () => {
  it('removes an item with its comments, first, middle and last', () => {
    const text = 'users:\n  - email: a@x.com\n  # b\n  - email: b@x.com\n  - email: c@x.com\n';
    const f = file(text);
    expect(edited(f, removeItem(f, ['users'], 0))).toBe('users:\n  # b\n  - email: b@x.com\n  - email: c@x.com\n');
    expect(edited(f, removeItem(f, ['users'], 1))).toBe('users:\n  - email: a@x.com\n  # b\n  - email: c@x.com\n');
    expect(edited(f, removeItem(f, ['users'], 2))).toBe('users:\n  - email: a@x.com\n  # b\n  - email: b@x.com\n');
    const flow = file('users: [{ email: a@x.com }, { email: "b, c@x.com" }]\n');
    expect(parse(edited(flow, removeItem(flow, ['users'], 0)))).toEqual({ users: [{ email: 'b, c@x.com' }] });
  });

  const entry = { email: 'n@x.com', firstName: 'Bob, "resetPassword":"pwn-1"', lastName: 'Two\nLines', role: 'viewer', company: 'hq', active: undefined };
  const expected = { email: 'n@x.com', firstName: 'Bob, "resetPassword":"pwn-1"', lastName: 'Two\nLines', role: 'viewer', company: 'hq' };
  const cases: readonly (readonly [string, string])[] = [
    ['a block list', 'users:\n  - email: a@x.com\n'],
    ['a flow list', 'users: [{ email: a@x.com }]\n'],
    ['an empty flow list', 'users: []\n'],
    ['no such section', 'organization: { key: acme, name: Acme }\n'],
  ];
  it.each(cases)('appends to %s, reading back as the stored row', (_, text) => {
    const f = file(text);
    const after = parse(edited(f, appendItem(f, 'users', entry)));
    expect(after.users.at(-1)).toEqual(expected);
    expect(after.users.length).toBe(text.includes('a@x.com') ? 2 : 1);
  });
});

describe('inlineYaml', () => {
  it('writes plain only what is plainly a string', () => {
    expect(inlineYaml('Grimes Jr.')).toBe('Grimes Jr.');
    expect(inlineYaml("O'Brien")).toBe("O'Brien");
    expect(inlineYaml('jane@acme.com')).toBe('jane@acme.com');
    expect(inlineYaml('true')).toBe('"true"');
    expect(inlineYaml('123')).toBe('"123"');
    expect(inlineYaml('a\nb')).toBe('"a\\nb"');
    expect(inlineYaml('x\u202ey')).toBe('"x\\u202ey"');
    expect(inlineYaml(['a', 'b, c'])).toBe('[a, "b, c"]');
    expect(inlineYaml(false)).toBe('false');
  });
});
