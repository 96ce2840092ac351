import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { PERMISSIONS } from '../../src/model/permissions.ts';
import { REPO_ROOT, runRoster, spawnRoster } from '../support/cli.ts';

describe('the command line', () => {
  it('prints help with every command, and per-command help with an example', async () => {
    const general = await runRoster(['--help']);
    expect(general.code).toBe(0);
    for (const command of ['validate', 'plan', 'apply', 'migrate']) {
      expect(general.stdout).toContain(`  ${command} `);
      const help = await runRoster([command, '--help']);
      expect(help.code).toBe(0);
      expect(help.stdout).toContain(`usage: roster ${command}`);
      expect(help.stdout).toMatch(/Examples?:\n  (\S+=\S+ )?roster /);
    }
  });

  it('exits 1 with usage when called without a command', async () => {
    const result = await runRoster([]);
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('usage: roster <command>');
  });

  it('prints its version', async () => {
    const { version } = JSON.parse(readFileSync(`${REPO_ROOT}/package.json`, 'utf8'));
    expect(await runRoster(['--version'])).toMatchObject({ code: 0, stdout: `${version}\n` });
  });

  it.each([
    [['frob'], "error: unknown command 'frob'"],
    [['plan', '--bogus'], "error: unknown option '--bogus'"],
    [['plan', '--format', 'yaml'], "error: --format must be text, json or markdown, not 'yaml'"],
    [['migrate', 'some/path'], 'error: migrate takes no paths'],
  ])('refuses %j clearly', async (argv, message) => {
    const result = await runRoster(argv);
    expect(result.code).toBe(1);
    expect(result.stderr.startsWith(message)).toBe(true);
  });

  it('runs as a real executable from the sources, with no build step', async () => {
    const result = await spawnRoster(['validate', 'examples/acme'], { cwd: REPO_ROOT });
    expect(result).toMatchObject({ code: 0, stdout: '' });
    expect(result.stderr).toContain('Valid: 5 files');
  });

  it('keeps the permission catalog in step with the schema', () => {
    const schema = JSON.parse(readFileSync(`${REPO_ROOT}/schema/roster.schema.json`, 'utf8'));
    expect(schema.definitions.permission.enum).toEqual([...PERMISSIONS]);
  });
});

describe('GitHub Actions', () => {
  it('turns validation errors into escaped ::error annotations', async () => {
    const { writeConfig } = await import('../support/cli.ts');
    const dir = await writeConfig({ 'a,b:c%.yaml': 'organization: { key: Bad Key, name: x }\nusers: 5\n' });
    const result = await runRoster(['validate', 'a,b:c%.yaml'], { cwd: dir, env: { GITHUB_ACTIONS: 'true' } });
    expect(result.code).toBe(1);
    expect(result.stdout.split('\n').filter(Boolean)).toEqual([
      "::error file=a%2Cb%3Ac%25.yaml,line=1,col=22,title=roster::organization.key: 'Bad Key' is not a valid key; use lowercase letters, digits and single dashes (e.g. acme-us)",
      '::error file=a%2Cb%3Ac%25.yaml,line=2,col=8,title=roster::users: must be a list, not the number 5',
    ]);
    expect(result.stderr).toContain('a,b:c%.yaml:1:22: organization.key');
  });

  it('escapes newlines and percent signs in messages', async () => {
    const { errorAnnotations } = await import('../../src/cli/github.ts');
    expect(
      errorAnnotations([{ position: { file: 'x.yaml', line: 3, col: 4 }, message: '100% wrong', related: [{ position: { file: 'y.yaml', line: 1, col: 1 }, message: 'first here' }] }]),
    ).toBe('::error file=x.yaml,line=3,col=4,title=roster::100%25 wrong%0Ay.yaml:1:1: first here\n');
  });

  it('prints no annotations outside GitHub Actions', async () => {
    const result = await runRoster(['validate', 'test/fixtures/invalid/tabs'], { cwd: REPO_ROOT });
    expect(result.stdout).toBe('');
  });
});

describe('shell completion', () => {
  it.each(['bash', 'zsh', 'fish'])('offers every command and its flags in %s', async (shell) => {
    const result = await runRoster(['completion', shell]);
    expect(result.code).toBe(0);
    for (const word of ['validate', 'plan', 'apply', 'migrate', 'drift', 'export', 'completion', 'detailed-exitcode', 'max-deactivations', 'users-by-company', 'write']) {
      expect(result.stdout).toContain(word);
    }
  });

  it('is valid bash', async () => {
    const { execFileSync } = await import('node:child_process');
    const script = (await runRoster(['completion', 'bash'])).stdout;
    const out = execFileSync('bash', ['-c', `${script}\nCOMP_WORDS=(roster plan --det); COMP_CWORD=2; _roster; echo "\${COMPREPLY[@]}"`]).toString();
    expect(out.trim()).toBe('--detailed-exitcode');
  });
});

describe('progress', () => {
  it('shows a status line on a terminal, and nothing in a pipe or in CI', async () => {
    const { createProgress } = await import('../../src/cli/progress.ts');
    const written: string[] = [];
    const io = (isTTY: boolean, env: Record<string, string>) => ({
      stdout: { write: () => true },
      stderr: { write: (s: string) => written.push(s), isTTY },
      stdin: process.stdin,
      env,
      cwd: '.',
    });
    const terminal = createProgress(io(true, {}));
    terminal.start('read');
    terminal.clear();
    expect(written).toEqual(['\r\u001b[2KReading the organization from the database…', '\r\u001b[2K']);
    written.length = 0;
    for (const quiet of [createProgress(io(false, {})), createProgress(io(true, { CI: 'true' }))]) {
      quiet.start('read');
      quiet.clear();
    }
    expect(written).toEqual([]);
  });
});
