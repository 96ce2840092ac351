/**
 * Sizes refused before parsing, and many files read within the open-file limit: real files in temporary
 * directories, through the real executable where the size of the input is the point.
 */
import { spawn, execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { mkdir, open, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { mayHoldLongScalar } from '../../src/config/size-limits.ts';
import { BIN, REPO_ROOT, runRoster, spawnRoster, tempDir, writeConfig } from '../support/cli.ts';

const ORGANIZATION = 'organization: { key: acme, name: Acme }\ncompanies:\n  - { key: hq, name: HQ }\n';
const LIMIT = 100_000;
const long = (length: number, char = 'x') => char.repeat(length);

describe('values too long to be valid are refused before parsing', () => {
  it('a 60 MB quoted value: one positioned message from the real executable', async () => {
    const dir = await writeConfig({ 'org.yaml': `organization:\n  key: acme\n  name: "${long(60_000_000)}"\n` });
    const result = await spawnRoster(['validate', '.'], { cwd: dir, timeoutMs: 300_000 });
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      'org.yaml:3:9: a value of 60,000,002 characters: roster reads none longer than 100,000 (no field allows more than 4,096); shorten or remove it\n' +
        '\n1 problem found; nothing was changed.\n',
    );
  }, 320_000);

  // Each shape a long scalar can take, in block and flow style, as a value and as a key.
  const shapes: readonly (readonly [string, string, string])[] = [
    ['plain', `users:\n  - email: ${long(LIMIT + 1)}\n`, '2:12'],
    ['double-quoted over many lines', `users:\n  - email: "${`${long(99)}\n      `.repeat(1_100)}"\n`, '2:12'],
    ['single-quoted', `users:\n  - email: '${long(LIMIT)}'\n`, '2:12'],
    ['literal block', `users:\n  - email: |\n${`      ${long(94)}\n`.repeat(1_100)}`, '2:12'],
    ['folded block', `organization:\n  key: acme\n  name: >-\n${`    ${long(96)}\n`.repeat(1_100)}`, '3:9'],
    ['plain over many lines', `users:\n  - email: start\n${`      ${long(94)}\n`.repeat(1_100)}`, '2:12'],
    ['a key', `users:\n  - ${long(LIMIT + 1)}: 1\n`, '2:5'],
    ['in a flow mapping', `users: [{ email: ${long(LIMIT + 1)} }]\n`, '1:18'],
    ['plain over many lines in a flow sequence', `users: [\n  ${`${long(98)}\n  `.repeat(1_100)}]\n`, '2:3'],
  ];
  it.each(shapes)('%s', async (_, text, position) => {
    const dir = await writeConfig({ 'org.yaml': ORGANIZATION, 'long.yaml': text });
    const result = await runRoster(['validate', '.'], { cwd: dir });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(new RegExp(`^long\\.yaml:${position}: a value of [\\d,]+ characters: roster reads none longer than 100,000`));
    expect(result.stderr).toContain('\n1 problem found;');
  });

  it('the scan lets real files through without a second look', async () => {
    const dir = await tempDir();
    // 20,000 users: block style, flow style on one line per user, and all of it as one line of JSON.
    const users = Array.from({ length: 20_000 }, (_, i) => ({ email: `u${i}@acme.com`, firstName: `First ${i}`, lastName: `Last ${i}`, role: 'viewer', company: 'hq' }));
    const block = `users:\n${users.map((u) => `  - email: ${u.email}\n    firstName: ${u.firstName}\n    lastName: ${u.lastName}\n    role: viewer\n    company: hq\n`).join('')}`;
    const flow = `users:\n${users.map((u) => `  - { email: ${u.email}, firstName: "${u.firstName}", lastName: '${u.lastName}', role: viewer, company: hq }\n`).join('')}`;
    const json = JSON.stringify({ users });
    const withDescriptions = `roles:\n${Array.from({ length: 200 }, (_, i) => `  - key: r${i}\n    name: R\n    description: |\n${'      a line of a long description\n'.repeat(30)}    permissions: []\n`).join('')}`;
    const examples = readdirSync(join(REPO_ROOT, 'examples', 'acme'), { recursive: true, encoding: 'utf8' })
      .filter((name) => name.endsWith('.yaml'))
      .map((name) => readFileSync(join(REPO_ROOT, 'examples', 'acme', name), 'utf8'));
    expect(examples.length).toBeGreaterThan(1);
    for (const text of [block, flow, json, withDescriptions, ...examples.map((example) => example.repeat(Math.ceil(LIMIT / example.length) + 1))]) {
      expect(mayHoldLongScalar(text, LIMIT)).toBe(false);
    }
    await writeFile(join(dir, 'org.yaml'), ORGANIZATION);
    await writeFile(join(dir, 'users.yaml'), json);
    expect((await runRoster(['validate', '.'], { cwd: dir })).stderr).toContain('Valid: 2 files');
  });
});

describe('files roster does not read', () => {
  it('a file larger than 256 MiB is refused before it is read', async () => {
    const dir = await writeConfig({ 'org.yaml': ORGANIZATION });
    // A sparse file: its size is real, its blocks are not written.
    const handle = await open(join(dir, 'huge.yaml'), 'w');
    await handle.truncate(300 * 1024 * 1024);
    await handle.close();
    const result = await runRoster(['validate', '.'], { cwd: dir });
    expect(result).toMatchObject({
      code: 1,
      stderr: 'huge.yaml:1:1: the file is 300 MiB, more than roster reads (256 MiB): split it into several files\n\n1 problem found; nothing was changed.\n',
    });
  });

  it('a FIFO named on the command line is refused at once instead of waiting for a writer', async () => {
    const dir = await writeConfig({ 'org.yaml': ORGANIZATION });
    execFileSync('mkfifo', [join(dir, 'pipe.yaml')]);
    const result = await runRoster(['validate', 'org.yaml', 'pipe.yaml'], { cwd: dir });
    expect(result).toMatchObject({ code: 1, stderr: 'pipe.yaml:1:1: not a regular file: roster reads YAML files\n\n1 problem found; nothing was changed.\n' });
  });
});

describe('many files', () => {
  it('10,000 files validate under an open-file limit of 256 (the real executable)', async () => {
    const dir = await writeConfig({ 'organization.yaml': ORGANIZATION });
    for (let batch = 0; batch < 100; batch++) {
      await mkdir(join(dir, 'users', `b${batch}`), { recursive: true });
      await Promise.all(
        Array.from({ length: 100 }, (_, k) => {
          const i = batch * 100 + k;
          return writeFile(join(dir, 'users', `b${batch}`, `u${i}.yaml`), `users:\n  - { email: u${i}@acme.com, firstName: U, lastName: "${i}", role: viewer, company: hq }\n`);
        }),
      );
    }
    const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
    const result = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
      const child = spawn('bash', ['-c', 'ulimit -n 256 && exec "$@"', 'bash', process.execPath, '--import', tsx, BIN, 'validate', '.'], {
        cwd: dir,
        env: { PATH: process.env.PATH, HOME: process.env.HOME },
        stdio: ['ignore', 'pipe', 'pipe'],
        timeout: 300_000,
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d) => (stdout += d));
      child.stderr.on('data', (d) => (stderr += d));
      child.on('error', reject);
      child.on('close', (code) => resolve({ code, stdout, stderr }));
    });
    expect(result.stderr).not.toContain('EMFILE');
    expect(result).toMatchObject({ code: 0, stderr: 'Valid: 10001 files, organization acme, 1 company, 0 custom roles, 10000 users (10000 active).\n' });
  }, 320_000);
});
