/**
 * The access review as CSV, one row per user, for spreadsheets: RFC 4180 (CRLF line ends, fields with a comma, quote
 * or line break quoted, quotes doubled) and safe from formula injection (a cell starting with = + - @ TAB or CR is
 * prefixed with a single quote, so a name `=HYPERLINK(…)` stays text).
 */
import type { AccessReport } from '../access/report.ts';
import { escapeText } from './escape.ts';

export const ACCESS_CSV_COLUMNS = [
  'email', 'first_name', 'last_name', 'role', 'company', 'permissions', 'privileged_permissions',
  'last_change_at', 'last_change_source', 'apply_id', 'actor', 'database_role', 'git_commit', 'matches_files', 'differences',
] as const;

/** One CSV field: escaped by the one rule, defused if a spreadsheet would read it as a formula, quoted when needed. */
export function csvField(value: string): string {
  let text = escapeText(value);
  if (/^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** Renders the review as CSV with a header row. Pure. */
export function renderAccessCsv(report: AccessReport): string {
  const rows = [ACCESS_CSV_COLUMNS.join(',')];
  for (const u of report.users) {
    const c = u.lastChange;
    const apply = c.source === 'roster' ? c : c.lastApply;
    const values = [
      u.email, u.firstName, u.lastName, u.role, u.company, u.permissions.join(' '), u.privileged.join(' '),
      c.at, c.source, apply ? String(apply.applyId) : '', apply?.actor ?? '', apply?.databaseRole ?? '', apply?.gitCommit ?? '',
      u.matchesFiles === null ? '' : u.matchesFiles ? 'yes' : 'no', u.differences.join('; '),
    ];
    rows.push(values.map(csvField).join(','));
  }
  return `${rows.join('\r\n')}\r\n`;
}
