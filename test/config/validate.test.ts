import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT, runRoster, writeConfig } from '../support/cli.ts';
import { expectGolden } from '../support/golden.ts';

const INVALID = join(REPO_ROOT, 'test', 'fixtures', 'invalid');
const cases = readdirSync(INVALID, { withFileTypes: true })
  .filter((e) => e.isDirectory())
  .map((e) => e.name)
  .sort();

describe('roster validate on bad files', () => {
  it.each(cases)('%s: every problem at file:line:col, exit 1, no stack trace (golden)', async (name) => {
    const result = await runRoster(['validate', `test/fixtures/invalid/${name}`], { cwd: REPO_ROOT });
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(/^test\/fixtures\/invalid\/[^:]+:\d+:\d+: /);
    expect(result.stderr).not.toMatch(/\n\s+at /);
    expectGolden(`validate-${name}.txt`, result.stderr);
  });

  it('never echoes a plain-text password', async () => {
    const result = await runRoster(['validate', 'test/fixtures/invalid/plain-text-password'], { cwd: REPO_ROOT });
    expect(result.stderr).toContain('org.yaml:14:22: users[0].initialPassword: plain-text passwords are not allowed');
    expect(result.stderr).not.toContain('hunter2');
  });

  it('never echoes a password hidden in broken YAML', async () => {
    const dir = await writeConfig({ 'org.yaml': 'organization: { key: acme, name: Acme }\nusers:\n  - initialPassword: "s3cret-in-broken-yaml\n' });
    const result = await runRoster(['validate', dir]);
    expect(result.code).toBe(1);
    expect(result.stderr).not.toContain('s3cret');
  });

  it('names both places of a duplicate across files', async () => {
    const result = await runRoster(['validate', 'test/fixtures/invalid/duplicate-email-across-files'], { cwd: REPO_ROOT });
    expect(result.stderr).toContain(
      "test/fixtures/invalid/duplicate-email-across-files/org.yaml:9:12: email 'jane@acme.com' is already the email of another user",
    );
    expect(result.stderr).toContain('  test/fixtures/invalid/duplicate-email-across-files/more/users.yaml:3:12: first used here');
  });
});

describe('roster validate on good files', () => {
  it('accepts the example organization', async () => {
    const result = await runRoster(['validate', 'examples/acme'], { cwd: REPO_ROOT });
    expect(result.stderr).toMatch(/^Valid: 5 files, organization acme, 4 companies, 4 custom roles, 31 users \(30 active\)\.\n$/);
    expect(result.code).toBe(0);
  });

  it('merges lists across files and directories, and accepts a BOM and CRLF line ends', async () => {
    const dir = await writeConfig({
      'org.yaml': '\uFEFForganization:\r\n  key: acme\r\n  name: Acme\r\ncompanies:\r\n  - { key: hq, name: HQ }\r\n',
      'people/a.yml': { users: [{ email: 'a@acme.com', firstName: 'A', lastName: 'A', role: 'viewer', company: 'hq' }] },
      'people/deeper/b.yaml': { users: [{ email: 'b@acme.com', firstName: 'B', lastName: 'B', role: 'admin', company: 'hq' }] },
      'people/notes.txt': 'not yaml, not read',
      '.github/workflows/ci.yml': 'on: push\n',
    });
    const result = await runRoster(['validate', dir]);
    expect(result.stderr).toContain('Valid: 3 files, organization acme, 1 company, 0 custom roles, 2 users (2 active).');
    expect(result.code).toBe(0);
  });

  it('defaults to the current directory', async () => {
    const result = await runRoster(['validate'], { cwd: join(REPO_ROOT, 'examples', 'acme') });
    expect(result.code).toBe(0);
  });

  it('says clearly when a path does not exist or holds no YAML', async () => {
    const missing = await runRoster(['validate', 'no/such/dir'], { cwd: REPO_ROOT });
    expect(missing).toMatchObject({ code: 1, stderr: 'error: no/such/dir: no such file or directory\n' });
    const empty = await writeConfig({ 'readme.txt': 'hello' });
    const none = await runRoster(['validate', empty]);
    expect(none.code).toBe(1);
    expect(none.stderr).toContain('no *.yaml or *.yml files in this directory');
  });
});

describe('roster validate --format json', () => {
  const schema = JSON.parse(readFileSync(join(REPO_ROOT, 'schema', 'validate.schema.json'), 'utf8'));
  const conforms = new Ajv({ strict: true, allErrors: true }).compile(schema);

  it('prints every problem with file, line, col, message and related places (exit 1), conforming to its schema', async () => {
    const result = await runRoster(['validate', '--format', 'json', 'test/fixtures/invalid/duplicate-email-across-files'], { cwd: REPO_ROOT });
    expect(result.code).toBe(1);
    expect(result.stderr).toBe('');
    const report = JSON.parse(result.stdout);
    expect(conforms(report), JSON.stringify(conforms.errors)).toBe(true);
    expect(report).toEqual({
      valid: false,
      diagnostics: [
        {
          file: 'test/fixtures/invalid/duplicate-email-across-files/more/users.yaml',
          line: 13,
          col: 20,
          message: "formerEmails: 'jane@acme.com' is already the email of another user; emails are unique ignoring case, former emails included",
          related: [{ file: 'test/fixtures/invalid/duplicate-email-across-files/more/users.yaml', line: 3, col: 12, message: 'first used here' }],
        },
        {
          file: 'test/fixtures/invalid/duplicate-email-across-files/org.yaml',
          line: 9,
          col: 12,
          message: "email 'jane@acme.com' is already the email of another user; emails are unique ignoring case, former emails included",
          related: [{ file: 'test/fixtures/invalid/duplicate-email-across-files/more/users.yaml', line: 3, col: 12, message: 'first used here' }],
        },
      ],
    });
  });

  it('prints the summary of a valid configuration (exit 0)', async () => {
    const result = await runRoster(['validate', '--format', 'json', 'examples/acme'], { cwd: REPO_ROOT });
    expect(result.code).toBe(0);
    const report = JSON.parse(result.stdout);
    expect(conforms(report), JSON.stringify(conforms.errors)).toBe(true);
    expect(report).toEqual({ valid: true, files: 5, organization: 'acme', companies: 4, customRoles: 4, users: 31, activeUsers: 30, diagnostics: [] });
  });

  it('keeps control and bidirectional characters out of the raw output', async () => {
    const dir = await writeConfig({ 'org.yaml': 'organization: { key: acme, name: Acme }\nusers:\n  - { email: "a\\u202e@acme.com\\u001b[2J", firstName: A, lastName: A, role: viewer, company: hq }\n' });
    const result = await runRoster(['validate', '--format', 'json', dir]);
    expect(result.code).toBe(1);
    expect(result.stdout).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u202e]/);
    expect(JSON.parse(result.stdout).diagnostics.map((d: { message: string }) => d.message).join('\n')).toContain('\u202e');
  });

  it('refuses another format', async () => {
    const result = await runRoster(['validate', '--format', 'yaml', 'examples/acme'], { cwd: REPO_ROOT });
    expect(result).toMatchObject({ code: 1, stderr: "error: --format must be text or json, not 'yaml'\n" });
  });
});
