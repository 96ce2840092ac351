/** `roster plan [PATH...] [--format text|json] [--out FILE] [--detailed-exitcode]`. */
import { writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { UserError } from '../../errors.ts';
import { createHash } from 'node:crypto';
import { cacheEnabled, readCache, writeCache } from '../../config/cache.ts';
import { readFingerprint } from '../../db/fingerprint.ts';
import { readDatabaseId, type StoredOrganization } from '../../db/read-state.ts';
import { plan as computePlan } from '../../plan/planner.ts';
import { readPlanKey, stampVersions, toSavedPlan, versionStamp } from '../../plan/saved-plan.ts';
import { digestConfigFiles, recordedPaths } from '../config-files.ts';
import { withDatabaseTarget, type GuardLimits, type Plan } from '../../plan/types.ts';
import { renderPlanJson } from '../../render/json.ts';
import { chooseStyle } from '../../render/style.ts';
import { renderPlanText } from '../../render/text.ts';
import { renderPlanMarkdown } from '../../render/plan-markdown.ts';
import { databaseTarget } from '../../db/target.ts';
import { appendStepSummary, inGitHubActions, planAnnotations } from '../github.ts';
import { ROSTER_VERSION } from '../../version.ts';
import { phase, type CliIo } from '../io.ts';
import { configHash, loadConfiguration, readSnapshot, usingDatabase } from '../session.ts';

export type PlanFormat = 'text' | 'json' | 'markdown';

export interface PlanCommandOptions {
  readonly paths: readonly string[];
  readonly databaseUrl: string | undefined;
  readonly format: PlanFormat;
  /** Write a plan file to apply later with `roster apply FILE`. */
  readonly out: string | undefined;
  readonly detailedExitCode: boolean;
  readonly limits: GuardLimits;
  readonly io: CliIo;
}

/**
 * Prints the plan on stdout. Exit 1 when the plan has problems or breaks a guard rail; with `detailedExitCode`,
 * 2 when it has changes.
 */
export async function planCommand(options: PlanCommandOptions): Promise<number> {
  const { io } = options;
  // A bad ROSTER_PLAN_KEY stops a plan that would be saved before any work.
  if (options.out !== undefined) readPlanKey(io.env);
  const { config, key: configKey } = await loadConfiguration(options.paths, io);
  return usingDatabase({ databaseUrl: options.databaseUrl, io, writes: false }, async (database) => {
    const key = config.state.organization.key;
    const planOptions = { unmanagedUsers: config.unmanagedUsers, limits: options.limits };
    // Unchanged files and an unchanged database give the same plan: reuse it. A plan file needs row versions,
    // which only a full read gives.
    const cacheKey =
      options.out === undefined && cacheEnabled(io.env)
        ? await phase(io, 'fingerprint', async () => {
            const fingerprint = await readFingerprint(database.pool, key);
            return createHash('sha256').update(JSON.stringify([configKey, fingerprint, planOptions])).digest('hex');
          })
        : null;
    const cached = cacheKey ? await readCache<Plan>(io.cwd, 'plan', cacheKey) : null;
    let stored: StoredOrganization | null = null;
    let plan: Plan;
    if (cached) {
      plan = cached;
    } else {
      stored = await readSnapshot(database, key, io);
      plan = await phase(io, 'plan', async () => computePlan({ desired: config.state, actual: stored?.state ?? null, options: planOptions }));
      if (cacheKey) await writeCache(io.cwd, 'plan', cacheKey, plan);
    }
    plan = withDatabaseTarget(plan, databaseTarget(database));
    const style = chooseStyle({ isTTY: io.stdout.isTTY === true, env: io.env });
    const rendered = { json: () => renderPlanJson(plan), markdown: () => renderPlanMarkdown(plan), text: () => renderPlanText(plan, style) };
    await phase(io, 'render', async () => io.stdout.write(rendered[options.format]()));
    await appendStepSummary(io, renderPlanMarkdown(plan));
    if (inGitHubActions(io)) io.stderr.write(planAnnotations(plan));
    if (options.out !== undefined) {
      // Bound to the organization, the database and the files, and authenticated when ROSTER_PLAN_KEY is set.
      const planKey = readPlanKey(io.env);
      const databaseId = await readDatabaseId(database.pool);
      const configPaths = recordedPaths(options.paths, io.cwd);
      const saved = toSavedPlan(
        stampVersions(plan, stored?.versions ?? new Map(), versionStamp(planKey, databaseId)),
        {
          database: databaseId,
          configHash: configHash(config.state),
          configPaths,
          configFiles: await digestConfigFiles(configPaths, io.cwd),
          createdAt: new Date().toISOString(),
          rosterVersion: ROSTER_VERSION,
        },
        planKey,
      );
      try {
        await writeFile(resolve(io.cwd, options.out), renderPlanJson(saved));
      } catch (error) {
        throw new UserError(`cannot write the plan to ${options.out}: ${(error as Error).message}`, { cause: error });
      }
      io.stderr.write(`Saved the plan to ${options.out}; apply exactly it with: roster apply ${options.out}\n`);
    }
    const blockers = plan.problems.length + plan.guards.violations.length;
    if (blockers > 0) {
      io.stderr.write(`error: the plan cannot be applied as it stands (${blockers} problem${blockers === 1 ? '' : 's'} above).\n`);
      return 1;
    }
    return options.detailedExitCode && plan.changes.length > 0 ? 2 : 0;
  });
}
