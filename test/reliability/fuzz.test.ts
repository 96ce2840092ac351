/**
 * Hostile input: thousands of mutated and generated YAML configurations through `roster validate`. Every one must end
 * in "valid" (exit 0) or exit 1 with positioned messages; never an internal error, a stack trace, a hang or a
 * runaway heap. What validate accepts is then applied to a real database, which must store it (or refuse it with
 * a clear message): valid must mean storable. Inputs that once failed live in test/fixtures/fuzz-regressions (as
 * files, or as generators in its generated.ts when too large to commit) and run first, every time; a new failure is
 * saved there. Work is bounded by size (output, heap), never by the clock: a hang still ends at the test's timeout. ROSTER_FUZZ_RUNS sets the number of mutated inputs (default 2,000), ROSTER_FUZZ_SEED
 * the seed (printed, to reproduce a run).
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import fc from 'fast-check';
import { stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, runRoster, tempDir, type RunResult } from '../support/cli.ts';
import { useTestDatabase } from '../support/database.ts';
import { GENERATED_REGRESSIONS } from '../fixtures/fuzz-regressions/generated.ts';
import { reportCounts, testSize } from '../support/scale.ts';

const RUNS = testSize('ROSTER_FUZZ_RUNS', 2000);
const SEED = Number(process.env.ROSTER_FUZZ_SEED ?? Date.now() % 2 ** 31);
const REGRESSIONS = join(REPO_ROOT, 'test', 'fixtures', 'fuzz-regressions');
/** A hang detector, not a speed goal (a loaded machine may be many times slower than an idle one). */
const HANG_TIMEOUT_MS = 600_000;
/** Problems validate may print, however many the input has (the CLI prints the first 1,000). */
const PROBLEMS_SHOWN_LIMIT = 1000;
/** The heap roster may use on any input here, far above what a valid 100,000-user file needs. */
const HEAP_LIMIT_BYTES = 1.5 * 1024 ** 3;
/**
 * Valid inputs up to this size are also applied. Larger ones (the 100,000-user list) would leave an organization so
 * big that every later apply to it measured the planner, not the input; the benchmark applies those.
 */
const APPLY_LIMIT_BYTES = 1024 ** 2;

const database = useTestDatabase();
let dir: string;
let fuzzed = 0;
let applied = 0;
beforeAll(async () => {
  dir = await tempDir('roster-fuzz-');
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
  reportCounts('hostile input', `${fuzzed} inputs validated, ${applied} of them valid and applied (seed ${SEED})`);
});

/** The seeds mutations start from: the example organization's files and every invalid fixture. */
function seedFiles(): Buffer[] {
  const roots = [join(REPO_ROOT, 'examples', 'acme'), join(REPO_ROOT, 'test', 'fixtures', 'invalid')];
  const files: Buffer[] = [];
  for (const root of roots) {
    for (const name of readdirSync(root, { recursive: true }) as string[]) {
      if (/\.ya?ml$/.test(name)) files.push(readFileSync(join(root, name)));
    }
  }
  return files;
}

/** One line of output is acceptable when it is a positioned problem, a related place, the summary, or `error: …`. */
const ACCEPTABLE_LINE = /^(?:[^\s:][^:]*:\d+:\d+: \S.*|  \S.*:\d+:\d+: \S.*|\d+ problems? found; nothing was changed\.|… and \d+ more problems not shown; fix the ones above first\.|error: \S.*|Valid: .*|)$/;

/** What is wrong with validate's result, or null: exit 0, or exit 1 with only positioned problems and the summary. */
function validationFailure(result: RunResult): string | null {
  const output = result.stdout + result.stderr;
  if (result.code !== 0 && result.code !== 1) return `validate exited ${result.code}`;
  if (CRASH.test(output)) return `validate crashed:\n${output.slice(0, 2000)}`;
  if (result.code === 1 && !/(?:^|\n)\S[^\n]*:\d+:\d+: /.test(result.stderr) && !/^error: /.test(result.stderr)) {
    return `validate exited 1 without a positioned message:\n${result.stderr.slice(0, 2000)}`;
  }
  const lines = output.split('\n');
  const bad = lines.find((line) => !ACCEPTABLE_LINE.test(line));
  if (bad !== undefined) return `validate printed an unexpected line: ${JSON.stringify(bad.slice(0, 300))}`;
  const problems = lines.filter((line) => /^[^\s:][^:]*:\d+:\d+: /.test(line)).length;
  return problems > PROBLEMS_SHOWN_LIMIT ? `validate printed ${problems} problems, more than ${PROBLEMS_SHOWN_LIMIT}` : null;
}

/** What is wrong with applying a valid input, or null: applied, or refused in one `error:` paragraph. */
function applyFailure(result: RunResult): string | null {
  const output = result.stdout + result.stderr;
  if (CRASH.test(output)) return `apply crashed:\n${output.slice(-2000)}`;
  if (result.code === 0) return null;
  const message = result.stderr.replace(/^Plan:.*\n/m, '');
  return result.code === 1 && /^error: \S/m.test(message) ? null : `apply exited ${result.code}:\n${result.stderr.slice(-2000)}`;
}

const CRASH = /internal error|\n\s+at |node_modules|\.ts:\d+:\d+\)/;

/** Validates one input (as the only file of a configuration) and checks everything the contract promises. */
async function check(input: Buffer | string): Promise<void> {
  const file = join(dir, 'org.yaml');
  await writeFile(file, input);
  let failure: string | null = null;
  try {
    const validated = await runRoster(['validate', dir], { cwd: dir });
    failure = validationFailure(validated);
    if (failure === null && validated.code === 0 && input.length <= APPLY_LIMIT_BYTES) {
      // Valid must mean storable: apply what validate accepts (guard rails off).
      applied++;
      const result = await runRoster(['apply', dir, '--yes', '--max-deactivations', '100%', '--min-admins', '0', '--database-url', database().url], { cwd: dir });
      failure = applyFailure(result);
    }
  } catch (error) {
    failure = `threw: ${(error as Error).stack}`;
  }
  if (failure === null && process.memoryUsage().heapUsed > HEAP_LIMIT_BYTES) failure = `heap at ${process.memoryUsage().heapUsed} bytes`;
  fuzzed++;
  if (failure !== null) {
    const saved = join(REGRESSIONS, `${createHash('sha256').update(input).digest('hex').slice(0, 16)}.yaml`);
    await mkdir(REGRESSIONS, { recursive: true });
    writeFileSync(saved, input);
    throw new Error(`${failure}\n(input saved as ${relative(REPO_ROOT, saved)}; commit it with the fix)`);
  }
}

/** Hostile inputs built on purpose: each stresses one part of parsing or validation. */
function generatedInputs(): [string, Buffer | string][] {
  const header = 'organization: { key: acme, name: Acme }\ncompanies: [{ key: hq, name: HQ }]\n';
  const userLine = (i: number) => `  - { email: u${i}@acme.com, firstName: U, lastName: "${i}", role: viewer, company: hq }\n`;
  return [
    ['empty', ''],
    ['only a BOM', '\uFEFF'],
    ['BOM before a valid file', `\uFEFF${header}users: []\n`],
    ['NUL bytes', `${header}users: [\0]\n\0`],
    ['invalid UTF-8', Buffer.concat([Buffer.from(header), Buffer.from([0xff, 0xfe, 0xc3, 0x28, 0x0a])])],
    ['lone surrogate escapes', `${header}users:\n  - { email: "\\ud800@acme.com", firstName: "\\udfff", lastName: x, role: viewer, company: hq }\n`],
    ['CRLF line ends', `${header}users:\n${userLine(1)}`.replace(/\n/g, '\r\n')],
    ['lone CR line ends', `${header}users:\n${userLine(1)}`.replace(/\n/g, '\r')],
    ['tabs for indentation', `${header}users:\n\t- email: a@acme.com\n`],
    ['deeply nested flow sequences', `${header}users: ${'['.repeat(20_000)}${']'.repeat(20_000)}\n`],
    ['deeply nested flow mappings', `${header}users: ${'{a: '.repeat(5_000)}1${'}'.repeat(5_000)}\n`],
    ['deeply nested block sequences', `${header}users:\n${Array.from({ length: 3_000 }, (_, i) => `${' '.repeat(i)}-`).join('\n')} x\n`],
    ['a huge scalar', `${header}users:\n  - { email: a@acme.com, firstName: ${'x'.repeat(8_000_000)}, lastName: y, role: viewer, company: hq }\n`],
    ['a huge key', `${header}${'k'.repeat(2_000_000)}: 1\n`],
    ['an enormous list', `${header}users:\n${Array.from({ length: 100_000 }, (_, i) => userLine(i)).join('')}`],
    // 200,000 empty list items (200,000 problems) once overflowed the stack: see the regression files.
    [
      'an alias bomb',
      `a: &a ["x","x","x","x","x","x","x","x","x"]\n` +
        Array.from({ length: 9 }, (_, i) => `${String.fromCharCode(98 + i)}: &${String.fromCharCode(98 + i)} [${Array(9).fill(`*${String.fromCharCode(97 + i)}`).join(',')}]`).join('\n') +
        `\n${header}users: *j\n`,
    ],
    ['an alias loop through a merge key', `${header}x: &x { <<: *x }\n`],
    ['an alias to nothing', `${header}users: *nothing\n`],
    ['merge keys', `${header}base: &b { role: viewer, company: hq }\nusers:\n  - { <<: *b, email: a@acme.com, firstName: A, lastName: B }\n`],
    ['duplicate keys at every level', `${header}organization: { key: x, key: y, name: n }\nusers: []\nusers: []\n`],
    ['non-string keys', `${header}1: one\n[a, b]: list\n{ c: d }: map\n? complex\n: value\nnull: x\ntrue: y\n`],
    ['tags', `${header}users: !!binary aGVsbG8=\nextra: !custom { a: 1 }\nset: !!set { a, b }\nts: !!timestamp 2001-12-14\n`],
    ['directives and many documents', `%YAML 1.2\n%TAG ! tag:example.com,2000:\n---\n${header}...\n---\nusers: []\n---\n---\n`],
    ['anchors on every node', `${header}users: &u\n  - &v { email: &e a@acme.com, firstName: &f A, lastName: *f, role: viewer, company: hq }\n`],
    ['numbers and specials where strings belong', `organization: { key: .inf, name: -.nan }\ncompanies: [{ key: 0x1F, name: 1e400 }]\nusers: [{ email: ~, firstName: 0o17, lastName: +12_000, role: .NaN, company: null }]\n`],
    ['a very long line', `${header}users: [${Array.from({ length: 30_000 }, (_, i) => `{email: u${i}@acme.com}`).join(', ')}]\n`],
    ['control characters', `${header}users:\n  - { email: "a\\x07@acme.com", firstName: "\\x1b[31mred", lastName: "\\u202eevil", role: viewer, company: hq }\n`],
    ['unterminated quotes', `${header}users:\n  - { email: "a@acme.com, firstName: 'A }\n`],
    ['a block scalar as the document', '|\n  just text\n  more text\n'],
    ['JSON, not YAML', JSON.stringify({ organization: { key: 'acme', name: 'Acme' }, companies: [], roles: [], users: [] })],
  ];
}

/** Mutations: each takes the input and a source of numbers, and returns a new input. */
const TOKENS = ['- ', ': ', '{', '}', '[', ']', '"', "'", '&a ', '*a', '!!str ', '!!binary ', '<<: ', '? ', '|', '>', '#', '%', '@', '`', '\t', '\0', '\r\n', '\r', '\uFEFF', '\u2028', '\uD83D\uDE00', 'e\u0301', '\u202e', '---\n', '...\n', 'null', '~', '1e999', '0x', '-.inf', '\\', '\n  ', '\n- ', 'users:', 'email:', 'role: admin', 'initialPassword: hunter2'];
type Mutation = (input: Buffer, n: () => number) => Buffer;
const pick = <T,>(items: readonly T[], n: () => number): T => items[Math.floor(n() * items.length)]!;
const at = (input: Buffer, n: () => number) => Math.floor(n() * (input.length + 1));
const MUTATIONS: Mutation[] = [
  (input, n) => input.subarray(0, at(input, n)),
  (input, n) => {
    const i = at(input, n);
    return Buffer.concat([input.subarray(0, i), Buffer.from(pick(TOKENS, n)), input.subarray(i)]);
  },
  (input, n) => {
    const copy = Buffer.from(input);
    if (copy.length > 0) copy[Math.min(copy.length - 1, at(input, n))] = Math.floor(n() * 256);
    return copy;
  },
  (input, n) => {
    const i = at(input, n);
    return Buffer.concat([input.subarray(0, i), input.subarray(Math.min(input.length, i + 1 + Math.floor(n() * 40)))]);
  },
  (input, n) => {
    const lines = input.toString('latin1').split('\n');
    const i = Math.floor(n() * lines.length);
    lines.splice(i, 0, lines[Math.floor(n() * lines.length)]!);
    return Buffer.from(lines.join('\n'), 'latin1');
  },
  (input, n) => {
    const lines = input.toString('latin1').split('\n');
    lines.splice(Math.floor(n() * lines.length), 1);
    return Buffer.from(lines.join('\n'), 'latin1');
  },
  (input, n) => {
    const lines = input.toString('latin1').split('\n');
    const i = Math.floor(n() * lines.length);
    lines[i] = `${' '.repeat(Math.floor(n() * 6))}${lines[i]!.trimStart()}`;
    return Buffer.from(lines.join('\n'), 'latin1');
  },
  (input) => Buffer.from(input.toString('latin1').replace(/\n/g, '\r\n'), 'latin1'),
  (input) => Buffer.from(input.toString('latin1').replace(/^( {2})+/gm, (m) => '\t'.repeat(m.length / 2)), 'latin1'),
  (input, n) => Buffer.concat([input, input.subarray(at(input, n))]),
];

describe('hostile input', () => {
  const files = readdirSync(REGRESSIONS).filter((name) => name.endsWith('.yaml')).sort();
  it.each(files)('input that once failed: %s', async (name) => {
    await check(readFileSync(join(REGRESSIONS, name)));
  }, HANG_TIMEOUT_MS);

  it.each(Object.keys(GENERATED_REGRESSIONS))('input that once failed, generated: %s', async (name) => {
    const input = GENERATED_REGRESSIONS[name]!();
    // The generator must still produce exactly the input the fuzzer saved under this name.
    expect(createHash('sha256').update(input).digest('hex').slice(0, 16)).toBe(name);
    await check(input);
  }, HANG_TIMEOUT_MS);

  it.each(generatedInputs())('%s', async (_name, input) => {
    await check(input);
  }, HANG_TIMEOUT_MS);

  it(`${Math.ceil(RUNS / 4)} generated configurations: the right shape, hostile values (seed ${SEED})`, async () => {
    const text = fc.oneof(fc.string(), fc.string({ unit: 'grapheme' }), fc.constantFrom('', ' ', 'admin', 'viewer', 'hq', 'a@b.c', 'A@B.C', '\u0000', '\u202e', 'e\u0301'));
    const value = fc.oneof({ depthSize: 'small' }, text, fc.integer(), fc.double(), fc.boolean(), fc.constant(null), fc.array(text, { maxLength: 3 }), fc.dictionary(text, text, { maxKeys: 3 }));
    const maybe = <T,>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: undefined, freq: 3 });
    const entity = fc.record(
      { key: maybe(value), name: maybe(value), email: maybe(value), firstName: maybe(value), lastName: maybe(value), role: maybe(value), company: maybe(value),
        active: maybe(value), formerEmails: maybe(value), initialPassword: maybe(fc.oneof(value, fc.record({ env: text }), fc.record({ file: text }), fc.record({ hash: text }))),
        resetPassword: maybe(value), permissions: maybe(fc.oneof(value, fc.array(fc.constantFrom('manage_users', 'view_dashboards', 'nope'), { maxLength: 4 }))), description: maybe(value) },
      { requiredKeys: [] },
    );
    const config = fc.record(
      { organization: maybe(fc.oneof(entity, value)), companies: maybe(fc.oneof(fc.array(entity, { maxLength: 4 }), value)), roles: maybe(fc.oneof(fc.array(entity, { maxLength: 4 }), value)),
        users: maybe(fc.oneof(fc.array(entity, { maxLength: 8 }), value)), unmanagedUsers: maybe(value), extra: maybe(value) },
      { requiredKeys: [] },
    );
    await fc.assert(
      fc.asyncProperty(config, async (document) => {
        await check(stringify(document));
      }),
      { numRuns: Math.ceil(RUNS / 4), seed: SEED, endOnFailure: true },
    );
  }, 3_600_000);

  it(`${RUNS} mutated configurations (seed ${SEED})`, async () => {
    const seeds = seedFiles();
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: seeds.length - 1 }),
        fc.array(fc.tuple(fc.integer({ min: 0, max: MUTATIONS.length - 1 }), fc.array(fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), { minLength: 4, maxLength: 4 })), { minLength: 1, maxLength: 6 }),
        async (seedIndex, steps) => {
          let input = seeds[seedIndex]!;
          for (const [mutation, numbers] of steps) {
            let i = 0;
            input = MUTATIONS[mutation]!(input, () => numbers[i++ % numbers.length]!);
          }
          await check(input);
        },
      ),
      { numRuns: RUNS, seed: SEED, endOnFailure: true },
    );
  }, 3_600_000);
});
