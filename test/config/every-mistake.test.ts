/**
 * "Every mistake at once": a configuration holding one mistake of every kind roster reports is validated once, and
 * each mistake is reported at its file:line:col, including the cross-file ones of items the schema also rejects.
 */
import { cp, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT, runRoster, tempDir } from '../support/cli.ts';

const FIXTURE = join(REPO_ROOT, 'test', 'fixtures', 'invalid', 'every-mistake');

/** [where, what]: `where` is the path below the configuration directory with line and column. */
const EXPECTED: readonly (readonly [string, string])[] = [
  // Cross-file checks
  ['org.yaml:4:3', 'organization is defined more than once'],
  ['org.yaml:10:10', "duplicate company key 'hq'"],
  ['org.yaml:16:10', "'admin' is a predefined role"],
  ['org.yaml:22:10', "duplicate role key 'analyst'"],
  ['org.yaml:27:12', "email 'jane@acme.com' is already the email of another user"],
  ['org.yaml:44:48', "formerEmails lists the user's own email"],
  ['org.yaml:45:20', 'users[2].resetPassword: a password reset needs initialPassword'],
  ['org.yaml:51:20', "formerEmails: 'jane@acme.com' is already the email of another user"],
  ['org.yaml:58:30', "users[4].initialPassword.hash: scrypt hash is weaker than OWASP's minimum"],
  // ...of a user whose initialPassword the schema rejects: reported in the same run, not after it is fixed
  ['org.yaml:30:11', "unknown role 'analyts' (known: analyst)"],
  ['org.yaml:31:14', "unknown company 'hr'"],
  ['org.yaml:32:22', 'users[0].initialPassword: plain-text passwords are not allowed'],
  // The schema
  ['org.yaml:4:8', "organization.key: 'Acme Inc' is not a valid key"],
  ['org.yaml:6:19', 'organization.unmanagedUsers: must be deactivate or ignore'],
  ['org.yaml:11:11', 'companies[1].name: must not be empty'],
  ['org.yaml:13:11', 'companies[2].name: must not be blank'],
  ['org.yaml:14:5', "companies[2]: unknown field 'budget' (allowed: key, name)"],
  ['org.yaml:21:36', "roles[1].permissions[1]: unknown permission 'fly_planes'"],
  ['org.yaml:21:48', "roles[1].permissions: 'view_dashboards' is listed twice"],
  ['org.yaml:24:18', 'roles[2].permissions: must be a list, not the text "manage_users"'],
  ['org.yaml:33:5', "users[1]: missing required field 'email'"],
  ['org.yaml:33:5', "users[1]: unknown field 'emial' (did you mean 'email'?)"],
  ['org.yaml:34:16', 'users[1].firstName: must be text, not the number 42'],
  ['org.yaml:35:15', 'users[1].lastName: must be text, not a list'],
  ['org.yaml:38:13', 'users[1].active: must be true or false, not the text "yes"'],
  ['org.yaml:39:12', "users[2].email: 'not-an-email' is not a valid email address"],
  ['org.yaml:40:16', 'users[2].firstName: contains a NUL character'],
  ['org.yaml:41:15', 'users[2].lastName: contains half of a surrogate pair'],
  ['org.yaml:44:48', "users[2].formerEmails[2]: 'not-an-email' is not a valid email address"],
  ['org.yaml:44:34', "users[2].formerEmails: 'old@acme.com' is listed twice"],
  ['org.yaml:48:15', 'users[3].lastName: is longer than 100 characters'],
  ['org.yaml:52:29', 'users[3].initialPassword.env: an environment variable name is letters, digits and underscores'],
  ['org.yaml:64:30', 'users[5].initialPassword.hash: unsupported hash'],
  ['org.yaml:70:22', 'users[6].initialPassword: give exactly one of env, file or hash'],
  ['unreadable/list.yaml:1:1', 'a roster file is a mapping with organization, companies, roles or users at the top level'],
  ['unreadable/no-sections.yaml:1:1', 'the file has no sections'],
  // Files that cannot be read as YAML at all
  ['unreadable/aliases.yaml:1:1', 'aliases expand too far'],
  ['unreadable/binary.yaml:3:14', 'this is not a text file (it contains a NUL byte)'],
  ['unreadable/custom-tag.yaml:2:10', 'roster files use plain YAML values without custom tags'],
  ['unreadable/duplicate-key.yaml:4:5', "duplicate key 'name'"],
  ['unreadable/empty.yaml:1:1', 'the file is empty'],
  ['unreadable/latin1.yaml:3:15', 'invalid UTF-8'],
  ['unreadable/long-value.yaml:3:11', 'a value of 100,002 characters: roster reads none longer than 100,000'],
  ['unreadable/number-key.yaml:4:5', 'mapping keys must be plain strings'],
  ['unreadable/syntax.yaml:4:1', 'YAML syntax error: Missing closing "quote'],
  ['unreadable/tabs.yaml:2:1', 'tabs are not allowed as indentation'],
  ['unreadable/two-documents.yaml:2:1', 'a roster file holds one YAML document'],
];

describe('validate reports every mistake in one run', () => {
  it('one mistake of every kind, each at its file:line:col', async () => {
    const dir = await tempDir();
    await cp(FIXTURE, dir, { recursive: true });
    // Too large to keep in the repository: a value over the length roster reads at all.
    await writeFile(join(dir, 'unreadable', 'long-value.yaml'), `companies:\n  - key: ops\n    name: "${'x'.repeat(100_000)}"\n`);
    const result = await runRoster(['validate', '.'], { cwd: dir });
    expect(result.code).toBe(1);
    const lines = result.stderr.split('\n');
    for (const [where, what] of EXPECTED) {
      expect(lines.some((line) => line.startsWith(`${where}: `) && line.includes(what)), `${where}: ${what}`).toBe(true);
    }
    // Nothing else: each problem once (related places are indented under their problem).
    const problems = lines.filter((line) => /^\S+:\d+:\d+: /.test(line));
    expect(problems).toHaveLength(EXPECTED.length);
    expect(result.stderr).toContain(`\n${EXPECTED.length} problems found; nothing was changed.\n`);
  });

  it('a file that cannot be parsed hides only the names it might declare', async () => {
    const dir = await tempDir();
    await writeFile(join(dir, 'org.yaml'), 'organization: { key: acme, name: Acme }\ncompanies:\n  - { key: hq, name: HQ }\n');
    // Broken, and it mentions the company 'lab': a user of 'lab' may be fine once it is fixed; one of 'hr' is not.
    await writeFile(join(dir, 'broken.yaml'), 'companies:\n  - key: lab\n    name: "Lab\n');
    await writeFile(
      join(dir, 'users.yaml'),
      'users:\n' +
        '  - { email: a@acme.com, firstName: A, lastName: A, role: viewer, company: lab }\n' +
        '  - { email: b@acme.com, firstName: B, lastName: B, role: viewer, company: hr }\n',
    );
    const result = await runRoster(['validate', '.'], { cwd: dir });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("users.yaml:3:76: unknown company 'hr'");
    expect(result.stderr).not.toContain("unknown company 'lab'");
    expect(result.stderr).toContain('broken.yaml:');
  });
});
