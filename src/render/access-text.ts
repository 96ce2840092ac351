/** The access review for people, on a terminal: privileged holders first, then the matrices and every user. */
import type { AccessReport, AccessUser } from '../access/report.ts';
import { escapeStrings } from './escape.ts';
import { PLAIN, type Style } from './style.ts';

/** `when, by actor (database role, commit)` or `changed outside roster at …`. */
export function describeLastChange(user: Pick<AccessUser, 'lastChange'>): string {
  const c = user.lastChange;
  if (c.source === 'roster') return `${c.at} by roster apply #${c.applyId}, actor ${c.actor}${c.databaseRole ? `, database role ${c.databaseRole}` : ''}, commit ${c.gitCommit ?? 'unknown'}`;
  return `changed outside roster at ${c.at}${c.lastApply ? ` (last roster apply to it: #${c.lastApply.applyId} at ${c.lastApply.at})` : ' (no roster apply ever touched it)'}`;
}

/** What the review covers, in words. */
export function describeFilters(report: AccessReport): string {
  const parts = [
    report.filters.company === null ? null : `company ${report.filters.company}`,
    report.filters.role === null ? null : `role ${report.filters.role}`,
    report.filters.permission === null ? null : `who can ${report.filters.permission}`,
  ].filter((p) => p !== null);
  return parts.length === 0 ? 'every active user' : `active users filtered by ${parts.join(', ')}`;
}

/** Renders the review as text. Pure; every value from the database or the files is escaped. */
export function renderAccessText(input: AccessReport, style: Style = PLAIN): string {
  const report = escapeStrings(input);
  const lines: string[] = [];
  const s = report.summary;
  lines.push(style.bold(`roster access review of organization ${report.organization.key} (${report.organization.name})`));
  lines.push(style.dim(`As stored in the database at ${report.generatedAt}; ${describeFilters(report)}.`));
  lines.push(
    `${s.activeUsers} active user${s.activeUsers === 1 ? '' : 's'} (${s.deactivatedUsers} deactivated not listed), ${s.privilegedUsers} privileged, ` +
      `${s.changedOutsideRoster} last changed outside roster${report.comparedWithFiles ? `, ${s.notMatchingFiles} not matching the files` : ''}.`,
    '',
  );
  lines.push(style.yellow(style.bold('Privileged holders (manage_* permissions)')));
  for (const h of report.privilegedHolders) lines.push(`  ${h.permission} (${h.users.length}): ${h.users.length === 0 ? 'nobody' : h.users.join(', ')}`);
  lines.push('');

  lines.push(style.bold('Roles × permissions (active users holding each through the role)'));
  const roleWidth = Math.max(4, ...report.roles.map((r) => r.key.length));
  lines.push(`  ${'role'.padEnd(roleWidth)}  users  permissions`);
  for (const r of report.roles) {
    const perms = r.permissions.map((p) => (report.privilegedPermissions.includes(p) ? `${p}!` : p)).join(' ');
    lines.push(`  ${r.key.padEnd(roleWidth)}  ${String(r.activeUsers).padStart(5)}  ${perms || '(none)'}`);
    if (r.lastChange?.source === 'outside-roster') lines.push(`  ${' '.repeat(roleWidth)}         ${style.red(describeLastChange({ lastChange: r.lastChange }))}`);
  }
  lines.push(style.dim('  (! marks a privileged permission)'), '');

  lines.push(style.bold('Companies × roles (active users)'));
  const companyWidth = Math.max(7, ...report.companies.map((c) => c.key.length));
  const roleCols = report.roles.map((r) => Math.max(r.key.length, 3));
  lines.push(`  ${'company'.padEnd(companyWidth)}  ${report.roles.map((r, i) => r.key.padStart(roleCols[i]!)).join('  ')}  total`);
  for (const c of report.companies) {
    lines.push(`  ${c.key.padEnd(companyWidth)}  ${report.roles.map((r, i) => String(c.usersByRole[r.key] ?? 0).padStart(roleCols[i]!)).join('  ')}  ${String(c.activeUsers).padStart(5)}`);
  }
  lines.push('');

  lines.push(style.bold(`Users (${report.users.length})`));
  for (const u of report.users) {
    const mark = u.privileged.length > 0 ? style.yellow('!') : ' ';
    lines.push(`${mark} ${u.email}  ${u.firstName} ${u.lastName}  role ${u.role}  company ${u.company}`);
    lines.push(`    permissions: ${u.permissions.join(', ') || '(none)'}`);
    const change = describeLastChange(u);
    lines.push(`    last change: ${u.lastChange.source === 'outside-roster' ? style.red(change) : change}`);
    if (u.matchesFiles !== null) lines.push(`    files: ${u.matchesFiles ? 'matches' : style.red(`does not match: ${u.differences.join('; ')}`)}`);
  }
  if (report.missingFromDatabase.length > 0) {
    lines.push('', style.bold(`In the files but not in the database (${report.missingFromDatabase.length})`), `  ${report.missingFromDatabase.join(', ')}`);
  }
  if (report.unreadable.length > 0) {
    lines.push('', style.red(style.bold(`Rows left out, unreadable (${report.unreadable.length})`)), ...report.unreadable.map((m) => `  ${m}`));
  }
  return `${lines.join('\n')}\n`;
}
