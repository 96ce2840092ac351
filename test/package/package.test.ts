/**
 * roster as a team installs it: `npm pack` (which builds dist/ from the sources), the tarball installed into a fresh
 * consumer project (a copy of examples/your-repo), a strict TypeScript consumer of the library, and the installed
 * `npx roster` validating and planning against a real PostgreSQL database; then the same as an unprivileged user
 * with the consumer's node_modules read-only.
 */
import { execFile } from 'node:child_process';
import { chmod, chown, cp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { existsSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, tempDir } from '../support/cli.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';

const NOBODY = 65534;
const asRoot = process.getuid?.() === 0;
const TSC = join(REPO_ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
/** Each test runs several processes (npx, tsc) on a machine that may be busy. */
const SLOW = 240_000;

interface Result {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a command to completion; never rejects for a non-zero exit (the caller asserts on it). */
function exec(command: string, args: readonly string[], options: { cwd: string; env?: Record<string, string | undefined>; uid?: number; gid?: number }): Promise<Result> {
  return new Promise((resolve, reject) => {
    execFile(
      command,
      args,
      {
        cwd: options.cwd,
        // A clean environment: none of the npm_* variables of the `npm test` running this file.
        env: { PATH: process.env.PATH, HOME: process.env.HOME, ...options.env },
        uid: options.uid,
        gid: options.gid,
        maxBuffer: 64 * 1024 * 1024,
        timeout: 240_000,
      },
      (error, stdout, stderr) => {
        if (error && typeof error.code !== 'number') reject(error);
        else resolve({ code: typeof error?.code === 'number' ? error.code : 0, stdout, stderr });
      },
    );
  });
}

/** A consumer of the library under strict NodeNext: it type-checks against dist/*.d.ts and runs as CommonJS (require of ESM). */
const CONSUMER_TS = `import { ConfigError, formatDiagnostic, hashPassword, loadConfig, PERMISSIONS, plan, renderPlanJson, renderPlanMarkdown, renderPlanText, verifyPassword } from 'roster';
import type { Change, DriftReport, Plan } from 'roster';

function describeChange(change: Change): string {
  switch (change.type) {
    case 'organization':
    case 'company':
    case 'role':
    case 'user':
      return \`\${change.action} \${change.type} \${change.key}\`;
    default: {
      const unreachable: never = change;
      return unreachable;
    }
  }
}

function driftCount(report: DriftReport | null): number {
  return report === null ? 0 : report.items.length;
}

async function main(): Promise<void> {
  const config = await loadConfig({ paths: ['org'], cwd: process.cwd() });
  const result: Plan = plan({ desired: config.state, actual: null });
  console.log(result.changes.map(describeChange).join('\\n'));
  console.log(\`summary \${result.summary.create} \${JSON.parse(renderPlanJson(result)).summary.create} \${renderPlanText(result).includes('Plan: ')} \${renderPlanMarkdown(result).length > 0}\`);
  try {
    await loadConfig({ paths: ['broken.yaml'], cwd: process.cwd() });
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    console.log(\`invalid \${formatDiagnostic(error.diagnostics[0]!)}\`);
  }
  const hash = await hashPassword('correct horse battery staple');
  console.log(\`passwords \${await verifyPassword('correct horse battery staple', hash)} \${await verifyPassword('nope', hash)}\`);
  console.log(\`permissions \${PERMISSIONS.length > 0} drift \${driftCount(null)}\`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
`;

let work: string;
let consumer: string;
let packed: { filename: string; files: { path: string }[] };
let install: Result;
let database: TestDatabase;

beforeAll(async () => {
  work = await tempDir('roster-package-');
  await chmod(work, 0o755); // reachable by the unprivileged user below
  // npm pack runs prepack: a clean build of dist/ from the sources.
  const pack = await exec('npm', ['pack', '--json', '--pack-destination', work], { cwd: REPO_ROOT });
  expect(pack.code, pack.stderr).toBe(0);
  packed = JSON.parse(pack.stdout.slice(pack.stdout.search(/^\[/m)))[0];
  consumer = join(work, 'consumer');
  const notInstalled = (from: string) => (source: string) => !/(^|[\\/])(node_modules|\.roster)([\\/]|$)/.test(relative(from, source));
  const yourRepo = join(REPO_ROOT, 'examples', 'your-repo');
  const acme = join(REPO_ROOT, 'examples', 'acme');
  await cp(yourRepo, consumer, { recursive: true, filter: notInstalled(yourRepo) });
  await cp(acme, join(consumer, 'acme'), { recursive: true, filter: notInstalled(acme) });
  install = await exec('npm', ['install', '--save-dev', join(work, packed.filename), '--prefer-offline', '--no-audit', '--no-fund'], { cwd: consumer });
  expect(install.code, install.stderr).toBe(0);
  database = await createTestDatabase({ migrated: false });
}, 600_000);

afterAll(async () => {
  await database?.drop();
  if (work) {
    if (existsSync(join(consumer, 'node_modules'))) await exec('chmod', ['-R', 'u+w', join(consumer, 'node_modules')], { cwd: work });
    await rm(work, { recursive: true, force: true });
  }
});

describe('the npm package', () => {
  it('ships only the compiled code, the schemas, the migrations, the README and the licence', () => {
    const paths = packed.files.map((file) => file.path);
    const allowed = /^(dist\/.+\.(js|d\.ts|js\.map|d\.ts\.map)|schema\/[\w.-]+\.json|src\/db\/migrations\/\d{4}_\w+\.sql|README\.md|LICENSE|package\.json)$/;
    expect(paths.filter((path) => !allowed.test(path))).toEqual([]);
    for (const required of ['dist/cli/bin.js', 'dist/index.js', 'dist/index.d.ts', 'dist/config/parse-worker.js', 'schema/roster.schema.json', 'LICENSE', 'README.md']) {
      expect(paths).toContain(required);
    }
    const migrations = readdirSync(join(REPO_ROOT, 'src', 'db', 'migrations')).filter((name) => name.endsWith('.sql'));
    expect(paths.filter((path) => path.startsWith('src/')).sort()).toEqual(migrations.map((name) => `src/db/migrations/${name}`).sort());
  });

  it('installs with no compiler and no install script', async () => {
    const manifest = JSON.parse(await readFile(join(consumer, 'node_modules', 'roster', 'package.json'), 'utf8'));
    expect(manifest.license).toBe('Apache-2.0');
    expect(manifest.private).toBeUndefined();
    expect(manifest.scripts?.install ?? manifest.scripts?.postinstall ?? manifest.scripts?.preinstall).toBeUndefined();
    for (const compiler of ['tsx', 'esbuild', 'typescript', '@esbuild']) {
      expect(existsSync(join(consumer, 'node_modules', compiler)), compiler).toBe(false);
    }
    // npm 11 lists the lifecycle scripts it has not been told to allow: none may appear. The packed package.json has
    // no `prepare` (scripts/pack-manifest.mjs drops it: it builds a Git checkout, and a tarball has nothing to
    // build), and no dependency needs an install script.
    const listed = `${install.stdout}${install.stderr}`
      .split('\n')
      .map((line) => /^npm warn install-scripts\s+(\S+@\S+) \((.*)\)$/.exec(line))
      .filter((match) => match !== null)
      .map((match) => `${match[1]!.replace(/@[^@]*$/, '')}: ${match[2]!.split('; ').map((script) => script.split(':')[0]).join(', ')}`);
    expect(listed).toEqual([]);
    expect(manifest.scripts?.prepare).toBeUndefined();
    expect(await readFile(join(consumer, 'node_modules', 'roster', 'LICENSE'), 'utf8')).toContain('Apache License');
  });

  it('type-checks a strict NodeNext consumer and runs it (require of the ESM package)', async () => {
    await writeFile(join(consumer, 'consumer.ts'), CONSUMER_TS);
    await writeFile(join(consumer, 'broken.yaml'), 'organization: { key: Bad Key, name: x }\n');
    await writeFile(
      join(consumer, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          module: 'NodeNext',
          moduleResolution: 'NodeNext',
          target: 'ES2022',
          strict: true,
          noUncheckedIndexedAccess: true,
          skipLibCheck: true,
          outDir: 'build',
          types: ['node'],
          typeRoots: [join(REPO_ROOT, 'node_modules', '@types')],
        },
        files: ['consumer.ts'],
      }),
    );
    const tsc = await exec(process.execPath, [TSC, '-p', consumer], { cwd: consumer });
    expect(tsc.stdout + tsc.stderr).toBe('');
    expect(tsc.code).toBe(0);
    const run = await exec(process.execPath, ['build/consumer.js'], { cwd: consumer });
    expect(run.stderr).toBe('');
    expect(run.stdout).toContain('create organization example\n');
    expect(run.stdout).toContain('create user ada.admin@example.com\n');
    expect(run.stdout).toContain('summary 8 8 true true\n');
    expect(run.stdout).toMatch(/^invalid broken\.yaml:1:22: organization\.key: /m);
    expect(run.stdout).toContain('passwords true false\n');
    expect(run.code).toBe(0);
  }, SLOW);

  it('is importable as ESM too', async () => {
    const script = `import { plan, verifyPassword } from 'roster'; console.log(typeof plan, typeof verifyPassword);`;
    const run = await exec(process.execPath, ['--input-type=module', '-e', script], { cwd: consumer });
    expect(run).toMatchObject({ code: 0, stdout: 'function function\n', stderr: '' });
  });

  it('runs the installed CLI: validate, migrate and plan against PostgreSQL', async () => {
    const { version } = JSON.parse(await readFile(join(REPO_ROOT, 'package.json'), 'utf8'));
    expect(await exec('npx', ['roster', '--version'], { cwd: consumer })).toMatchObject({ code: 0, stdout: `${version}\n` });
    const validate = await exec('npx', ['roster', 'validate', 'acme'], { cwd: consumer });
    expect(validate.stderr).toContain('Valid: 5 files, organization acme');
    expect(validate.code).toBe(0);
    const invalid = await exec('npx', ['roster', 'validate', 'broken.yaml'], { cwd: consumer });
    expect(invalid.code).toBe(1);
    expect(invalid.stderr).toMatch(/^broken\.yaml:1:22: /);
    const env = { DATABASE_URL: database.url };
    const migrate = await exec('npx', ['roster', 'migrate'], { cwd: consumer, env });
    expect(migrate.code, migrate.stderr).toBe(0);
    const plan = await exec('npx', ['roster', 'plan', 'acme', '--detailed-exitcode'], { cwd: consumer, env });
    expect(plan.stdout).toContain('Plan: 40 to create, 0 to update, 0 to deactivate, 0 to reactivate, 0 to delete.');
    expect(plan.code, plan.stderr).toBe(2);
  }, SLOW);

  it.runIf(asRoot)('runs for an unprivileged user from a read-only install', async () => {
    await exec('chmod', ['-R', 'a-w', join(consumer, 'node_modules')], { cwd: work });
    await rm(join(consumer, '.roster'), { recursive: true, force: true }); // root's cache: this user reads the files
    const home = join(work, 'nobody-home');
    await mkdir(home);
    await chown(home, NOBODY, NOBODY);
    const as = { cwd: consumer, uid: NOBODY, gid: NOBODY, env: { HOME: home, DATABASE_URL: database.url } };
    const validate = await exec('npx', ['roster', 'validate', 'acme'], as);
    expect(validate.stderr).toContain('Valid: 5 files, organization acme');
    expect(validate.code).toBe(0);
    const plan = await exec('npx', ['roster', 'plan', 'acme'], as);
    expect(plan.stdout).toContain('Plan: 40 to create, 0 to update, 0 to deactivate, 0 to reactivate, 0 to delete.');
    expect(plan.code, plan.stderr).toBe(0);
  }, SLOW);
});
