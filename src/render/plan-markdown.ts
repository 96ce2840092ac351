/** The plan for pull-request comments and job summaries: sensitive changes first, below the comment size limit. */
import type { Change, Plan } from '../plan/types.ts';
import { cell, code, MarkdownBudget } from './markdown.ts';
import { summaryLine } from './text.ts';

const SYMBOL: Readonly<Record<Change['action'], string>> = { create: '➕', update: '✏️', deactivate: '⛔', delete: '🗑️', reactivate: '♻️' };

/** Renders `plan` as Markdown. Pure. */
export function renderPlanMarkdown(plan: Plan, limit?: number): string {
  const md = new MarkdownBudget(limit);
  md.add(`## roster plan: ${code(plan.organization)}\n\n**${summaryLine(plan.summary)}**\n\n`, 0, true);
  const blockers = [...plan.problems.map((p) => p.message), ...plan.guards.violations.map((v) => v.message)];
  if (blockers.length > 0) {
    md.add(`> [!CAUTION]\n> **This plan cannot be applied** (${blockers.length} problem${blockers.length === 1 ? '' : 's'}):\n${blockers.map((b) => `> - ${cell(b)}`).join('\n')}\n\n`, 0, true);
  }
  if (plan.sensitive.length > 0) {
    md.add(`> [!WARNING]\n> **Sensitive changes (${plan.sensitive.length})**: review these\n`, 0, true);
    for (const item of plan.sensitive) md.add(`> - ${cell(item.message)}\n`, 1);
    md.add('\n', 0, true);
  }
  if (plan.changes.length === 0) {
    md.add('No changes. The database matches the configuration.\n', 0, true);
  } else {
    md.add('| | Type | Key | Changes |\n| --- | --- | --- | --- |\n', 0, true);
    for (const change of plan.changes) {
      md.add(`| ${SYMBOL[change.action]} ${change.action} | ${change.type} | ${code(change.key)} | ${describe(change) || '—'} |\n`, 1);
    }
  }
  if (plan.ignoredUsers.length > 0) {
    md.add(`\n${plan.ignoredUsers.length} user(s) in the database but in no file are left as they are (\`unmanagedUsers: ignore\`).\n`, 0, true);
  }
  return md.finish((n) => `_${n} more change${n === 1 ? '' : 's'} not shown: run \`roster plan --format json\` for the whole plan._`);
}

function describe(change: Change): string {
  const parts: string[] = [];
  for (const [name, field] of Object.entries(change.fields) as [string, { before: unknown; after: unknown }][]) {
    if (change.type === 'user' && change.action === 'create' && name === 'email') continue;
    if (name === 'resetPassword') {
      parts.push('password: _(sensitive, reset)_');
      continue;
    }
    const show = (v: unknown) => code(v === null || v === undefined ? '(none)' : Array.isArray(v) ? `[${v.join(', ')}]` : String(v));
    parts.push(change.action === 'create' ? `${name}: ${show(field.after)}` : change.action === 'delete' ? `${name}: ${show(field.before)}` : `${name}: ${show(field.before)} → ${show(field.after)}`);
  }
  if (change.type === 'user' && change.action === 'create') {
    if (!change.active) parts.push('active: `false`');
    if (change.initialPassword) parts.push('initialPassword: _(sensitive)_');
  }
  return parts.join('<br>');
}
