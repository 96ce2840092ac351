/** The timeline of one user, role or company in Markdown: one table row per changed field. */
import type { HistoryReport } from '../history/timeline.ts';
import { cell, code } from './markdown.ts';
import { describeSubject, showValue } from './history-text.ts';

/** Renders the timeline as Markdown. Pure; every value escaped. */
export function renderHistoryMarkdown(report: HistoryReport): string {
  const out = [`## History of ${cell(describeSubject(report))} (organization ${code(report.organization)})`, ''];
  if (report.formerEmails.length > 0) out.push(`Also known as: ${report.formerEmails.map(code).join(', ')}.`, '');
  out.push(report.current === null ? 'Not in the database now.' : `Now: ${Object.entries(report.current).map(([f, v]) => `${cell(f)} ${code(showValue(v))}`).join(', ')}.`, '');
  if (report.entries.length === 0) return `${out.join('\n')}\nNo change recorded.\n`;
  out.push('| When | Change | By | Commit | Field | Before | After |', '| --- | --- | --- | --- | --- | --- | --- |');
  for (const e of report.entries) {
    const by = e.source === 'roster' ? `roster apply #${e.applyId}, ${cell(e.actor)}${e.databaseRole ? ` (${cell(e.databaseRole)})` : ''}` : '**outside roster**';
    const commit = e.source === 'roster' && e.gitCommit ? code(e.gitCommit) : '';
    const rows = e.changes.length > 0 ? e.changes : [{ field: '', before: undefined, after: undefined }];
    for (const c of rows) {
      out.push(`| ${cell(e.at)} | ${e.action} ${code(e.key)} | ${by} | ${commit} | ${c.field ? code(c.field) : ''} | ${c.field ? code(showValue(c.before)) : ''} | ${c.field ? code(showValue(c.after)) : ''} |`);
    }
  }
  return `${out.join('\n')}\n`;
}
