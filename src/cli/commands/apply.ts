/**
 * `roster apply [PATH...]` and `roster apply PLAN.json`.
 *
 * - On a terminal (no --yes): plan from a read-only snapshot, show it, resolve its passwords, ask; only then take
 *   the organization's lock, re-read, and apply the confirmed plan if no row it touches moved meanwhile (else say
 *   what moved, show the new plan and ask again). No lock or transaction is held while a person reads.
 * - With --yes: plan under the lock, so that two applies run as one after the other.
 * - A saved plan: never asks (the review was the confirmation). Bound to its files, organization and database;
 *   planned again from the files under the lock and applied only if that equals the saved changes.
 * Passwords are always resolved before the lock is taken.
 */
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { applyWithLock, assertApplicable, StalePlanError, type ApplyResult, type AuditContext, type Decision } from '../../apply/apply.ts';
import type { DesiredConfig } from '../../config/assemble.ts';
import type { Database } from '../../db/connection.ts';
import { readDatabaseId, type StoredOrganization } from '../../db/read-state.ts';
import { PlanRejectedError, UserError } from '../../errors.ts';
import { escapeText } from '../../render/escape.ts';
import { checkGuards } from '../../plan/guards.ts';
import { plan as computePlan } from '../../plan/planner.ts';
import {
  alreadyInEffect,
  changeDifferences,
  compareConfigFiles,
  filesDiffer,
  forbiddenPasswordSources,
  isAuthenticated,
  parseSavedPlan,
  PLAN_KEY_VARIABLE,
  PlanFileError,
  planOf,
  readPlanKey,
  stampVersions,
  staleRows,
  versionStamp,
  type FileDifferences,
} from '../../plan/saved-plan.ts';
import { findSensitiveChanges } from '../../plan/sensitive.ts';
import { simulate } from '../../plan/simulate.ts';
import { withDatabaseTarget, type Change, type GuardLimits, type Plan, type SavedPlan } from '../../plan/types.ts';
import { databaseTarget } from '../../db/target.ts';
import { chooseStyle } from '../../render/style.ts';
import { renderPlanText, summaryLine } from '../../render/text.ts';
import { ROSTER_VERSION } from '../../version.ts';
import { configPathsToApply, digestConfigFiles } from '../config-files.ts';
import { actorName, gitCommit } from '../context.ts';
import { ask, phase, type CliIo } from '../io.ts';
import { PreparedPasswords } from '../prepared-passwords.ts';
import { configHash, loadConfiguration, readSnapshot, usingDatabase } from '../session.ts';

export interface ApplyCommandOptions {
  /** Configuration paths; with `planFile`, the paths it must have been planned from (optional). */
  readonly paths: readonly string[];
  /** A plan file written by `plan --out`: apply exactly it. */
  readonly planFile: string | undefined;
  /** With `planFile`: apply it without its configuration files (needs ROSTER_PLAN_KEY). */
  readonly ignoreFiles: boolean;
  readonly databaseUrl: string | undefined;
  /** Skip the confirmation; required without a terminal (a saved plan never asks). */
  readonly yes: boolean;
  readonly actor: string | undefined;
  readonly gitCommit: string | undefined;
  readonly limits: GuardLimits;
  readonly lockTimeoutMs: number;
  readonly io: CliIo;
}

/** The person declined at the prompt. */
class ApplyCancelledError extends UserError {}

/** The changes of a saved plan differ from what its files plan now. */
export class PlanMismatchError extends PlanRejectedError {}

/** Rows a confirmed plan touches moved while the person read it: plan and ask again. */
class RowsMovedError extends Error {
  constructor(readonly rows: readonly string[]) {
    super('rows moved');
  }
}

/** How many times apply goes back to resolve passwords a plan made under the lock needs, before it gives up. */
const PASSWORD_ROUNDS = 3;

/** Exit 0 when applied (or nothing to do, or already applied), 1 when refused or failed; nothing is written unless all of it is. */
export async function applyCommand(options: ApplyCommandOptions): Promise<number> {
  try {
    return options.planFile === undefined ? await applyConfiguration(options) : await applySavedPlan(options, options.planFile);
  } catch (error) {
    if (error instanceof ApplyCancelledError) {
      options.io.stderr.write(`${error.message}\n`);
      return 1;
    }
    throw error;
  }
}

/** `apply PATH...`: ask on a terminal before locking; with --yes, plan under the lock. */
async function applyConfiguration(options: ApplyCommandOptions): Promise<number> {
  const { io } = options;
  // apply always parses the files: a cache is never a source of truth for what is written.
  const { config } = await loadConfiguration(options.paths, io, { cache: false });
  const passwords = new PreparedPasswords({ io, positions: config.passwordPositions });
  return usingDatabase({ databaseUrl: options.databaseUrl, io, writes: true }, async (database) => {
    const audit = await auditContext(options, configHash(config.state), options.paths);
    if (options.yes) {
      const result = await underLockWithPasswords(database, options, { organization: config.state.organization.key, passwords, audit }, async (stored) =>
        phase(io, 'plan', async () => planFromConfig(config, stored, options.limits)),
      );
      return reportApplied(options, config.state.organization.key, result);
    }
    return confirmThenApply(database, options, config, passwords, audit);
  });
}

/**
 * The terminal path: plan from a snapshot, show, ask, then lock and apply the confirmed plan if the rows it touches
 * did not move; otherwise say what moved and start again with a new plan.
 */
async function confirmThenApply(
  database: Database,
  options: ApplyCommandOptions,
  config: DesiredConfig,
  passwords: PreparedPasswords,
  audit: AuditContext,
): Promise<number> {
  const { io } = options;
  const organization = config.state.organization.key;
  for (;;) {
    const snapshot = await readSnapshot(database, organization, io);
    const plan = await phase(io, 'plan', async () => planFromConfig(config, snapshot, options.limits));
    printPlan(io, plan, database);
    assertApplicable(plan);
    if (plan.changes.length === 0) return 0;
    assertCanAsk(options);
    // Secrets are resolved before asking, so that a "yes" is never spent on a plan that cannot run.
    await passwords.prepare(plan.changes);
    await confirm(options, plan, database);
    const confirmed = stampVersions(plan, snapshot?.versions ?? new Map());
    try {
      const result = await phase(io, 'transaction', () =>
        applyWithLock({
          pool: database.pool,
          organization,
          lockTimeoutMs: options.lockTimeoutMs,
          holder: audit.actor,
          timed: (name, work) => phase(io, name, work),
          decide: async (stored) => {
            const moved = staleRows(confirmed, stored?.versions ?? new Map());
            if (moved.length > 0) throw new RowsMovedError(moved);
            const judged = judgedAgain(plan, stored, options.limits);
            assertApplicable(judged);
            return { plan: judged, passwordHashes: passwords.hashesFor(judged.changes), audit } satisfies Decision;
          },
        }),
      );
      return reportApplied(options, organization, result);
    } catch (error) {
      if (!(error instanceof RowsMovedError)) throw error;
      io.stderr.write(
        `\nWhile the plan was shown, ${error.rows.length} row${error.rows.length === 1 ? '' : 's'} it changes moved; nothing was applied:\n` +
          `${error.rows.map((row) => `  ${row}`).join('\n')}\nThe plan as it stands now:\n\n`,
      );
    }
  }
}

/** `apply PLAN.json`: verify it, bind it to its files, then apply it under the lock without asking. */
async function applySavedPlan(options: ApplyCommandOptions, source: string): Promise<number> {
  const { io } = options;
  const key = readPlanKey(io.env);
  if (options.ignoreFiles && key === null) {
    throw new PlanFileError(
      `--ignore-files needs ${PLAN_KEY_VARIABLE}: without a key a plan file is trusted only together with the files it was made from. ` +
        `Run apply where those files are, or make and apply plans with ${PLAN_KEY_VARIABLE} set`,
    );
  }
  const saved = parseSavedPlan(await readPlanText(source, io), source, key);
  const isPlanFile = (path: string) => resolve(io.cwd, path) === resolve(io.cwd, source);
  let config: DesiredConfig | null = null;
  if (options.ignoreFiles && options.paths.length > 0) {
    throw new PlanFileError('--ignore-files applies the plan file without configuration files: name no configuration paths with it');
  }
  if (!options.ignoreFiles) {
    const configPaths = configPathsToApply({
      recorded: saved.configPaths,
      given: options.paths,
      authenticated: isAuthenticated(saved),
      cwd: io.cwd,
      source,
    });
    const found = await phase(io, 'files', () => digestConfigFiles(configPaths, io.cwd));
    const differences = compareConfigFiles(saved.configFiles, found);
    if (filesDiffer(differences)) throw new PlanFileError(describeFileDifferences(source, saved, differences));
    config = (await loadConfiguration(configPaths, io, { cache: false })).config;
    if (config.state.organization.key !== saved.organization) {
      throw new PlanMismatchError(
        `${source} is for organization ${escapeText(saved.organization)}, but the files it was made from describe organization ` +
          `${escapeText(config.state.organization.key)}; nothing was applied. Make and review a new plan`,
      );
    }
  }
  const forbidden = forbiddenPasswordSources(saved.changes, saved.configFiles, isPlanFile);
  if (forbidden.length > 0) {
    throw new PlanFileError(`${source} cannot be applied; nothing was applied:\n${forbidden.map((p) => `  ${p}`).join('\n')}`);
  }
  const passwords = new PreparedPasswords({ io, positions: config?.passwordPositions });
  return usingDatabase({ databaseUrl: options.databaseUrl, io, writes: true }, async (database) => {
    await assertSameDatabase(saved, database, source);
    // The audit records the digest of what is applied: computed from the files when they are here (a file without a
    // key could claim any digest), else the authenticated plan's own.
    const audit = await auditContext(options, config ? configHash(config.state) : saved.configHash, options.paths);
    const stamp = versionStamp(key, saved.database);
    let alreadyApplied = false;
    const result = await underLockWithPasswords(database, options, { organization: saved.organization, passwords, audit }, async (stored) => {
      if (alreadyInEffect(saved.changes, stored?.state ?? null)) {
        alreadyApplied = true;
        return null;
      }
      const fresh = config ? await phase(io, 'plan', async () => planFromConfig(config, stored, options.limits)) : null;
      const checkStale = () => {
        const stale = staleRows(saved, stored?.versions ?? new Map(), stamp);
        if (stale.length > 0) {
          throw new StalePlanError(
            `${source} is stale: ${stale.length} row${stale.length === 1 ? '' : 's'} it changes moved since it was made, so it no longer ` +
              `shows what would happen; nothing was applied. Make and review a new plan.\n${stale.map((row) => `  ${row}`).join('\n')}`,
          );
        }
      };
      const checkSame = () => {
        if (fresh) assertSameChanges(saved, fresh, source);
      };
      // An authenticated plan's versions are the plan job's own: which rows moved is worth saying first. Without a
      // key, versions are whatever the file says, so nothing depends on them until the changes are known to be the
      // files' own: a guessed version then gets the same answer as any other edit.
      if (isAuthenticated(saved)) {
        checkStale();
        checkSame();
      } else {
        checkSame();
        checkStale();
      }
      // The files' fresh plan carries its own password sources, sensitive changes and guard rails; without the
      // files, those of the authenticated plan file are judged again on today's state with today's limits.
      return fresh ?? judgedAgain(planOf(saved), stored, options.limits);
    });
    if (alreadyApplied) {
      io.stderr.write(`${source} is already applied: every change in it is in effect in organization ${escapeText(saved.organization)}; nothing to do.\n`);
      return 0;
    }
    return reportApplied(options, saved.organization, result);
  });
}

/**
 * Applies what `plan` decides under the organization's lock. Passwords are resolved outside the lock: when the plan
 * made under the lock needs one not resolved yet, the transaction is rolled back, the passwords are resolved, and it
 * starts again. `plan` returns null for nothing to apply.
 */
async function underLockWithPasswords(
  database: Database,
  options: ApplyCommandOptions,
  context: { organization: string; passwords: PreparedPasswords; audit: AuditContext },
  plan: (stored: StoredOrganization | null) => Promise<Plan | null>,
): Promise<ApplyResult> {
  const { io } = options;
  const { organization, passwords, audit } = context;
  for (let round = 1; ; round++) {
    try {
      return await phase(io, 'transaction', () =>
        applyWithLock({
          pool: database.pool,
          organization,
          lockTimeoutMs: options.lockTimeoutMs,
          holder: audit.actor,
          timed: (name, work) => phase(io, name, work),
          decide: async (stored) => {
            const decided = await plan(stored);
            if (decided === null) return null;
            if (decided.problems.length + decided.guards.violations.length > 0 || decided.changes.length === 0) {
              printPlan(io, decided, database);
              assertApplicable(decided);
              return null;
            }
            const missing = passwords.missing(decided.changes);
            if (missing.length > 0) throw new PasswordsNeeded(missing);
            printPlan(io, decided, database);
            return { plan: decided, passwordHashes: passwords.hashesFor(decided.changes), audit } satisfies Decision;
          },
        }),
      );
    } catch (error) {
      if (!(error instanceof PasswordsNeeded)) throw error;
      if (round >= PASSWORD_ROUNDS) {
        throw new UserError('the database kept changing while apply resolved the passwords it needs; nothing was applied. Run apply again');
      }
      await passwords.prepare(error.changes);
    }
  }
}

/** The plan made under the lock sets passwords not resolved yet: roll back, resolve them, try again. */
class PasswordsNeeded extends Error {
  constructor(readonly changes: readonly Change[]) {
    super('passwords needed');
  }
}

function planFromConfig(config: DesiredConfig, stored: StoredOrganization | null, limits: GuardLimits): Plan {
  return computePlan({ desired: config.state, actual: stored?.state ?? null, options: { unmanagedUsers: config.unmanagedUsers, limits } });
}

/**
 * `plan` with its sensitive changes and guard rails judged again on `stored` with today's `limits`: what a plan
 * says about itself is never taken on trust. Pure.
 */
function judgedAgain(plan: Plan, stored: StoredOrganization | null, limits: GuardLimits): Plan {
  const before = stored?.state ?? null;
  const after = simulate(plan.organization, before, plan.changes);
  return {
    ...plan,
    sensitive: findSensitiveChanges(plan.changes, after),
    guards: { limits, violations: checkGuards({ changes: plan.changes, before, after, limits }) },
  };
}

/** Throws {@link PlanMismatchError} unless the files' plan now has exactly the saved plan's changes (version stamps aside). */
function assertSameChanges(saved: SavedPlan, fresh: Plan, source: string): void {
  const differences = changeDifferences(saved.changes, fresh.changes);
  if (fresh.unmanagedUsers !== saved.unmanagedUsers) differences.unshift(`~ unmanagedUsers: ${saved.unmanagedUsers} in the plan file, ${fresh.unmanagedUsers} in the files`);
  if (differences.length === 0) return;
  throw new PlanMismatchError(
    `${source} does not match what its files plan against the database now, so it is not what would happen; nothing was applied. ` +
      'Either rows it changes moved since it was made, or the plan file was edited. Make and review a new plan.\n' +
      differences.map((line) => `  ${line}`).join('\n'),
  );
}

function describeFileDifferences(source: string, saved: SavedPlan, differences: FileDifferences): string {
  const lines = [
    ...differences.changed.map((path) => `  changed: ${escapeText(path)}`),
    ...differences.added.map((path) => `  added: ${escapeText(path)}`),
    ...differences.removed.map((path) => `  removed: ${escapeText(path)}`),
  ];
  const count = lines.length;
  return (
    `the configuration files here differ from those ${source} was made from (${escapeText(saved.configPaths.join(', '))}): ${count} file${count === 1 ? '' : 's'}; ` +
    `nothing was applied. Apply the plan in a checkout of the commit it was made from, or make and review a new plan ` +
    `(with ${PLAN_KEY_VARIABLE} set, --ignore-files applies it without its files).\n${lines.join('\n')}`
  );
}

/** Prints the plan as `plan` would, naming the database it is applied to. */
function printPlan(io: CliIo, plan: Plan, database: Database): void {
  const shown = withDatabaseTarget(plan, databaseTarget(database));
  io.stdout.write(renderPlanText(shown, chooseStyle({ isTTY: io.stdout.isTTY === true, env: io.env })));
}

function reportApplied(options: ApplyCommandOptions, organization: string, result: ApplyResult): number {
  if (result.auditId !== null && result.summary) {
    options.io.stderr.write(`Applied to organization ${escapeText(organization)}. ${summaryLine(result.summary).replace(/^Plan:/, 'Changes:')}\n`);
  }
  return 0;
}

async function readPlanText(path: string, io: CliIo): Promise<string> {
  try {
    return await readFile(resolve(io.cwd, path), 'utf8');
  } catch (error) {
    throw new PlanFileError(`cannot read the plan file ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
}

async function assertSameDatabase(saved: SavedPlan, database: Database, source: string): Promise<void> {
  const id = await readDatabaseId(database.pool);
  if (id !== saved.database) {
    throw new PlanFileError(
      `${source} was made against another database (${escapeText(saved.database)}), not ${database.description} (${id}); nothing was applied. ` +
        'Make the plan against the database you apply to.',
    );
  }
}

async function auditContext(options: ApplyCommandOptions, hash: string, paths: readonly string[]): Promise<AuditContext> {
  return {
    actor: actorName(options.actor, options.io),
    gitCommit: await gitCommit(options.gitCommit, paths, options.io),
    configHash: hash,
    rosterVersion: ROSTER_VERSION,
  };
}

/** Throws {@link UserError} when apply would have to ask and there is no terminal to ask on. */
function assertCanAsk(options: ApplyCommandOptions): void {
  if (!options.yes && options.io.stdin.isTTY !== true) {
    throw new UserError('apply needs confirmation, and there is no terminal to ask on: review the plan and pass --yes');
  }
}

async function confirm(options: ApplyCommandOptions, plan: Plan, database: Database): Promise<void> {
  if (options.yes) return;
  const { io } = options;
  assertCanAsk(options);
  const answer = await ask(io, `\nApply these changes to organization ${plan.organization} in ${database.description}? Type "yes" to confirm: `);
  if (answer !== 'yes') throw new ApplyCancelledError('Apply cancelled; nothing was changed.');
}
