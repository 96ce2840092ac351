/**
 * The GitHub Action's own scripts (action.yml's plan, apply and drift steps), run by bash the way a runner runs a
 * composite step, with the real roster executable on PATH and a real PostgreSQL: the plan as the read-only role
 * (has-changes, the plan file, the Markdown), the reviewed plan applied as the writing role and then proved converged,
 * the read-only role refused at apply, drift found and reported, and an empty database URL (a fork's pull request)
 * refused rather than planned against the embedded database.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { chmod, copyFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { randomBytes } from 'node:crypto';
import { createPool } from 'slonik';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { sql } from '../../src/db/sql.ts';
import { company, org, toConfigObject, user } from '../support/builders.ts';
import { BIN, REPO_ROOT, runRoster, tempDir, writeConfig } from '../support/cli.ts';
import { ADMIN_URL, createTestDatabase, type TestDatabase } from '../support/database.ts';
import { userRow } from '../support/inspect.ts';

interface Step {
  readonly id?: string;
  readonly env?: Record<string, string>;
  readonly run?: string;
}
const STEPS = (parse(await readFile(join(REPO_ROOT, 'action.yml'), 'utf8')) as { runs: { steps: Step[] } }).runs.steps;
const suffix = `${process.pid}_${randomBytes(3).toString('hex')}`;
const RUNNER = `roster_action_runner_${suffix}`;
const READER = `roster_action_reader_${suffix}`;
const PLAN_KEY = 'an action test key that is long enough to authenticate plans';
const ENV = { ADMIN_PASSWORD: 'a long enough admin password' };
let db: TestDatabase;
let binDir: string;

function urlAs(role: string): string {
  const url = new URL(db.url);
  url.username = role;
  return url.toString();
}

beforeAll(async () => {
  db = await createTestDatabase({ migrated: false });
  for (const name of [RUNNER, READER]) await db.pool.query(sql.unsafe`create role ${sql.identifier([name])} login`);
  for (const argv of [['--grant-to', RUNNER], ['--grant-to', READER, '--read-only']]) {
    const granted = await runRoster(['migrate', ...argv, '--database-url', db.url]);
    expect(granted.code, granted.stderr).toBe(0);
  }
  // What the action's install step puts on PATH: a `roster` that runs this checkout.
  binDir = await tempDir();
  const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
  await writeFile(join(binDir, 'roster'), `#!/bin/sh\nexec "${process.execPath}" --import "${tsx}" "${BIN}" "$@"\n`);
  await chmod(join(binDir, 'roster'), 0o755);
});

afterAll(async () => {
  await db.drop();
  const admin = await createPool(ADMIN_URL, { maximumPoolSize: 1 });
  try {
    for (const name of [RUNNER, READER]) await admin.query(sql.unsafe`drop role if exists ${sql.identifier([name])}`);
  } finally {
    await admin.end();
  }
});

/** One job's state: its workspace, runner temp directory and the outputs of the steps run so far. */
interface Job {
  readonly workspace: string;
  readonly temp: string;
  readonly outputs: Record<string, Record<string, string>>;
}

async function newJob(files: Record<string, unknown>): Promise<Job> {
  const workspace = await tempDir();
  await writeConfig(files, join(workspace, 'org'));
  return { workspace, temp: await tempDir(), outputs: {} };
}

/** `${{ inputs.x }}`, `${{ steps.s.outputs.o }}` and `${{ github.x }}` in a step's env, as the runner evaluates them. */
function evaluate(value: string, inputs: Record<string, string>, job: Job): string {
  return value.replace(/\$\{\{\s*([\w.-]+)\s*\}\}/g, (_all, path: string) => {
    const [scope, a, b, c] = path.split('.');
    if (scope === 'inputs') return inputs[a!] ?? '';
    if (scope === 'steps' && b === 'outputs') return job.outputs[a!]?.[c!] ?? '';
    if (scope === 'github') return a === 'run_id' ? '1' : a === 'repository' ? 'acme/people' : a === 'server_url' ? 'https://github.test' : '';
    throw new Error(`the test cannot evaluate \${{ ${path} }}`);
  });
}

/** Runs the step with `id` as a runner runs a composite bash step; returns its exit code, output and step outputs. */
async function runStep(id: string, job: Job, inputs: Record<string, string>, extraEnv: Record<string, string> = {}) {
  const step = STEPS.find((s) => s.id === id)!;
  const script = join(job.temp, `${id}.sh`);
  const outputFile = join(job.temp, `${id}.output`);
  await writeFile(script, step.run!);
  await writeFile(outputFile, '');
  const env: Record<string, string> = {
    PATH: `${binDir}:${process.env.PATH}`,
    HOME: process.env.HOME ?? '/tmp',
    CI: 'true',
    RUNNER_TEMP: job.temp,
    GITHUB_OUTPUT: outputFile,
    GITHUB_ACTOR: 'octocat',
    GITHUB_SHA: 'a'.repeat(40),
    ...extraEnv,
  };
  for (const [name, value] of Object.entries(step.env ?? {})) env[name] = evaluate(String(value), inputs, job);
  const child = spawn('bash', ['--noprofile', '--norc', '-eo', 'pipefail', script], { cwd: job.workspace, env });
  let log = '';
  child.stdout.on('data', (d) => (log += d));
  child.stderr.on('data', (d) => (log += d));
  const [code] = await once(child, 'close');
  const outputs = Object.fromEntries(
    (await readFile(outputFile, 'utf8'))
      .split('\n')
      .filter(Boolean)
      .map((line) => line.split(/=(.*)/s).slice(0, 2) as [string, string]),
  );
  job.outputs[id] = outputs;
  return { code: code as number, log, outputs };
}

const admin = user('admin@action.test', { role: 'admin', initialPassword: { kind: 'env', name: 'ADMIN_PASSWORD' } });
const base = org({ key: 'action', companies: [company('hq')], users: [admin] });
const grown = org({ key: 'action', companies: [company('hq')], users: [admin, user('new@action.test')] });

describe("action.yml's steps", () => {
  it('plan as the read-only role, then apply that plan as the writing role, which proves convergence', async () => {
    const owner = await writeConfig({ 'org.yaml': toConfigObject(base) });
    expect((await runRoster(['apply', owner, '--yes', '--database-url', db.url], { env: ENV })).code).toBe(0);

    const job = await newJob({ 'org.yaml': toConfigObject(grown) });
    const inputs = { path: 'org/', 'plan-file': 'roster-plan.json', 'plan-key': PLAN_KEY, args: '' };
    const plan = await runStep('plan', job, { ...inputs, 'database-url': urlAs(READER) });
    expect(plan.code, plan.log).toBe(0);
    expect(plan.outputs).toMatchObject({ 'exit-code': '2', 'has-changes': 'true', 'plan-file': 'roster-plan.json' });
    expect(await readFile(plan.outputs.markdown!, 'utf8')).toContain('new@action.test');

    // The apply job: a checkout of the merged commit, and the artifact downloaded into $RUNNER_TEMP/roster-reviewed.
    const applyJob = await newJob({ 'org.yaml': toConfigObject(grown) });
    await mkdir(join(applyJob.temp, 'roster-reviewed'));
    await copyFile(join(job.workspace, 'roster-plan.json'), join(applyJob.temp, 'roster-reviewed', 'roster-plan.json'));
    const refused = await runStep('apply', applyJob, { ...inputs, 'database-url': urlAs(READER) }, ENV);
    expect(refused.outputs).toMatchObject({ 'exit-code': '1', converged: 'skipped' });
    expect(await readFile(refused.outputs.log!, 'utf8')).toContain('the database role lacks a privilege roster needs');
    expect(await db.pool.oneFirst(sql.unsafe`select count(*)::int from users where email = 'new@action.test'`)).toBe(0);

    const applied = await runStep('apply', applyJob, { ...inputs, 'database-url': urlAs(RUNNER) }, ENV);
    expect(applied.code, applied.log).toBe(0);
    expect(applied.outputs, applied.log).toMatchObject({ 'exit-code': '0', converged: 'yes' });
    expect(applied.outputs['plan-file']).toBe(join(applyJob.temp, 'roster-reviewed', 'roster-plan.json'));
    expect(await readFile(applied.outputs.log!, 'utf8')).toContain('--- roster plan --detailed-exitcode');
    expect(await userRow(db.pool, 'action', 'new@action.test')).toMatchObject({ active: true });
    const audit = await db.pool.one(sql.unsafe`select actor, database_role from audit_applies order by id desc limit 1`);
    expect(audit).toEqual({ actor: 'octocat', database_role: RUNNER });
  }, 300_000);

  it('drift as the read-only role: found, reported, and failing only when asked to', async () => {
    const owner = await writeConfig({ 'org.yaml': toConfigObject(org({ key: 'drifting', companies: [company('hq')], users: [user('admin@drifting.test', { role: 'admin', initialPassword: { kind: 'env', name: 'ADMIN_PASSWORD' } })] })) });
    expect((await runRoster(['apply', owner, '--yes', '--database-url', db.url], { env: ENV })).code).toBe(0);
    const job = await newJob({ 'org.yaml': (await readFile(join(owner, 'org.yaml'), 'utf8')) });
    const inputs = { path: 'org/', args: '', 'database-url': urlAs(READER) };
    const clean = await runStep('drift', job, { ...inputs, 'fail-on-drift': 'true' });
    expect(clean.code, clean.log).toBe(0);
    expect(clean.outputs['has-changes']).toBe('false');

    await db.pool.query(sql.unsafe`update users set first_name = 'Byhand' where email = 'admin@drifting.test'`);
    const failing = await runStep('drift', job, { ...inputs, 'fail-on-drift': 'true' });
    expect(failing.code).toBe(1);
    expect(failing.outputs['has-changes']).toBe('true');
    expect(failing.log).toContain('Byhand');
    expect(failing.log).toContain('::error title=roster::drift found');
    const reporting = await runStep('drift', job, { ...inputs, 'fail-on-drift': 'false' });
    expect(reporting.code).toBe(0);
    expect(reporting.outputs['has-changes']).toBe('true');

    // A backdoor administrator inserted by hand is sensitive drift: the step fails even with fail-on-drift false.
    await db.pool.query(sql.unsafe`
      insert into users (organization_id, email, first_name, last_name, role_id, company_id, active)
      select o.id, 'backdoor@evil.example', 'Back', 'Door', r.id, c.id, true
        from organizations o join roles r on r.organization_id = o.id and r.key = 'admin'
        join companies c on c.organization_id = o.id and c.key = 'hq'
       where o.key = 'drifting'`);
    const sensitive = await runStep('drift', job, { ...inputs, 'fail-on-drift': 'false' });
    expect(sensitive.code, sensitive.log).toBe(1);
    expect(sensitive.outputs['has-changes']).toBe('true');
    expect(sensitive.log).toContain('backdoor@evil.example');
    expect(sensitive.log).toContain('::error title=roster::sensitive drift');
  }, 300_000);

  it("plans nothing when the database secret is missing (a fork's pull request)", async () => {
    const job = await newJob({ 'org.yaml': toConfigObject(grown) });
    const plan = await runStep('plan', job, { path: 'org/', 'plan-file': 'roster-plan.json', 'plan-key': '', args: '', 'database-url': '' });
    expect(plan.code).toBe(0); // the step records the failure; a later step fails the job after the comment
    expect(plan.outputs['exit-code']).toBe('1');
    expect(plan.outputs['plan-file']).toBeUndefined();
    expect(plan.log).toContain('DATABASE_URL is set but empty');
    expect(plan.log).not.toContain('Using the embedded');
  });
});
