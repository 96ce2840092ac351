/** Drift reports for people (text), for machines (JSON, schema/drift.schema.json) and for pull requests (Markdown). */
import type { DriftItem, DriftKind, DriftReport, SensitiveDrift, StoredUserSummary } from '../drift/types.ts';
import { escapeJson, escapeStrings } from './escape.ts';
import { cell, code, MarkdownBudget } from './markdown.ts';
import { PLAIN, type Style } from './style.ts';
import { formatValue as value } from './value.ts';

const HEADINGS: Readonly<Record<DriftKind, string>> = {
  invalid: 'In the database in a form roster will not act on',
  edited: 'Edited outside the configuration',
  deactivated: 'Deactivated outside the configuration',
  reactivated: 'Reactivated outside the configuration',
  unmanaged: 'In the database but in no file',
  missing: 'In the files but not in the database',
};
const KINDS = Object.keys(HEADINGS) as DriftKind[];
const SENSITIVE_HEADING = 'SENSITIVE: access gained outside the files';

/** `Drift: 1 sensitive; 1 edited, 0 deactivated, …` */
export function driftSummaryLine(report: DriftReport): string {
  return `Drift: ${report.sensitive.length} sensitive; ${KINDS.filter((k) => report.summary[k] !== undefined).map((k) => `${report.summary[k]} ${k}`).join(', ')}.`;
}

/** `role admin, company hq, active`: a stored user at a glance. */
function storedUser(database: StoredUserSummary): string {
  return `role ${database.role}, company ${database.company}, ${database.active ? 'active' : 'inactive'}`;
}

function lastApplyLine(report: DriftReport): string {
  const last = report.lastApply;
  if (!last) return 'roster has never applied to this organization (no audit trail).';
  return `Last roster apply: ${last.at} by ${last.actor}${last.gitCommit ? ` (commit ${last.gitCommit})` : ''}.`;
}

function when(item: Pick<DriftItem, 'changedAt' | 'afterLastApply'>): string {
  if (item.changedAt === null) return '';
  const relation = item.afterLastApply === null ? '' : item.afterLastApply ? ', after the last apply' : ', not since the last apply';
  return `changed ${item.changedAt}${relation}`;
}

/** Renders a drift report as text. Pure. Every string from files or the database is escaped (render/escape.ts). */
export function renderDriftText(input: DriftReport, style: Style = PLAIN): string {
  const report = escapeStrings(input);
  const lines = [style.bold(`roster drift for organization ${report.organization}`), style.dim(lastApplyLine(report)), ''];
  if (report.items.length === 0 && report.sensitive.length === 0) {
    lines.push('No drift. The database matches the configuration.');
    return lines.join('\n') + '\n';
  }
  if (report.sensitive.length > 0) {
    lines.push(style.red(style.bold(`${SENSITIVE_HEADING} (${report.sensitive.length})`)));
    for (const entry of report.sensitive) {
      const note = when(entry);
      lines.push(`  ${style.red('!!')} ${entry.type} ${entry.key}${entry.database ? `: ${storedUser(entry.database)}` : ''}${note ? style.dim(` (${note})`) : ''}`);
      lines.push(`      ${entry.message}`);
    }
    lines.push('');
  }
  for (const kind of KINDS) {
    const items = report.items.filter((i) => i.kind === kind);
    if (items.length === 0) continue;
    lines.push(style.bold(`${HEADINGS[kind]} (${items.length})`));
    for (const item of items) {
      const note = when(item);
      lines.push(`  ${style.yellow('!')} ${item.type} ${item.key}${item.database ? `: ${storedUser(item.database)}` : ''}${note ? style.dim(` (${note})`) : ''}`);
      for (const [name, f] of Object.entries(item.fields)) lines.push(`      ${name}: files ${value(f.config)}, database ${value(f.database)}`);
      if (item.message !== undefined) lines.push(`      ${item.message}`);
    }
    lines.push('');
  }
  lines.push(driftSummaryLine(report));
  return lines.join('\n') + '\n';
}

/** Renders a drift report as JSON. Pure. No raw control or bidirectional character: JSON escapes instead. */
export function renderDriftJson(report: DriftReport): string {
  return escapeJson(JSON.stringify(report, null, 2)) + '\n';
}

/** Renders a drift report as Markdown: a summary table first, details after, below the comment size limit. Pure. */
export function renderDriftMarkdown(report: DriftReport, limit?: number): string {
  const md = new MarkdownBudget(limit);
  md.add(`## roster drift: ${code(report.organization)}\n\n${cell(lastApplyLine(report))}\n\n`, 0, true);
  if (report.items.length === 0 && report.sensitive.length === 0) {
    md.add('No drift. The database matches the configuration.\n', 0, true);
    return md.finish(() => '');
  }
  if (report.sensitive.length > 0) {
    md.add(`### ${SENSITIVE_HEADING} (${report.sensitive.length})\n\n| Type | Key | In the database | What | Changed |\n| --- | --- | --- | --- | --- |\n`, 0, true);
    for (const entry of report.sensitive) md.add(`| ${entry.type} | ${code(entry.key)} | ${storedUserCell(entry)} | ${cell(entry.message)} | ${cell(when(entry)) || '—'} |\n`, 1);
    md.add('\n', 0, true);
  }
  md.add(`| Drift | Count |\n| --- | ---: |\n| ${SENSITIVE_HEADING} | ${report.sensitive.length} |\n${KINDS.filter((k) => report.summary[k] !== undefined).map((k) => `| ${HEADINGS[k]} | ${report.summary[k]} |`).join('\n')}\n`, 0, true);
  for (const kind of KINDS) {
    const items = report.items.filter((i) => i.kind === kind);
    if (items.length === 0) continue;
    md.add(`\n### ${HEADINGS[kind]} (${items.length})\n\n| Type | Key | In the database | Differences | Changed |\n| --- | --- | --- | --- | --- |\n`);
    for (const item of items) {
      const differences = Object.entries(item.fields)
        .map(([name, f]) => `${name}: files ${code(value(f.config))}, database ${code(value(f.database))}`)
        .join('<br>');
      const detail = item.message !== undefined ? cell(item.message) : differences;
      md.add(`| ${item.type} | ${code(item.key)} | ${storedUserCell(item)} | ${detail || '—'} | ${cell(when(item)) || '—'} |\n`, 1);
    }
  }
  return md.finish((n) => `_${n} more item${n === 1 ? '' : 's'} not shown: run \`roster drift --format json\` for all of them._`);
}

/** A stored user's role, company and active state for a Markdown cell, or a dash. */
function storedUserCell(entry: Pick<SensitiveDrift, 'database'>): string {
  const d = entry.database;
  return d ? `role ${code(d.role)}, company ${code(d.company)}, ${d.active ? 'active' : 'inactive'}` : '—';
}
