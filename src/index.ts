/**
 * roster as a library: the pieces a platform or a script may use directly.
 * The command line (src/cli) is built from the same functions.
 */
export { verifyPassword, hashPassword } from './secrets/password.ts';
export { loadConfig } from './config/load.ts';
export { plan } from './plan/planner.ts';
export { renderPlanText } from './render/text.ts';
export { renderPlanJson } from './render/json.ts';
export type { Plan, Change, PlanProblem, PlanSummary } from './plan/types.ts';
export type { OrgState, UserSpec, RoleSpec, CompanySpec, OrganizationSpec } from './model/state.ts';
export { PERMISSIONS, PREDEFINED_ROLES } from './model/permissions.ts';
export { ConfigError, UserError, InternalError, DatabaseError } from './errors.ts';
