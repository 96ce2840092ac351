/**
 * The access review as one self-contained HTML page: no script, no external asset (a Content-Security-Policy forbids
 * loading anything), inline CSS with a print layout, the matrices as real tables, privileged cells highlighted.
 * Every value is HTML-escaped after the one escaping rule.
 */
import type { AccessReport } from '../access/report.ts';
import { describeFilters, describeLastChange } from './access-text.ts';
import { escapeText } from './escape.ts';

const ENTITIES: Readonly<Record<string, string>> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** `text` safe in HTML element content and in quoted attribute values. */
export function escapeHtml(text: string): string {
  return escapeText(text).replace(/[&<>"']/g, (c) => ENTITIES[c]!);
}

const STYLE = `
:root { color-scheme: light; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 2rem; color: #1b1f24; }
h1 { font-size: 1.5rem; margin: 0 0 .25rem; } h2 { font-size: 1.15rem; margin: 1.75rem 0 .5rem; }
p.meta { color: #57606a; margin: 0 0 1rem; }
table { border-collapse: collapse; margin: .25rem 0 1rem; }
th, td { border: 1px solid #d0d7de; padding: .25rem .5rem; text-align: left; vertical-align: top; }
thead th { background: #f6f8fa; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
td.granted { text-align: center; background: #eef6ee; }
td.privileged, th.privileged, tr.privileged td.email { background: #fff1c2; font-weight: 600; }
td.outside, .outside { color: #a40e26; font-weight: 600; }
td.differs { color: #a40e26; }
code { font: 12px ui-monospace, SFMono-Regular, Menlo, monospace; }
.summary span { display: inline-block; margin-right: 1.25rem; }
@media print {
  body { margin: 0; font-size: 10pt; }
  h2 { break-after: avoid; }
  table { page-break-inside: auto; } tr { break-inside: avoid; }
  thead { display: table-header-group; }
  td.privileged, th.privileged, tr.privileged td.email, td.granted { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
}`;

/** Renders the review as a complete HTML document. Pure. */
export function renderAccessHtml(report: AccessReport): string {
  const h = escapeHtml;
  const s = report.summary;
  const privileged = new Set(report.privilegedPermissions);
  const out: string[] = [];
  out.push(
    '<!DOCTYPE html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">`,
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>Access review: ${h(report.organization.name)}</title>`,
    `<style>${STYLE}</style>`,
    '</head>',
    '<body>',
    `<h1>Access review: ${h(report.organization.name)} <code>${h(report.organization.key)}</code></h1>`,
    `<p class="meta">As stored in the database at ${h(report.generatedAt)}; ${h(describeFilters(report))}. Made by roster access.</p>`,
    `<p class="summary" id="summary"><span><b>${s.activeUsers}</b> active users</span><span>${s.deactivatedUsers} deactivated (not listed)</span>` +
      `<span><b>${s.privilegedUsers}</b> privileged</span><span><b>${s.changedOutsideRoster}</b> last changed outside roster</span>` +
      (report.comparedWithFiles ? `<span><b>${s.notMatchingFiles}</b> not matching the files</span>` : '') +
      '</p>',
  );

  out.push('<h2>Privileged holders</h2>', '<table id="privileged-holders"><thead><tr><th>Permission</th><th class="num">Users</th><th>Holders</th></tr></thead><tbody>');
  for (const holder of report.privilegedHolders) {
    out.push(
      `<tr data-permission="${h(holder.permission)}"><th class="privileged"><code>${h(holder.permission)}</code></th><td class="num">${holder.users.length}</td>` +
        `<td>${holder.users.length === 0 ? 'nobody' : holder.users.map((u) => `<span class="holder">${h(u)}</span>`).join(', ')}</td></tr>`,
    );
  }
  out.push('</tbody></table>');

  out.push(
    '<h2>Roles × permissions</h2>',
    '<p class="meta">Each cell counts the active users holding the permission through the role; highlighted cells grant a privileged (manage_*) permission.</p>',
    '<table id="roles-permissions"><thead><tr><th>Role</th><th class="num">Users</th>',
    ...report.permissions.map((p) => `<th${privileged.has(p) ? ' class="privileged"' : ''} scope="col"><code>${h(p)}</code></th>`),
    '</tr></thead><tbody>',
  );
  for (const role of report.roles) {
    const cells = report.permissions.map((p) => {
      if (!role.permissions.includes(p)) return `<td data-permission="${h(p)}"></td>`;
      return `<td class="granted${privileged.has(p) ? ' privileged' : ''}" data-permission="${h(p)}">${role.activeUsers}</td>`;
    });
    out.push(`<tr data-role="${h(role.key)}"><th scope="row"><code>${h(role.key)}</code> ${h(role.name)}${role.predefined ? ' <small>(predefined)</small>' : ''}${role.lastChange?.source === 'outside-roster' ? `<br><small class="outside">${h(describeLastChange({ lastChange: role.lastChange }))}</small>` : ''}</th><td class="num">${role.activeUsers}</td>${cells.join('')}</tr>`);
  }
  out.push('</tbody></table>');

  out.push('<h2>Companies × roles</h2>', '<table id="companies-roles"><thead><tr><th>Company</th>');
  out.push(...report.roles.map((r) => `<th class="num${r.privileged ? ' privileged' : ''}" scope="col"><code>${h(r.key)}</code></th>`), '<th class="num">Total</th></tr></thead><tbody>');
  for (const company of report.companies) {
    const cells = report.roles.map((r) => {
      const count = company.usersByRole[r.key] ?? 0;
      return `<td class="num${r.privileged && count > 0 ? ' privileged' : ''}" data-role="${h(r.key)}">${count}</td>`;
    });
    out.push(`<tr data-company="${h(company.key)}"><th scope="row"><code>${h(company.key)}</code> ${h(company.name)}</th>${cells.join('')}<td class="num">${company.activeUsers}</td></tr>`);
  }
  out.push('</tbody></table>');

  out.push(
    `<h2>Users (${report.users.length})</h2>`,
    `<table id="users"><thead><tr><th>Email</th><th>Name</th><th>Role</th><th>Company</th><th>Permissions</th><th>Last change</th>${report.comparedWithFiles ? '<th>Files</th>' : ''}</tr></thead><tbody>`,
  );
  for (const u of report.users) {
    const permissions = u.permissions.map((p) => (privileged.has(p) ? `<b>${h(p)}</b>` : h(p))).join(', ');
    const outside = u.lastChange.source === 'outside-roster';
    const files = u.matchesFiles === null ? '' : u.matchesFiles ? '<td>matches</td>' : `<td class="differs">differs: ${h(u.differences.join('; '))}</td>`;
    out.push(
      `<tr data-email="${h(u.email)}"${u.privileged.length > 0 ? ' class="privileged"' : ''}><td class="email">${h(u.email)}</td><td>${h(`${u.firstName} ${u.lastName}`)}</td>` +
        `<td><code>${h(u.role)}</code></td><td><code>${h(u.company)}</code></td><td>${permissions}</td>` +
        `<td class="${outside ? 'outside' : 'roster'}">${h(describeLastChange(u))}</td>${files}</tr>`,
    );
  }
  out.push('</tbody></table>');
  if (report.missingFromDatabase.length > 0) out.push(`<h2>In the files but not in the database (${report.missingFromDatabase.length})</h2>`, `<p>${report.missingFromDatabase.map(h).join(', ')}</p>`);
  if (report.unreadable.length > 0) out.push(`<h2>Rows left out, unreadable (${report.unreadable.length})</h2>`, '<ul>', ...report.unreadable.map((m) => `<li>${h(m)}</li>`), '</ul>');
  out.push('</body>', '</html>');
  return `${out.join('\n')}\n`;
}
