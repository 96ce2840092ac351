/** The timeline of one user, role or company for machines. */
import type { HistoryReport } from '../history/timeline.ts';
import { escapeJson } from './escape.ts';

/** Renders the timeline as JSON. Pure; no raw control or bidirectional character. */
export function renderHistoryJson(report: HistoryReport): string {
  return escapeJson(JSON.stringify(report, null, 2)) + '\n';
}
