/**
 * The plan for people: changes grouped by kind, `+` create, `~` update, `-` deactivate or delete,
 * `^` reactivate, every changed field as `before → after`, passwords only as `(sensitive)`, a summary line last.
 */
import type { Change, FieldChange, Plan, PlanSummary } from '../plan/types.ts';
import { PLAIN, type Style } from './style.ts';

const SECTIONS: readonly { type: Change['type']; title: string }[] = [
  { type: 'organization', title: 'Organization' },
  { type: 'company', title: 'Companies' },
  { type: 'role', title: 'Roles' },
  { type: 'user', title: 'Users' },
];

/** Renders `plan` as text. Pure: the same plan and style always give the same string. */
export function renderPlanText(plan: Plan, style: Style = PLAIN): string {
  const lines: string[] = [];
  lines.push(style.bold(`roster plan for organization ${plan.organization}`), '');
  if (plan.changes.length === 0 && plan.problems.length === 0) {
    lines.push('No changes. The database matches the configuration.');
    return lines.join('\n') + '\n';
  }
  for (const section of SECTIONS) {
    const changes = plan.changes.filter((c) => c.type === section.type);
    if (changes.length === 0) continue;
    lines.push(style.bold(section.title));
    for (const change of changes) lines.push(...renderChange(change, style));
    lines.push('');
  }
  if (plan.problems.length > 0) {
    lines.push(style.red(style.bold(`Problems (${plan.problems.length}): this plan cannot be applied`)));
    for (const problem of plan.problems) lines.push(`  ${style.red('!')} ${problem.message}`);
    lines.push('');
  }
  lines.push(summaryLine(plan.summary));
  return lines.join('\n') + '\n';
}

/** `Plan: 1 to create, 2 to update, 0 to deactivate, 0 to reactivate, 0 to delete.` */
export function summaryLine(summary: PlanSummary): string {
  return (
    `Plan: ${summary.create} to create, ${summary.update} to update, ${summary.deactivate} to deactivate, ` +
    `${summary.reactivate} to reactivate, ${summary.delete} to delete.`
  );
}

function renderChange(change: Change, style: Style): string[] {
  const marker = {
    create: style.green('+'),
    update: style.yellow('~'),
    deactivate: style.red('-'),
    delete: style.red('-'),
    reactivate: style.green('^'),
  }[change.action];
  const notes: string[] = [];
  if (change.action !== 'create' && change.action !== 'update') notes.push(change.action);
  if ('reason' in change && change.reason) notes.push(change.reason);
  const head = `  ${marker} ${change.key}${notes.length > 0 ? style.dim(` (${notes.join(': ')})`) : ''}`;
  const lines = [head];
  for (const [name, value] of Object.entries(change.fields) as [string, FieldChange<unknown>][]) {
    // A new user's email is already the heading.
    if (change.type === 'user' && change.action === 'create' && name === 'email') continue;
    lines.push(`      ${name}: ${renderField(change, value)}`);
  }
  if (change.type === 'user' && change.action === 'create') {
    if (!change.active) lines.push(`      active: false`);
    if (change.initialPassword !== null) {
      const from = change.initialPassword.source === 'env' ? `from $${change.initialPassword.name}` : 'from a supplied hash';
      lines.push(`      initialPassword: (sensitive, ${from})`);
    }
  }
  return lines;
}

function renderField(change: Change, field: FieldChange<unknown>): string {
  if (change.action === 'create') return formatValue(field.after);
  if (change.action === 'delete') return `${formatValue(field.before)} → (deleted)`;
  return `${formatValue(field.before)} → ${formatValue(field.after)}${listDelta(field)}`;
}

/** For lists, what was added and removed: ` (+a, -b)`. */
function listDelta(field: FieldChange<unknown>): string {
  if (!Array.isArray(field.before) || !Array.isArray(field.after)) return '';
  const before = new Set<unknown>(field.before);
  const after = new Set<unknown>(field.after);
  const parts = [...[...after].filter((x) => !before.has(x)).map((x) => `+${String(x)}`), ...[...before].filter((x) => !after.has(x)).map((x) => `-${String(x)}`)];
  return parts.length > 0 ? ` (${parts.join(', ')})` : '';
}

function formatValue(value: unknown): string {
  if (value === null || value === undefined) return '(none)';
  if (Array.isArray(value)) return `[${value.join(', ')}]`;
  return JSON.stringify(value);
}
