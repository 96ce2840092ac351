/**
 * `roster apply [PATH...]` and `roster apply PLAN.json`: show the plan, confirm, apply it in one transaction
 * under the organization's lock.
 */
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { applyWithLock, assertApplicable, StalePlanError, type AuditContext, type Decision } from '../../apply/apply.ts';
import type { DesiredConfig } from '../../config/assemble.ts';
import type { Database } from '../../db/connection.ts';
import { readDatabaseId, type StoredOrganization } from '../../db/read-state.ts';
import { UserError } from '../../errors.ts';
import { checkGuards } from '../../plan/guards.ts';
import { plan as computePlan } from '../../plan/planner.ts';
import { parseSavedPlan, PlanFileError, staleRows } from '../../plan/saved-plan.ts';
import { simulate } from '../../plan/simulate.ts';
import type { GuardLimits, Plan, SavedPlan } from '../../plan/types.ts';
import { chooseStyle } from '../../render/style.ts';
import { renderPlanText, summaryLine } from '../../render/text.ts';
import { resolvePasswords } from '../../secrets/resolve.ts';
import { ROSTER_VERSION } from '../../version.ts';
import { actorName, gitCommit } from '../context.ts';
import { ask, phase, type CliIo } from '../io.ts';
import { configHash, loadConfiguration, usingDatabase } from '../session.ts';

export interface ApplyCommandOptions {
  /** Configuration paths; or, with `planFile`, none. */
  readonly paths: readonly string[];
  /** A plan file written by `plan --out`: apply exactly it, without reading the configuration. */
  readonly planFile: string | undefined;
  readonly databaseUrl: string | undefined;
  /** Skip the confirmation; required without a terminal. */
  readonly yes: boolean;
  readonly actor: string | undefined;
  readonly gitCommit: string | undefined;
  readonly limits: GuardLimits;
  readonly lockTimeoutMs: number;
  readonly io: CliIo;
}

/** The person declined at the prompt. */
class ApplyCancelledError extends UserError {}

/** Exit 0 when applied (or nothing to do), 1 when refused or failed; nothing is written unless all of it is. */
export async function applyCommand(options: ApplyCommandOptions): Promise<number> {
  const { io } = options;
  const config = options.planFile === undefined ? (await loadConfiguration(options.paths, io)).config : null;
  const saved = options.planFile === undefined ? null : await readPlanFile(options.planFile, io);
  try {
    return await usingDatabase({ databaseUrl: options.databaseUrl, io, writes: true }, (database) => applyTo(database, options, config, saved));
  } catch (error) {
    if (error instanceof ApplyCancelledError) {
      io.stderr.write(`${error.message}\n`);
      return 1;
    }
    throw error;
  }
}

/** Plans under the organization's lock, confirms, and applies; exit 0. */
async function applyTo(database: Database, options: ApplyCommandOptions, config: DesiredConfig | null, saved: SavedPlan | null): Promise<number> {
  const { io } = options;
  if (saved) await assertSameDatabase(saved, database, options.planFile!);
  const organization = config?.state.organization.key ?? saved!.organization;
  const audit = await auditContext(options, config ? configHash(config.state) : saved!.configHash);
  const result = await phase(io, 'transaction', () => applyWithLock({
    pool: database.pool,
    organization,
    lockTimeoutMs: options.lockTimeoutMs,
    timed: (name, work) => phase(io, name, work),
    decide: async (stored) => {
      const plan = await phase(io, 'plan', async () =>
        config ? planFromConfig(config, stored, options.limits) : planFromFile(saved!, stored, options.limits, options.planFile!),
      );
      io.stdout.write(renderPlanText(plan, chooseStyle({ isTTY: io.stdout.isTTY === true, env: io.env })));
      assertApplicable(plan);
      if (plan.changes.length === 0) return null;
      // Secrets are resolved before asking, so that a "yes" is never spent on a plan that cannot run.
      const passwordHashes = await phase(io, 'passwords', () =>
        resolvePasswords({ changes: plan.changes, cwd: io.cwd, env: io.env, positions: config?.passwordPositions }),
      );
      await confirm(options, plan, database);
      return { plan, passwordHashes, audit } satisfies Decision;
    },
  }));
  if (result.auditId !== null && result.summary) {
    io.stderr.write(`Applied to organization ${organization}. ${summaryLine(result.summary).replace(/^Plan:/, 'Changes:')}\n`);
  }
  return 0;
}

function planFromConfig(config: DesiredConfig, stored: StoredOrganization | null, limits: GuardLimits): Plan {
  return computePlan({ desired: config.state, actual: stored?.state ?? null, options: { unmanagedUsers: config.unmanagedUsers, limits } });
}

/**
 * The saved plan, if every row it touches is as it was when the plan was made; its guard rails judged again on
 * today's state with today's limits.
 */
function planFromFile(saved: SavedPlan, stored: StoredOrganization | null, limits: GuardLimits, source: string): Plan {
  const stale = staleRows(saved, stored?.versions ?? new Map());
  if (stale.length > 0) {
    throw new StalePlanError(
      `${source} is stale: ${stale.length} row${stale.length === 1 ? '' : 's'} it changes moved since it was made, so it no longer ` +
        `shows what would happen; nothing was applied. Make and review a new plan.\n${stale.map((row) => `  ${row}`).join('\n')}`,
    );
  }
  const after = simulate(saved.organization, stored?.state ?? null, saved.changes);
  const violations = checkGuards({ changes: saved.changes, before: stored?.state ?? null, after, limits });
  const { database: _database, configHash: _hash, createdAt: _created, rosterVersion: _version, checksum: _checksum, ...plan } = saved;
  return { ...plan, guards: { limits, violations } };
}

async function readPlanFile(path: string, io: CliIo): Promise<SavedPlan> {
  let text: string;
  try {
    text = await readFile(resolve(io.cwd, path), 'utf8');
  } catch (error) {
    throw new PlanFileError(`cannot read the plan file ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  return parseSavedPlan(text, path);
}

async function assertSameDatabase(saved: SavedPlan, database: Database, source: string): Promise<void> {
  const id = await readDatabaseId(database.pool);
  if (id !== saved.database) {
    throw new PlanFileError(
      `${source} was made against another database (${saved.database}), not ${database.description} (${id}); nothing was applied. ` +
        'Make the plan against the database you apply to.',
    );
  }
}

async function auditContext(options: ApplyCommandOptions, hash: string): Promise<AuditContext> {
  return {
    actor: actorName(options.actor, options.io),
    gitCommit: await gitCommit(options.gitCommit, options.paths, options.io),
    configHash: hash,
    rosterVersion: ROSTER_VERSION,
  };
}

async function confirm(options: ApplyCommandOptions, plan: Plan, database: Database): Promise<void> {
  if (options.yes) return;
  const { io } = options;
  if (io.stdin.isTTY !== true) {
    throw new UserError('apply needs confirmation, and there is no terminal to ask on: review the plan and pass --yes');
  }
  const answer = await ask(io, `\nApply these changes to organization ${plan.organization} in ${database.description}? Type "yes" to confirm: `);
  if (answer !== 'yes') throw new ApplyCancelledError('Apply cancelled; nothing was changed.');
}
