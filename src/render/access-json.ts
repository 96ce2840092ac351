/** The access review for machines: documented by schema/access.schema.json. */
import type { AccessReport } from '../access/report.ts';
import { escapeJson } from './escape.ts';

/** Renders the review as JSON. Pure; no raw control or bidirectional character. */
export function renderAccessJson(report: AccessReport): string {
  return escapeJson(JSON.stringify(report, null, 2)) + '\n';
}
