/**
 * roster as a library: the pieces a platform or a script may use directly. The command line (src/cli) is built
 * from the same functions.
 *
 * ```ts
 * import { loadConfig, plan, renderPlanText } from 'roster';
 * const config = await loadConfig({ paths: ['org/'], cwd: process.cwd() });
 * console.log(renderPlanText(plan({ desired: config.state, actual: null })));
 * ```
 *
 * Importing this module is cheap: the YAML parsers, the schema validator and the password hashing load on the first
 * call of the function that needs them. It has no top-level await, so `require('roster')` works too (Node.js ≥ 20.19).
 * Plans and drift reports are plain data; their JSON forms are described by `roster/schema/plan.schema.json` and
 * `roster/schema/drift.schema.json`.
 */
import type { DesiredConfig } from './config/assemble.ts';
import type { LoadOptions } from './config/load.ts';

// Types of the data going in and out.
export type { DesiredConfig, SourceLocation } from './config/assemble.ts';
export type { LoadOptions } from './config/load.ts';
export type { OrgState, UserSpec, RoleSpec, CompanySpec, OrganizationSpec, PasswordReference } from './model/state.ts';
export type { PlanInput, PlanOptions } from './plan/planner.ts';
export type {
  Plan,
  Change,
  ChangeAction,
  OrganizationChange,
  CompanyChange,
  RoleChange,
  UserChange,
  FieldChange,
  PasswordSource,
  PlanProblem,
  PlanSummary,
  SensitiveChange,
  GuardLimits,
  GuardViolation,
  UserLimit,
  SavedPlan,
} from './plan/types.ts';
export type { DriftReport, DriftItem, DriftKind, SensitiveDrift, SensitiveDriftKind, StoredUserSummary } from './drift/types.ts';
export type { Diagnostic, SourcePosition } from './errors.ts';
export type { Style } from './render/style.ts';

/**
 * Loads and validates the YAML configuration under `options.paths` (files, or directories searched recursively for
 * `*.yaml` and `*.yml`), resolved against `options.cwd`. Resolves to the desired state with where each part is written.
 * Rejects with {@link ConfigError} listing every problem found (each with file, line and column), or with
 * {@link UserError} when a path does not exist or holds no YAML.
 */
export async function loadConfig(options: LoadOptions): Promise<DesiredConfig> {
  const load = await import('./config/load.ts');
  return load.loadConfig(options);
}

/**
 * Hashes a password with a fresh random salt, as apply does for `initialPassword`, and resolves to the PHC string
 * to store (`$scrypt$ln=17,r=8,p=1$…`). Runs on libuv's thread pool, so several hashes proceed in parallel.
 */
export async function hashPassword(password: string): Promise<string> {
  const passwords = await import('./secrets/password.ts');
  return passwords.hashPassword(password);
}

/**
 * Whether `password` matches `phc`, a PHC string roster stored. Resolves to false for a wrong password, a malformed
 * hash or another algorithm; never rejects for bad input. Compares in constant time.
 */
export async function verifyPassword(password: string, phc: string): Promise<boolean> {
  const passwords = await import('./secrets/password.ts');
  return passwords.verifyPassword(password, phc);
}

// The planner: pure, given the desired and the actual state.
export { plan } from './plan/planner.ts';
export { PLAN_FORMAT_VERSION } from './plan/types.ts';
export { DRIFT_FORMAT_VERSION } from './drift/types.ts';

// Renderers: pure functions from a plan or a drift report to text, JSON or Markdown.
export { renderPlanText } from './render/text.ts';
export { renderPlanJson } from './render/json.ts';
export { renderPlanMarkdown } from './render/plan-markdown.ts';
export { renderDriftText, renderDriftJson, renderDriftMarkdown } from './render/drift.ts';
export { PLAIN, COLOR } from './render/style.ts';

// The permission catalog and the roles every organization has.
export { PERMISSIONS, PREDEFINED_ROLES } from './model/permissions.ts';

// Errors: UserError and its kinds are the caller's to fix; InternalError is a bug in roster.
export { RosterError, UserError, ConfigError, DatabaseError, PlanRejectedError, InternalError, formatDiagnostic } from './errors.ts';
