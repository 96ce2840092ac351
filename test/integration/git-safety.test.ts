/**
 * roster asks Git which commit the configuration is at, for the audit trail; the repository's own settings must not
 * make that run a command. A repository whose fsmonitor, hooks and clean filter each create a marker file: plain
 * `git status` creates them all (the attack works), `roster apply` through the real executable creates none, and
 * still records the commit.
 */
import { execFileSync } from 'node:child_process';
import { chmod, readdir, rm, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { sql } from '../../src/db/sql.ts';
import { spawnRoster, tempDir, writeConfig } from '../support/cli.ts';
import { useTestDatabase, type TestDatabase } from '../support/database.ts';

const database = useTestDatabase();
let db: TestDatabase;
beforeAll(() => {
  db = database();
});

const git = (dir: string, ...args: string[]) =>
  execFileSync('git', ['-c', 'user.name=Test', '-c', 'user.email=test@example.com', '-c', 'init.defaultBranch=main', ...args], {
    cwd: dir,
    env: { PATH: process.env.PATH, HOME: dir, GIT_CONFIG_NOSYSTEM: '1' },
    encoding: 'utf8',
  });

describe('the Git commit of the configuration', () => {
  it('is read without running any command the repository configures', async () => {
    const markers = await tempDir('roster-pwned-');
    const dir = await writeConfig({
      'org.yaml': 'organization: { key: gitsafe, name: Git Safe }\ncompanies: [{ key: hq, name: HQ }]\n',
      '.gitattributes': '*.yaml filter=evil\n',
    });
    git(dir, 'init', '-q');
    git(dir, 'add', '-A');
    git(dir, 'commit', '-q', '-m', 'configuration');
    const head = git(dir, 'rev-parse', 'HEAD').trim();
    git(dir, 'config', 'core.fsmonitor', `touch ${join(markers, 'fsmonitor')}; true`);
    git(dir, 'config', 'filter.evil.clean', `touch ${join(markers, 'filter')}; cat`);
    await writeFile(join(dir, '.git', 'hooks', 'post-index-change'), `#!/bin/sh\ntouch ${join(markers, 'hook')}\n`);
    await chmod(join(dir, '.git', 'hooks', 'post-index-change'), 0o755);
    const makeStatDirty = () => utimes(join(dir, 'org.yaml'), new Date(), new Date(Date.now() + 5_000));

    // The attack works: a plain `git status` runs all three.
    await makeStatDirty();
    git(dir, 'status', '--porcelain');
    expect((await readdir(markers)).sort()).toEqual(['filter', 'fsmonitor', 'hook']);
    for (const name of await readdir(markers)) await rm(join(markers, name));

    await makeStatDirty();
    const applied = await spawnRoster(['apply', dir, '--yes', '--min-admins', '0'], { cwd: dir, env: { DATABASE_URL: db.url } });
    expect(applied.code, applied.stderr).toBe(0);
    expect(await readdir(markers)).toEqual([]);
    const recorded = await db.pool.oneFirst(sql.unsafe`
      select a.git_commit from audit_applies a join organizations o on o.id = a.organization_id where o.key = 'gitsafe'`);
    expect(recorded).toBe(head);
  }, 120_000);
});
