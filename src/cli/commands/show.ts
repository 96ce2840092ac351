/** `roster show PLAN.json [--format text|json|markdown]`: check a plan file and print it. Needs no database. */
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { compareConfigFiles, filesDiffer, isAuthenticated, parseSavedPlan, PLAN_KEY_VARIABLE, PlanFileError, planOf, readPlanKey } from '../../plan/saved-plan.ts';
import { renderPlanJson } from '../../render/json.ts';
import { renderPlanMarkdown } from '../../render/plan-markdown.ts';
import { chooseStyle } from '../../render/style.ts';
import { renderPlanText } from '../../render/text.ts';
import { digestConfigFiles } from '../config-files.ts';
import type { CliIo } from '../io.ts';
import { escapeText } from '../../render/escape.ts';

export interface ShowCommandOptions {
  readonly planFile: string;
  readonly format: 'text' | 'json' | 'markdown';
  readonly io: CliIo;
}

/**
 * Verifies the plan file as apply does (intact; with ROSTER_PLAN_KEY, authentic), prints it on stdout, and says
 * on stderr what it is bound to and whether the configuration files here are those it was made from.
 * Exit 0 when the file is intact. Throws {@link PlanFileError}.
 */
export async function showCommand(options: ShowCommandOptions): Promise<number> {
  const { io, planFile } = options;
  let text: string;
  try {
    text = await readFile(resolve(io.cwd, planFile), 'utf8');
  } catch (error) {
    throw new PlanFileError(`cannot read the plan file ${planFile}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  const saved = parseSavedPlan(text, planFile, readPlanKey(io.env));
  const plan = planOf(saved);
  const rendered = {
    json: () => renderPlanJson(saved),
    markdown: () => renderPlanMarkdown(plan),
    text: () => renderPlanText(plan, chooseStyle({ isTTY: io.stdout.isTTY === true, env: io.env })),
  };
  io.stdout.write(rendered[options.format]());

  const differences = compareConfigFiles(saved.configFiles, await digestConfigFiles(saved.configPaths, io.cwd));
  const files = filesDiffer(differences)
    ? `the configuration files here differ from those it was made from (changed: ${differences.changed.length}, added: ${differences.added.length}, removed: ${differences.removed.length}), so apply would refuse it here`
    : `the configuration files here (${saved.configFiles.length}) are those it was made from`;
  const trust = isAuthenticated(saved)
    ? `authenticated with ${PLAN_KEY_VARIABLE}`
    : `not authenticated (made without ${PLAN_KEY_VARIABLE}): anyone could have written it, so apply trusts only what its files plan again`;
  io.stderr.write(
    `${planFile}: a plan for organization ${escapeText(saved.organization)} in database ${escapeText(saved.database)}, ` +
      `made ${escapeText(saved.createdAt)} by roster ${escapeText(saved.rosterVersion)}; ` +
      `${trust}; ${files}. Sensitive changes and guard rails are judged again when it is applied.\n`,
  );
  return 0;
}
