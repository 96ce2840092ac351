import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { COMMANDS, synopsis } from '../../src/cli/definition.ts';
import { helpWidth, renderHelp } from '../../src/cli/help.ts';
import { parseCommandLine } from '../../src/cli/parse.ts';
import { PERMISSIONS } from '../../src/model/permissions.ts';
import { REPO_ROOT, runRoster, spawnRoster, writeConfig } from '../support/cli.ts';

describe('the command line', () => {
  it('prints help with every command, and per-command help with an example', async () => {
    const general = await runRoster(['--help']);
    expect(general.code).toBe(0);
    for (const command of COMMANDS.map((c) => c.name)) {
      expect(general.stdout).toContain(`  roster ${command}`);
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

  it('completes option values and arguments, also after npx', async () => {
    const { execFileSync } = await import('node:child_process');
    const script = (await runRoster(['completion', 'bash'])).stdout;
    const complete = (words: string) =>
      execFileSync('bash', ['-c', `${script}\nCOMP_WORDS=(${words}); COMP_CWORD=$((\${#COMP_WORDS[@]} - 1)); _roster; echo "\${COMPREPLY[*]}"`]).toString().trim();
    expect(complete("roster plan --format ''")).toBe('text json markdown');
    expect(complete('roster drift --format = m')).toBe('markdown');
    expect(complete('npx roster pl')).toBe('plan');
    expect(complete('npx roster apply --lock')).toBe('--lock-timeout');
    expect(complete("roster db ''")).toBe('serve shell');
    expect(complete("roster completion ''")).toBe('bash zsh fish');
    expect(complete("roster plan --min-admins ''")).toBe('');
    expect(complete('npx eslint')).toBe('');
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

describe('one definition of the command line', () => {
  it.each([
    [['plna'], "error: unknown command 'plna'; did you mean 'plan'?"],
    [['plan', '--detailed-exit-code'], "error: unknown option '--detailed-exit-code' for roster plan; did you mean '--detailed-exitcode'?"],
    [['plan', '--format', 'yml'], "error: --format must be text, json or markdown, not 'yml'"],
  ])('suggests the right word for %j and exits 1, as a real executable', async (argv, message) => {
    const result = await spawnRoster(argv, { cwd: REPO_ROOT });
    expect(result.stderr.startsWith(message), result.stderr).toBe(true);
    expect(result.stdout).toBe('');
    expect(result.code).toBe(1);
  });

  it.each([
    [['drift', '--format=jsn'], "error: --format must be text, json or markdown, not 'jsn'; did you mean 'json'?"],
    [['apply', '--lock-timeout'], 'error: --lock-timeout needs a value: SECONDS'],
    [['export'], 'error: export needs --out DIR'],
    [['plan', '-x'], "error: unknown option '-x' for roster plan"],
    [['plan', '--yes'], "error: unknown option '--yes' for roster plan"],
    [['--verison'], "error: unknown option '--verison'; did you mean '--version'?"],
    [['db', 'serv'], "error: db takes serve or shell, not 'serv'"],
  ])('refuses %j with one message and the usage', async (argv, message) => {
    const result = await runRoster(argv);
    expect(result.stderr.startsWith(message), result.stderr).toBe(true);
    expect(result.code).toBe(1);
  });

  it('prints the version for -v and --version', async () => {
    const { version } = JSON.parse(readFileSync(`${REPO_ROOT}/package.json`, 'utf8'));
    for (const flag of ['-v', '--version']) expect(await runRoster([flag])).toMatchObject({ code: 0, stdout: `${version}\n`, stderr: '' });
  });

  it('keeps the README synopsis equal to the definition, and to what each --help shows', async () => {
    const readme = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8');
    const block = /## Commands\n\n```\n([\s\S]*?)\n```/.exec(readme)?.[1];
    expect(block, 'README: the code block under "## Commands" is this synopsis').toBe(synopsis());
    const flat = (text: string) => text.replace(/\s+/g, ' ').trim();
    for (const command of COMMANDS) {
      const help = await runRoster([command.name, '--help']);
      expect(help.code).toBe(0);
      const usage = help.stdout.slice(0, help.stdout.indexOf('\n\n'));
      const line = block!.split(/\n(?=roster )/).find((entry) => entry.startsWith(`roster ${command.name} `));
      expect(flat(usage), command.name).toBe(`usage: ${flat(line!)}`);
    }
  });

  it('takes --lock-timeout from ROSTER_LOCK_TIMEOUT unless the command line gives it, and names the variable when it is wrong', async () => {
    expect(await parseCommandLine(['apply', '--lock-timeout', '5'], { ROSTER_LOCK_TIMEOUT: '9' })).toMatchObject({ values: { 'lock-timeout': '5' } });
    expect(await parseCommandLine(['apply'], { ROSTER_LOCK_TIMEOUT: '9' })).toMatchObject({ values: { 'lock-timeout': '9' } });
    const dir = await writeConfig({ 'org.yaml': 'organization: { key: acme, name: Acme }\n' });
    const result = await runRoster(['apply', 'org.yaml', '--yes'], { cwd: dir, env: { ROSTER_LOCK_TIMEOUT: 'soon' } });
    expect(result.stderr).toBe("error: --lock-timeout takes a number of seconds, not 'soon' (from $ROSTER_LOCK_TIMEOUT)\n");
    expect(result.code).toBe(1);
  });

  it('wraps help to the terminal', async () => {
    for (const width of [60, 100]) {
      const help = await renderHelp('apply', width);
      const long = help.split('\n').filter((line) => line.length > width && !line.includes('roster apply examples/acme'));
      expect(long).toEqual([]);
    }
    expect(helpWidth(undefined)).toBe(80);
  });

  it('lists every option of every command in its help, with its environment variable', async () => {
    for (const command of COMMANDS) {
      const help = await renderHelp(command.name, 200);
      for (const option of command.options) {
        expect(help, `${command.name} --${option.name}`).toContain(`--${option.name}`);
        const variable = option.env ?? option.envNote;
        if (variable) expect(help).toContain(`$${variable}`);
      }
    }
  });
});

describe('colour', () => {
  it('follows FORCE_COLOR without a terminal, and NO_COLOR (or --no-color) over it', async () => {
    const { chooseStyle, COLOR, PLAIN } = await import('../../src/render/style.ts');
    expect(chooseStyle({ isTTY: false, env: {} })).toBe(PLAIN);
    expect(chooseStyle({ isTTY: false, env: { FORCE_COLOR: '1' } })).toBe(COLOR);
    expect(chooseStyle({ isTTY: true, env: { FORCE_COLOR: '0' } })).toBe(PLAIN);
    expect(chooseStyle({ isTTY: true, env: { FORCE_COLOR: '1', NO_COLOR: '1' } })).toBe(PLAIN);
  });
});
