/** The timeline of one user, role or company, for people: one change per line group, oldest first. */
import type { HistoryEntry, HistoryReport } from '../history/timeline.ts';
import { escapeStrings } from './escape.ts';
import { PLAIN, type Style } from './style.ts';

/** A value as the timeline shows it: strings as they are, lists joined, nothing as `(none)`. */
export function showValue(value: unknown): string {
  if (value === null || value === undefined) return '(none)';
  if (Array.isArray(value)) return value.length === 0 ? '[]' : `[${value.map(showValue).join(', ')}]`;
  if (typeof value === 'string') return value;
  return JSON.stringify(value);
}

/** `user bob@example.com`, `role editor`. */
export function describeSubject(report: HistoryReport): string {
  return `${report.subject.type} ${report.subject.key}`;
}

/** The heading line of an entry: when, what and by whom. */
export function describeEntry(entry: HistoryEntry): string {
  if (entry.source === 'outside-roster') return `${entry.at}  ${entry.action} ${entry.key}: changed outside roster at ${entry.at} (seen by the database's change time)`;
  return `${entry.at}  ${entry.action} ${entry.key} by roster apply #${entry.applyId}, actor ${entry.actor}${entry.databaseRole ? `, database role ${entry.databaseRole}` : ''}, commit ${entry.gitCommit ?? 'unknown'}`;
}

/** Renders the timeline as text. Pure; every value is escaped. */
export function renderHistoryText(input: HistoryReport, style: Style = PLAIN): string {
  const report = escapeStrings(input);
  const lines = [style.bold(`roster history of ${describeSubject(report)} in organization ${report.organization}`)];
  if (report.formerEmails.length > 0) lines.push(style.dim(`Also known as: ${report.formerEmails.join(', ')}.`));
  lines.push(
    report.current === null
      ? style.dim('Not in the database now.')
      : style.dim(`Now: ${Object.entries(report.current).map(([field, value]) => `${field} ${showValue(value)}`).join(', ')}.`),
    '',
  );
  if (report.entries.length === 0) lines.push('No change recorded: roster never applied a change to it, and the database saw none outside roster.');
  for (const entry of report.entries) {
    const head = describeEntry(entry);
    lines.push(entry.source === 'outside-roster' ? style.red(head) : head);
    for (const c of entry.changes) lines.push(`    ${c.field}: ${showValue(c.before)} → ${showValue(c.after)}`);
  }
  return `${lines.join('\n')}\n`;
}
