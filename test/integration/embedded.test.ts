/**
 * The two-command quick start: with no DATABASE_URL, roster runs against an embedded PostgreSQL under ./.roster/,
 * as root and as an ordinary user, through the real executable.
 */
import { chmod, chown, cp, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT, spawnRoster, tempDir } from '../support/cli.ts';

const NOBODY = 65534;
const asRoot = process.getuid?.() === 0;

async function quickStart(options: { uid?: number; gid?: number } = {}) {
  const dir = await tempDir('roster-embedded-');
  await cp(join(REPO_ROOT, 'examples'), join(dir, 'examples'), { recursive: true });
  if (options.uid !== undefined) {
    await chmod(dir, 0o755);
    await chown(dir, options.uid, options.gid ?? options.uid);
  }
  const env = { HOME: dir };
  const apply = await spawnRoster(['apply', 'examples/acme', '--yes'], { cwd: dir, env, ...options });
  const plan = await spawnRoster(['plan', 'examples/acme', '--detailed-exitcode'], { cwd: dir, env, ...options });
  return { dir, apply, plan };
}

describe('the embedded database', () => {
  it(`creates the example organization and then plans no changes (as ${asRoot ? 'root' : 'this user'})`, async () => {
    const { apply, plan } = await quickStart();
    expect(apply.stderr).toContain('Using the embedded PostgreSQL in');
    expect(apply.stderr).toContain('stopped on exit');
    expect(apply.stdout).toContain('Plan: 40 to create, 0 to update, 0 to deactivate, 0 to reactivate, 0 to delete.');
    expect(apply.stderr).toContain('Applied to organization acme.');
    expect(apply.code).toBe(0);
    expect(plan.stdout).toContain('No changes. The database matches the configuration.');
    expect(plan.code).toBe(0);
  });

  // Running as another user needs root to switch to it; as an ordinary user the test above already is that case.
  it.runIf(asRoot)('works for an ordinary user too', async () => {
    const { apply, plan } = await quickStart({ uid: NOBODY, gid: NOBODY });
    expect(apply.stderr).toContain('Applied to organization acme.');
    expect(apply.code).toBe(0);
    expect(plan.code).toBe(0);
  });

  it('refuses to share the data directory with a running roster process', async () => {
    const dir = await tempDir('roster-embedded-lock-');
    await cp(join(REPO_ROOT, 'examples'), join(dir, 'examples'), { recursive: true });
    const { mkdir } = await import('node:fs/promises');
    await mkdir(join(dir, '.roster'));
    await writeFile(join(dir, '.roster', 'embedded.lock'), String(process.pid));
    const result = await spawnRoster(['plan', 'examples/acme'], { cwd: dir });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`is in use by roster process ${process.pid}`);
  });
});
