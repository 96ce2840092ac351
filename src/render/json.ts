/** The plan for machines: documented by schema/plan.schema.json, stable key order, one trailing newline. */
import type { Plan } from '../plan/types.ts';
import { escapeJson } from './escape.ts';

/** Renders `plan` as JSON. Pure; the plan is already plain data in a deterministic order. No raw control characters. */
export function renderPlanJson(plan: Plan): string {
  return escapeJson(JSON.stringify(plan, null, 2)) + '\n';
}
