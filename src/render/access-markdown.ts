/** The access review in Markdown, for a ticket or an audit folder: tables a reviewer can scan. */
import type { AccessReport } from '../access/report.ts';
import { describeFilters, describeLastChange } from './access-text.ts';
import { cell, code } from './markdown.ts';

/** Renders the review as Markdown. Pure; every value is escaped for Markdown and by the one escaping rule. */
export function renderAccessMarkdown(report: AccessReport): string {
  const s = report.summary;
  const out: string[] = [];
  out.push(`## Access review: ${cell(report.organization.name)} (${code(report.organization.key)})`, '');
  out.push(`As stored in the database at ${cell(report.generatedAt)}; ${cell(describeFilters(report))}.`, '');
  out.push(
    `**${s.activeUsers}** active users (${s.deactivatedUsers} deactivated not listed), **${s.privilegedUsers}** privileged, ` +
      `**${s.changedOutsideRoster}** last changed outside roster${report.comparedWithFiles ? `, **${s.notMatchingFiles}** not matching the files` : ''}.`,
    '',
  );
  out.push('### Privileged holders', '', '| Permission | Users |', '| --- | --- |');
  for (const h of report.privilegedHolders) out.push(`| ${code(h.permission)} | ${h.users.length === 0 ? '—' : h.users.map(cell).join(', ')} |`);
  out.push('', '### Roles × permissions', '', 'Each cell counts the active users holding the permission through the role; ⚠ marks a privileged permission.', '');
  out.push(`| Role | Users | ${report.permissions.map(code).join(' | ')} |`, `| --- | ---: | ${report.permissions.map(() => ':---:').join(' | ')} |`);
  for (const r of report.roles) {
    const cells = report.permissions.map((p) => (r.permissions.includes(p) ? `${report.privilegedPermissions.includes(p) ? '⚠ ' : ''}${r.activeUsers}` : ''));
    const outside = r.lastChange?.source === 'outside-roster' ? ` **${cell(describeLastChange({ lastChange: r.lastChange }))}**` : '';
    out.push(`| ${code(r.key)}${outside} | ${r.activeUsers} | ${cells.join(' | ')} |`);
  }
  out.push('', '### Companies × roles', '', `| Company | ${report.roles.map((r) => code(r.key)).join(' | ')} | Total |`);
  out.push(`| --- | ${report.roles.map(() => '---:').join(' | ')} | ---: |`);
  for (const c of report.companies) out.push(`| ${code(c.key)} | ${report.roles.map((r) => String(c.usersByRole[r.key] ?? 0)).join(' | ')} | ${c.activeUsers} |`);
  out.push('', `### Users (${report.users.length})`, '');
  out.push(`| Email | Name | Role | Company | Permissions | Last change |${report.comparedWithFiles ? ' Files |' : ''}`);
  out.push(`| --- | --- | --- | --- | --- | --- |${report.comparedWithFiles ? ' --- |' : ''}`);
  for (const u of report.users) {
    const email = u.privileged.length > 0 ? `⚠ ${cell(u.email)}` : cell(u.email);
    const change = u.lastChange.source === 'outside-roster' ? `**${cell(describeLastChange(u))}**` : cell(describeLastChange(u));
    const files = u.matchesFiles === null ? '' : ` ${u.matchesFiles ? 'matches' : `**differs**: ${cell(u.differences.join('; '))}`} |`;
    out.push(`| ${email} | ${cell(`${u.firstName} ${u.lastName}`)} | ${code(u.role)} | ${code(u.company)} | ${u.permissions.map(code).join(' ')} | ${change} |${files}`);
  }
  if (report.missingFromDatabase.length > 0) out.push('', `### In the files but not in the database (${report.missingFromDatabase.length})`, '', report.missingFromDatabase.map(cell).join(', '));
  if (report.unreadable.length > 0) out.push('', `### Rows left out, unreadable (${report.unreadable.length})`, '', ...report.unreadable.map((m) => `- ${cell(m)}`));
  return `${out.join('\n')}\n`;
}
