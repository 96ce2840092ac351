/** The example workflows parse, and every roster command line in them is one roster accepts. */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT, runRoster } from '../support/cli.ts';

const DIR = join(REPO_ROOT, 'examples', 'github-actions');
const workflows = readdirSync(DIR).filter((f) => f.endsWith('.yml'));

describe('example GitHub Actions workflows', () => {
  it('cover plan on pull request, apply on merge and a nightly drift check', () => {
    expect(workflows.sort()).toEqual(['roster-apply.yml', 'roster-drift.yml', 'roster-plan.yml']);
  });

  it.each(workflows)('%s is valid YAML whose roster commands parse', async (name) => {
    const text = readFileSync(join(DIR, name), 'utf8');
    const workflow = parse(text) as { on: unknown; jobs: Record<string, { steps: { run?: string }[] }> };
    expect(workflow.on).toBeDefined();
    const commands = Object.values(workflow.jobs)
      .flatMap((job) => job.steps.map((s) => s.run ?? ''))
      .flatMap((run) => run.split('\n'))
      .map((line) => /npx roster (.*?)(?:\s*>.*)?$/.exec(line)?.[1])
      .filter((c): c is string => c !== undefined);
    expect(commands.length).toBeGreaterThan(0);
    for (const command of commands) {
      const argv = command.replace(/"[^"]*"/g, 'X').split(/\s+/).filter(Boolean);
      // --help after the arguments: the parser checks every flag without running anything.
      const result = await runRoster([...argv, '--help']);
      expect(result.stderr, command).toBe('');
      expect(result.code, command).toBe(0);
    }
  });
});
