/**
 * roster diff through the real executable, with no database at all (no DATABASE_URL, CI set so no embedded one either):
 * two paths, and the working tree against a Git revision read without checking it out.
 */
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { spawnRoster, tempDir, writeConfig } from '../support/cli.ts';

const run = promisify(execFile);
const ORGANIZATION = { key: 'acme', name: 'Acme Inc.' };
const COMPANIES = [{ key: 'hq', name: 'Headquarters' }];
const person = (name: string, role = 'viewer') => ({ email: `${name}@acme.test`, firstName: name, lastName: 'Doe', role, company: 'hq' });

const BASE = { organization: ORGANIZATION, companies: COMPANIES, users: [person('alice', 'admin'), person('bob'), person('carol'), person('dave')] };
const HEAD = {
  organization: ORGANIZATION,
  companies: COMPANIES,
  roles: [{ key: 'analyst', name: 'Analyst', permissions: ['view_dashboards', 'run_workflows'] }],
  users: [
    person('alice', 'admin'),
    person('bob', 'admin'), // privilege gained
    { ...person('carol'), email: 'carol.new@acme.test', formerEmails: ['carol@acme.test'] }, // renamed
    person('erin', 'analyst'), // created; dave removed
  ],
};
const NO_DATABASE = { CI: 'true', HOME: '/nonexistent' };

interface DiffJson {
  review: string;
  creates: { type: string; key: string }[];
  edits: { key: string; fields: Record<string, { before: unknown; after: unknown }> }[];
  renames: { key: string; fields: Record<string, { before: unknown; after: unknown }> }[];
  removals: { type: string; action: string; key: string }[];
  sensitive: { kind: string; key: string }[];
  guardViolations: { guard: string }[];
}

describe('roster diff', () => {
  it('compares two paths without a database: creates, edits, renames, removals and sensitive changes, labelled configuration-only', async () => {
    const root = await tempDir();
    await writeConfig({ 'old/acme.yaml': BASE, 'new/acme.yaml': HEAD }, root);
    const text = await spawnRoster(['diff', 'old', 'new'], { cwd: root, env: NO_DATABASE });
    expect(text.stderr).toBe('');
    expect(text.code).toBe(0);
    expect(text.stdout).toContain('roster diff for organization acme: configuration-only review (no database)');
    expect(text.stdout).toContain('Sensitive changes (2): review these\n  ! bob@acme.test moves to role admin, which grants manage_users, manage_roles, manage_companies\n  ! login changes from carol@acme.test to carol.new@acme.test');
    expect(text.stdout).toMatch(/Renamed \(formerEmails\) \(1\)\n {2}user carol\.new@acme\.test\n {6}email: carol@acme\.test → carol\.new@acme\.test/);
    expect(text.stdout).toMatch(/Removed \(users deactivated, companies and roles deleted\) \(1\)\n {2}user dave@acme\.test/);

    const json = await spawnRoster(['diff', 'old', 'new', '--format', 'json'], { cwd: root, env: NO_DATABASE });
    const diff = JSON.parse(json.stdout) as DiffJson;
    expect(diff.review).toBe('configuration-only');
    expect(diff.creates.map((c) => `${c.type} ${c.key}`)).toEqual(['role analyst', 'user erin@acme.test']);
    expect(diff.edits.map((c) => [c.key, c.fields])).toEqual([['bob@acme.test', { role: { before: 'viewer', after: 'admin' } }]]);
    expect(diff.renames.map((c) => c.key)).toEqual(['carol.new@acme.test']);
    expect(diff.removals.map((c) => `${c.action} ${c.key}`)).toEqual(['deactivate dave@acme.test']);
    expect(diff.sensitive.map((s) => s.kind)).toEqual(['privileged-user', 'email-change']);

    const markdown = await spawnRoster(['diff', 'old', 'new', '--format', 'markdown'], { cwd: root, env: NO_DATABASE });
    expect(markdown.stdout).toContain('> **configuration-only review (no database)**: old → new.');
  });

  it('compares the working tree with a Git revision, read with git show (the checkout is left as it is), and judges guard rails on the files', async () => {
    const repo = await tempDir();
    await writeConfig({ 'org/acme.yaml': BASE, 'README.md': 'not YAML\n' }, repo);
    const git = (...args: string[]) => run('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.com', ...args], { cwd: repo });
    await git('init', '-q', '-b', 'main');
    await git('add', '.');
    await git('commit', '-q', '-m', 'base');
    await writeConfig({ 'org/acme.yaml': HEAD }, repo);
    const before = await readFile(join(repo, 'org/acme.yaml'), 'utf8');

    const result = await spawnRoster(['diff', 'org', '--base', 'main', '--format', 'json'], { cwd: repo, env: NO_DATABASE });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const diff = JSON.parse(result.stdout) as DiffJson & { base: string; head: string };
    expect([diff.base, diff.head]).toEqual(['main:org', 'working tree (org)']);
    expect(diff.renames.map((c) => c.key)).toEqual(['carol.new@acme.test']);
    expect(await readFile(join(repo, 'org/acme.yaml'), 'utf8')).toBe(before);
    expect((await git('status', '--porcelain')).stdout).toBe(' M org/acme.yaml\n');

    const guarded = await spawnRoster(['diff', 'org', '--base', 'main', '--max-deactivations', '0'], { cwd: repo, env: NO_DATABASE });
    expect(guarded.code).toBe(1);
    expect(guarded.stdout).toMatch(/Guard rails broken \(1\): apply would refuse\n {2}✗ .*dave@acme\.test.*\(override: --max-deactivations/);

    const unknown = await spawnRoster(['diff', 'org', '--base', 'no-such-branch'], { cwd: repo, env: NO_DATABASE });
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/^error: --base no-such-branch: no such Git revision here/);
  });
});
